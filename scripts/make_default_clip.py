"""Rebuild assets/motions/default.npz (the clip the studio opens with) from ../shared CMU motion capture.

Source: CMU Graphics Lab Motion Capture Database, trial 05_02 "dance - expressive arms, pirouette"
(iClone rig, 30 fps), retargeted to SMPL-22. The data was obtained from mocap.cs.cmu.edu; the database
was created with funding from NSF EIA-0196217.
Usage: .venv/bin/python scripts/make_default_clip.py
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.motion import Segment  # noqa: E402
from app.core.motion_io import load_motion, save_motion  # noqa: E402

SOURCE = ROOT.parent / "shared" / "data" / "motion" / "cmu" / "iclone" / "005_02.bvh"
OUT = ROOT / "assets" / "motions" / "default.npz"


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    clip = load_motion(SOURCE)
    clip.name = "CMU 05_02 modern dance"
    clip.text = "a dancer moves expressive arms and turns a pirouette"
    d = clip.duration
    clip.segments = [
        Segment(0.0, d * 0.45, "expressive arm movements", "dance"),
        Segment(d * 0.45, d * 0.75, "pirouette", "spin"),
        Segment(d * 0.75, d, "expressive arm movements", "dance"),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_motion(clip, OUT)
    logging.info("wrote %s: %d frames at %g fps", OUT, clip.num_frames, clip.fps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
