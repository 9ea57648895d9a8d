#!/usr/bin/env python
"""Batch throughput on Ray: `batch inspect` over a few short clips with 1 and 2 workers (items/min).

    python bench/bench_batch.py                          # 6 synthetic 3 s clips, 1 and 2 workers, local Ray
    python bench/bench_batch.py --videos DIR --workers 1 2 4 8
    python bench/bench_batch.py --address auto --workers 8 16 32     # an existing cluster (shared storage)
    python bench/bench_batch.py --clips 2 --frames 10 --no-sfm       # a quick check that it runs

Ray is started once (or joined); each worker count then runs the whole folder into a fresh output
folder. Prints one JSON line per worker count: wall seconds (including the workers' start and
model loading), items/min over the wall time, steady items/min (from the first ready worker),
and the speed-up over the first count; then a summary line.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.batch.runner import BatchProgress, run_batch, start_ray  # noqa: E402


def make_clips(folder: Path, n: int, frames: int, fps: float = 20.0) -> list[Path]:
    """``n`` short synthetic clips (a capsule person in a textured room, a slowly moving camera)."""
    from app.engine.forensics import synth
    from app.viewers.video import write_video

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        t = np.arange(frames)[:, None] / fps
        joints = np.zeros((frames, 22, 3))
        joints[:, :, 1] = np.linspace(0.0, 1.7, 22)[None]
        joints[:, :, 0] = 0.3 * np.sin(2 * np.pi * (0.3 + 0.1 * i) * t)   # sway: a different clip each time
        frames_rgb, _ = synth.render_video(joints, synth.SceneSpec(width=320, height=180))
        path = folder / f"clip_{i:02d}.mp4"
        write_video(frames_rgb, path, fps)
        out.append(path)
    return out


def run_once(videos: Path, out: Path, workers: int, use_colmap: bool, timeout: float) -> dict:
    t0 = time.monotonic()
    last: BatchProgress | None = None
    gen = run_batch("inspect", [videos], out, workers=workers, timeout=timeout,
                    options={"use_colmap": use_colmap, "crop": None, "reference": None})
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            summary = stop.value
            break
        if isinstance(p, BatchProgress):
            last = p
    wall = time.monotonic() - t0
    n = summary.ok + summary.errors
    return {"workers": workers, "items": n, "ok": summary.ok, "errors": summary.errors, "wall_s": round(wall, 1),
            "items_per_min": round(60.0 * n / wall, 2) if wall > 0 else None,
            "steady_items_per_min": None if last is None or last.items_per_min is None else round(last.items_per_min, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", default=None, help="a folder of videos (default: make synthetic clips)")
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--frames", type=int, default=60, help="frames per synthetic clip (20 fps)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--address", default=None, help="an existing Ray cluster ('auto', ray://HOST:10001)")
    ap.add_argument("--no-sfm", action="store_true", help="skip incremental SfM (the slowest stage)")
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import ray

    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        videos = Path(args.videos) if args.videos else Path(tmp) / "videos"
        if not args.videos:
            make_clips(videos, args.clips, args.frames)
        t0 = time.monotonic()
        owned = start_ray(max(args.workers), args.address)
        ray_start = time.monotonic() - t0
        cpus = int(ray.cluster_resources().get("CPU", 0))
        results = []
        try:
            for w in args.workers:
                r = run_once(videos, Path(tmp) / f"out_{w}", w, not args.no_sfm, args.timeout)
                r["ray_start_s"] = round(ray_start, 1)
                r["speedup"] = round(r["items_per_min"] / results[0]["items_per_min"], 2) if results else 1.0
                results.append(r)
                print(json.dumps(r), flush=True)
        finally:
            if owned:
                ray.shutdown()
        print(json.dumps({"summary": {str(r["workers"]): r["items_per_min"] for r in results},
                          "cluster_cpus": cpus, "address": args.address or "local"}))


if __name__ == "__main__":
    main()
