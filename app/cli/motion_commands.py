"""Motion file subcommands: info, convert (BVH, npz, SMPL npz, glTF, FBX), render, prepare-body."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from app.cli.progress import ConsoleProgress
from app.core.errors import InvalidInputError
from app.engine.jobs import run_task

MAX_SIDE = 4096


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("info", help="print a summary of a motion file (BVH or npz)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("convert", help="convert between BVH, our npz, SMPL npz, glTF (.glb/.gltf) and FBX")
    p.add_argument("input")
    p.add_argument("output", nargs="?", default=None, help="output file (or --out)")
    p.add_argument("--out", default=None, help="output file (.bvh, .npz, .glb, .gltf or .fbx)")
    p.add_argument("--smpl", action="store_true", help="write an SMPL/AMASS-style npz")
    p.add_argument("--fps", type=float, default=None, help="resample to this frame rate")
    p.add_argument("--no-mesh", action="store_true",
                   help="glTF/FBX: skeleton and animation only (default: with the skinned Anny body when prepared)")

    p = sub.add_parser("render", help="render a motion on the 3D body to MP4 or GIF (no display needed)")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="output video (.mp4 or .gif)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--camera", default="follow", choices=["front", "side", "top", "follow"])
    p.add_argument("--body", default="anny", help="body model (anny, or smpl when its files are installed)")
    p.add_argument("--skeleton", action="store_true", help="draw the skeleton over the body")
    p.add_argument("--fps", type=float, default=None, help="video frame rate (default: the motion's)")

    p = sub.add_parser("prepare-body", help="one-time preparation of the Anny body model cache")
    return {"info": cmd_info, "convert": cmd_convert, "render": cmd_render, "prepare-body": cmd_prepare_body}


def cmd_info(args: argparse.Namespace) -> int:
    from app.core.motion_io import load_motion

    clip = load_motion(args.file)
    info = clip.info()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            if key == "segments":
                print(f"{'segments':>14}: {len(value)}")
                for seg in value:
                    print(f"{'':>16}{seg['start']:7.2f}-{seg['end']:7.2f}s  {seg['text']}")
            elif value not in ("", None):
                print(f"{key:>14}: {value}")
    return 0


def write_gltf_file(clip, out: Path, with_mesh: bool = True) -> None:
    """glTF export for the CLI: with the Anny body mesh when prepared, else skeleton only (noted)."""
    import sys

    from app.engine.body.gltf_export import export_gltf_task

    result = run_task(export_gltf_task, clip, out, None, "anny" if with_mesh else None)
    if with_mesh and result.note:
        print(f"note: {out.name}: {result.note}", file=sys.stderr)


def write_fbx_file(clip, out: Path, with_mesh: bool = True) -> None:
    """FBX export for the CLI (Blender in a subprocess): with the Anny body mesh when prepared, else skeleton only."""
    import sys

    from app.engine.export.fbx import export_fbx_task

    result = run_task(export_fbx_task, clip, out, None, "anny" if with_mesh else None)
    if with_mesh and result.note:
        print(f"note: {out.name}: {result.note}", file=sys.stderr)


def cmd_convert(args: argparse.Namespace) -> int:
    from app.core.motion_io import load_motion, save_motion

    if args.output and args.out and args.output != args.out:
        raise InvalidInputError("give the output file once (positional or --out)")
    if not (args.output or args.out):
        raise InvalidInputError("convert needs an output file (positional or --out)")
    out = Path(args.output or args.out)
    ext = out.suffix.lower()
    if ext not in (".bvh", ".npz", ".glb", ".gltf", ".fbx"):
        raise InvalidInputError(f"{out.name}: output must end in .bvh, .npz, .glb, .gltf or .fbx")
    if args.smpl and ext != ".npz":
        raise InvalidInputError(f"{out.name}: --smpl needs an .npz output")
    clip = load_motion(args.input)
    if args.fps is not None:
        if not (0 < args.fps <= 1000):
            raise InvalidInputError(f"--fps must be in (0, 1000], got {args.fps}")
        clip = clip.resample(args.fps)
    if ext in (".glb", ".gltf"):
        write_gltf_file(clip, out, not args.no_mesh)
    elif ext == ".fbx":
        write_fbx_file(clip, out, not args.no_mesh)
    else:
        save_motion(clip, out, flavor="smpl" if args.smpl else "studio")
    print(f"wrote {out} ({clip.num_frames} frames at {clip.fps:g} fps)")
    return 0


def validate_resolution(width: int, height: int) -> None:
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
        raise InvalidInputError(f"resolution {width}x{height} is out of range (16..{MAX_SIDE} per side)")


def cmd_render(args: argparse.Namespace) -> int:
    from app.core.motion_io import load_motion
    from app.engine.tasks.render_video import render_clip_video

    validate_resolution(args.width, args.height)
    out = Path(args.out)
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise InvalidInputError(f"{out.name}: output must end in .mp4 or .gif")
    clip = load_motion(args.input)
    progress = ConsoleProgress("render")
    try:
        path = run_task(render_clip_video, clip, out, width=args.width, height=args.height, camera=args.camera,
                        body_name=args.body, show_skeleton=args.skeleton, fps=args.fps, on_progress=progress)
    finally:
        progress.close()
    print(f"wrote {path}")
    return 0


def cmd_prepare_body(args: argparse.Namespace) -> int:
    from app.engine.body.prepare import prepare_anny

    progress = ConsoleProgress("body")
    try:
        run_task(prepare_anny, on_progress=progress)
    finally:
        progress.close()
    print("body model ready")
    return 0
