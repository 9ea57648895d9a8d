"""FBX export time: the studio's glTF plus Blender's conversion (a subprocess), per clip length.

Reports per clip: wall seconds of the whole export, CPU seconds of this process and of Blender's
subprocess (on a busy machine the CPU time is the better estimate of an idle machine's wall time),
Blender's own seconds (its start, glTF import, FBX export) and the file size. Uses the shipped
default clip (or a synthetic walk) on the prepared Anny body, else skeleton only.

    .venv/bin/python bench/bench_fbx.py [--seconds 4 10]
"""
from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.motion import MotionClip  # noqa: E402
from app.engine.export.fbx import bpy_available, export_fbx_task  # noqa: E402
from app.engine.jobs import run_task  # noqa: E402

log = logging.getLogger("bench_fbx")


def clip_of(seconds: float, fps: float = 20.0) -> MotionClip:
    """The default motion looped/cut to `seconds`, or a synthetic walk when it is missing."""
    default = ROOT / "assets" / "motions" / "default.npz"
    if default.is_file():
        from app.core.motion_io import load_motion

        base = load_motion(default).resample(fps)
        reps = int(np.ceil(seconds * fps / base.num_frames))
        idx = np.arange(int(seconds * fps)) % base.num_frames if reps > 1 else np.arange(int(seconds * fps))
        return MotionClip(fps, base.trans[idx], base.rotations[idx], name=f"default_{seconds:g}s")
    t = np.arange(int(seconds * fps)) / fps
    rot = np.zeros((len(t), 22, 3))
    rot[:, 1, 0], rot[:, 2, 0] = 0.6 * np.sin(2 * np.pi * t), -0.6 * np.sin(2 * np.pi * t)
    return MotionClip(fps, np.stack([0 * t, 0.92 + 0 * t, 1.2 * t], 1), rot, name=f"walk_{seconds:g}s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, nargs="+", default=[4.0, 10.0])
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not bpy_available():
        print("bpy is not installed: .venv/bin/pip install bpy==4.2.0")
        return 1
    from app.engine.body import get_body, is_anny_prepared

    body = get_body("anny") if is_anny_prepared() else None
    print(f"body: {'Anny (skinned, textured)' if body is not None else 'none (skeleton only)'}")
    print(f"{'clip':>14} {'frames':>6} {'wall s':>7} {'CPU s':>6} {'Blender CPU s':>13} {'Blender s':>9} {'MB':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for sec in args.seconds:
            clip = clip_of(sec)
            path = Path(tmp) / f"{clip.name}.fbx"
            own0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            result = run_task(export_fbx_task, clip, path, body)
            wall = time.perf_counter() - t0
            own1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            own = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
            kids = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
            print(f"{clip.name:>14} {clip.num_frames:>6} {wall:7.1f} {own + kids:6.1f} {kids:13.1f} "
                  f"{result.blender.get('seconds', 0.0):9.1f} {path.stat().st_size / 1e6:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
