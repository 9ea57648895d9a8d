"""`main.py edit IN --frames F0 F1 --text TEXT --out FILE`: the studio's "Regenerate span", headless.

Frames [F0, F1) of a motion file (BVH or npz, any frame rate) are redrawn from TEXT by ATOM (or the MDM
baseline), through the same engine task as the studio's prompt panel: frames outside stay bit-exact,
the seams stay grounded and continuous, a span ending within 0.15 s of a segment edge is moved onto it,
and the segments are replaced exactly. ``--seconds S0 S1`` gives the span in seconds instead. FILE takes
the types ``generate`` writes (.npz keeps the segments; .bvh, .glb/.gltf, .fbx, .mp4). Bad input
(an unreadable file, a span outside the motion or under 2 frames, an empty text): one line, exit 2.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Callable

from app.core.errors import InvalidInputError

from .generate_commands import MODELS, check_output, write_clip

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("edit", help="regenerate a span of a motion from text (the studio's Regenerate span)")
    p.add_argument("input", help="motion file (.bvh or .npz)")
    span = p.add_mutually_exclusive_group(required=True)
    span.add_argument("--frames", type=int, nargs=2, metavar=("F0", "F1"), help="frames [F0, F1) to redraw")
    span.add_argument("--seconds", type=float, nargs=2, metavar=("S0", "S1"), help="the span in seconds")
    p.add_argument("--text", required=True, help="what the body does in the span")
    p.add_argument("--out", required=True, help="output file (.npz, .bvh, .mp4, .glb, .gltf or .fbx)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="atom", help="atom (default) or mdm")
    p.add_argument("--no-foot-lock", action="store_true", help="no foot locking across the span")
    return {"edit": cmd_edit}


def span_frames(args: argparse.Namespace, fps: float, num_frames: int) -> tuple[int, int]:
    """[f0, f1) from ``--frames`` or ``--seconds``, checked against the motion."""
    if args.frames is not None:
        f0, f1 = args.frames
    else:
        f0, f1 = (int(round(s * fps)) for s in args.seconds)
    if not (0 <= f0 < f1 <= num_frames) or f1 - f0 < 2:
        raise InvalidInputError(f"the span {f0}-{f1} must hold at least 2 of the motion's {num_frames} frames "
                                f"({num_frames / fps:.2f} s at {fps:g} fps)")
    return f0, f1


def cmd_edit(args: argparse.Namespace) -> int:
    from app.core.motion_io import load_motion
    from app.engine.jobs import drain
    from app.engine.tasks.generate_task import regenerate_span_task

    out = Path(args.out)
    check_output(out)
    if args.model not in MODELS:
        raise InvalidInputError(f"unknown model {args.model!r} (use {' or '.join(MODELS)})")
    if not args.text.strip():
        raise InvalidInputError("the text is empty: describe what the body should do in the span")
    clip = load_motion(args.input)
    f0, f1 = span_frames(args, clip.fps, clip.num_frames)
    edit = drain(regenerate_span_task(clip, f0, f1, args.text, args.seed, args.model, not args.no_foot_lock))
    for note in edit.notes:
        print(f"note: {note}")
    if edit.snapped:
        print(f"note: span snapped to segment edges {edit.f0}-{edit.f1}")
    write_clip(edit.sample.clip, out)
    print(f"wrote {out} (frames {edit.f0}-{edit.f1} redrawn: {edit.text!r}; {clip.num_frames} frames at "
          f"{clip.fps:g} fps)")
    return 0
