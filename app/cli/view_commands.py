"""2.5D and multi-view subcommands: render2p5d, multiview."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from app.cli.progress import ConsoleProgress
from app.engine.jobs import run_task


# mirrors app.engine.tasks.multiview.MultiviewOptions (kept literal: importing it pulls in torch)
MULTIVIEW_DEFAULTS = argparse.Namespace(views=8, fit_steps=200, size=256, gaussians=12000, threads=1)


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.engine.tasks.render2p5d import CAMERAS

    p = sub.add_parser("render2p5d", help="render a motion as a 2.5D clip: RGB + depth videos, depth PNGs, masks")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--background", default="grey",
                   help="'scene' (ground and wall), a colour (grey, black, white, green, blue, #rrggbb) or an image")
    p.add_argument("--camera", default="follow", choices=list(CAMERAS))
    p.add_argument("--skin", default="medium", help="skin tone: light, medium, tan, dark")
    p.add_argument("--clothing", default="denim", help="clothing colours: denim, sport, casual, none")
    p.add_argument("--lights", default="studio", choices=["studio", "soft", "bright"])
    p.add_argument("--fps", type=float, default=None)

    p = sub.add_parser("multiview", help="fit a Gaussian-splat avatar and render a ring of views (+ .ply per frame)")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="output folder")
    d = MULTIVIEW_DEFAULTS
    p.add_argument("--views", type=int, default=d.views)
    p.add_argument("--fit-steps", type=int, default=d.fit_steps,
                   help=f"Adam steps of the avatar fit (default {d.fit_steps}: about 1 min for a 5 s clip on 2 cores)")
    p.add_argument("--size", type=int, default=d.size, help="side of each square view in pixels (fit and output)")
    p.add_argument("--gaussians", type=int, default=d.gaussians)
    p.add_argument("--threads", type=int, default=d.threads,
                   help="torch CPU threads for fitting and rendering (default 1: robust on a busy machine)")
    p.add_argument("--per-view", action="store_true", help="also write one MP4 per view")
    p.add_argument("--no-ply", action="store_true", help="skip the per-frame .ply export")
    p.add_argument("--skin", default="medium")
    p.add_argument("--clothing", default="denim")
    return {"render2p5d": cmd_render2p5d, "multiview": cmd_multiview}


def _load_clip(path: str):
    from app.core.errors import InvalidInputError
    from app.core.motion_io import load_motion

    clip = load_motion(path)
    if clip.num_frames == 0:
        raise InvalidInputError(f"{Path(path).name}: the motion has no frames")
    return clip


def cmd_render2p5d(args: argparse.Namespace) -> int:
    from app.engine.tasks.render2p5d import Render2p5dOptions, StagedFolder, check_size, parse_background, render_2p5d

    check_size(args.width, args.height)
    parse_background(args.background)
    StagedFolder(args.out).abort()  # checks the destination before the slow work
    clip = _load_clip(args.input)
    opts = Render2p5dOptions(args.width, args.height, args.background, args.camera, args.skin, args.clothing,
                             args.lights, args.fps)
    progress = ConsoleProgress("render2p5d")
    try:
        out = run_task(render_2p5d, clip, args.out, opts, on_progress=progress)
    finally:
        progress.close()
    print(f"wrote {out}")
    return 0


def cmd_multiview(args: argparse.Namespace) -> int:
    import json

    from app.engine.tasks.multiview import MultiviewOptions, multiview
    from app.engine.tasks.render2p5d import StagedFolder, check_size

    check_size(args.size, args.size)
    StagedFolder(args.out).abort()
    clip = _load_clip(args.input)
    opts = MultiviewOptions(views=args.views, fit_steps=args.fit_steps, size=args.size, gaussians=args.gaussians,
                            per_view_files=args.per_view, write_ply=not args.no_ply, skin=args.skin,
                            clothing=args.clothing, threads=args.threads)
    progress = ConsoleProgress("multiview")
    try:
        metrics = run_task(multiview, clip, args.out, opts, on_progress=progress)
    finally:
        progress.close()
    held = metrics.get("held_out_views_train_frames", {})
    print(f"wrote {args.out} (held-out views: PSNR {held.get('psnr', float('nan')):.2f} dB, "
          f"SSIM {held.get('ssim', float('nan')):.3f})")
    print(json.dumps({k: metrics[k] for k in ("seconds", "render_seconds") if k in metrics}))
    return 0
