#!/usr/bin/env python
"""Forensics benchmark: wall time and peak memory of `inspect_video` on a synthetic clip
(a textured room, a capsule person walking, a moving camera), upscaled to the target size.

    python bench/bench_forensics.py                 # 10 s 720p 30 fps (target: <= 60 s, 2 cores)
    python bench/bench_forensics.py --long-video    # 5-minute 1080p 30 fps clip (memory target < 3 GB)
    python bench/bench_forensics.py --seconds 300 --height 1080   # same length, rendered person (slow to make)
    python bench/bench_forensics.py --video some.mp4

Prints one JSON line with per-stage seconds and the process's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.forensics import synth  # noqa: E402
from app.engine.forensics.pipeline import run_inspection  # noqa: E402


def make_clip(path: Path, seconds: float, height: int, fps: float = 30.0) -> Path:
    """Render a short loop at 320x180 and stream it, upscaled, into an mp4 of the requested length."""
    import cv2

    from app.engine.corpus.real_mocap import load_real_corpus
    from app.viewers.video import VideoWriter

    w = next(w for w in load_real_corpus() if "walk" in w.texts[0] and w.clip.num_frames >= 100)
    joints = synth.resample_joints(w.clip.joints()[:100], 20.0, fps)
    frames, _ = synth.render_video(joints, synth.SceneSpec(width=320, height=180),
                                   cams=synth.camera_path(len(joints), joints, move=1.5))
    width = int(round(height * 16 / 9 / 2)) * 2
    n = int(seconds * fps)
    with VideoWriter(path, fps) as wr:
        for i in range(n):
            k = i % (2 * len(frames) - 2)
            f = frames[k if k < len(frames) else 2 * len(frames) - 2 - k]  # ping-pong loop
            wr.append(cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR))
    return path


def make_long_clip(path: Path, seconds: float = 300.0, height: int = 1080, fps: float = 30.0) -> Path:
    """A long test-pattern video (ffmpeg ``testsrc2``, x264 ultrafast) made with the ffmpeg
    binary bundled with imageio-ffmpeg: minutes of 1080p in about a minute of CPU."""
    import subprocess

    import imageio_ffmpeg

    width = int(round(height * 16 / 9 / 2)) * 2
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={width}x{height}:rate={fps:g}", "-t", f"{seconds:g}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def synthetic_set(folder: Path, frames_n: int = 40) -> dict[str, Path]:
    """The rendered real-geometry clip and its manipulated versions, as mp4 files at 20 fps."""
    from app.engine.corpus.real_mocap import load_real_corpus
    from app.viewers.video import write_video

    w = next(w for w in load_real_corpus() if "walk" in w.texts[0] and w.clip.num_frames >= frames_n)
    j = w.clip.joints()[:frames_n]
    spec = synth.SceneSpec(width=240, height=180)
    cams = synth.camera_path(frames_n, j, move=1.5)
    real, _ = synth.render_video(j, spec, cams=cams)
    clips = {
        "rendered (real geometry)": real,
        "bone drift": synth.render_video(synth.drift_bones(j, 0.35), spec, cams=cams)[0],
        "pose jitter": synth.render_video(synth.jitter_joints(j, 0.03), spec, cams=cams)[0],
        "frame interpolation": synth.interpolate_frames(real),
        "non-rigid background": synth.render_video(j, spec, cams=cams, warp=0.08)[0],
        "pasted subject": synth.render_video(j, spec, cams=cams, paste_from_first=True)[0],
        "boiling texture": synth.boil_texture(real, 14.0),
    }
    out = {}
    for k, (name, frames) in enumerate(clips.items()):
        p = folder / f"synthetic_{k}.mp4"
        write_video(frames, p, 20.0)
        out[name] = p
    return out


def run_synthetic_set(values: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in synthetic_set(Path(tmp)).items():
            rep = run_inspection(path)
            top = sorted((c for c in rep.cues.values() if c.suspicion), key=lambda c: -c.suspicion * c.weight)[:3]
            row = {"clip": name, "authenticity": round(rep.verdict.authenticity, 3),
                   "verdict": rep.verdict.verdict, "confidence": round(rep.verdict.confidence, 2),
                   "top_cues": {c.name: round(c.suspicion, 2) for c in top}}
            if values:
                row["values"] = {c.name: round(c.value, 4) for c in rep.cues.values() if c.measured}
                row["suspicions"] = {c.name: [round(c.suspicion, 4), c.weight] for c in rep.cues.values()
                                     if c.suspicion is not None}
            print(json.dumps(row))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--no-sfm", action="store_true")
    ap.add_argument("--long-video", action="store_true",
                    help="time a 5-minute (--seconds 300) 1080p test-pattern video made with ffmpeg")
    ap.add_argument("--synthetic-set", action="store_true", help="score the rendered clip and its manipulations")
    ap.add_argument("--values", action="store_true", help="with --synthetic-set: also print every cue value")
    args = ap.parse_args()
    if args.synthetic_set:
        run_synthetic_set(args.values)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if args.video:
            path = Path(args.video)
        elif args.long_video:
            seconds = args.seconds if args.seconds != 10.0 else 300.0
            height = args.height if args.height != 720 else 1080
            path = make_long_clip(Path(tmp) / "long.mp4", seconds, height)
        else:
            path = make_clip(Path(tmp) / "bench.mp4", args.seconds, args.height)
        t0 = time.monotonic()
        rep = run_inspection(path, use_colmap=not args.no_sfm)
        wall = time.monotonic() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"video": f"{rep.video.width}x{rep.video.height} {rep.video.fps:g} fps {rep.video.duration_s:.1f} s",
                      "analysed_frames": rep.num_frames, "wall_s": round(wall, 2), "stages_s": rep.stage_seconds,
                      "peak_rss_mb": round(peak_mb), "verdict": rep.verdict.verdict,
                      "authenticity": round(rep.verdict.authenticity, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
