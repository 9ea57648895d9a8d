"""Build IDOL's training/test clips with the 2.5D renderer (fixed seed, resumable shards).

    nice -n 19 .venv/bin/python scripts/build_idol_data.py --train 40 --test 8            # a small set
    nice -n 19 .venv/bin/python scripts/build_idol_data.py --train 2000 --test 200        # the full CPU set

Clip ``j`` of a split is drawn from ``default_rng([seed, split_code, j])`` alone, so a shard's content
never depends on what was built before; existing shards are skipped (rerun to resume). Train clips use
corpus train motions (procedural and real mocap), test clips held-out corpus test motions and held-out
clothing and background hue bands (``app/engine/idol/render_data.py``). Recipe: docs/data.md, "IDOL data".
Timing (wall and CPU seconds per clip) goes to ``build_stats.json`` in the output folder.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("build_idol_data")
SPLIT_CODE = {"train": 1, "test": 2}
REAL_SHARE = 0.3


def motion_pool(split: str, min_frames: int) -> tuple[list, list]:
    """(procedural, real) corpus items of the split long enough for one clip."""
    from app.engine.corpus.dataset import load_corpus

    items = [it for it in load_corpus(split=split) if it.clip.num_frames >= min_frames]
    return [it for it in items if it.source != "real"], [it for it in items if it.source == "real"]


def build_split(split: str, count: int, args, renderer, out: Path, stats: dict) -> None:
    from app.engine.idol.data import shard_path, write_shard
    from app.engine.idol.render_data import STRIDE, sample_spec, spec_dict

    proc, real = motion_pool(split, args.frames * STRIDE)
    log.info("%s: %d procedural + %d real motions", split, len(proc), len(real))
    for shard in range((count + args.shard_size - 1) // args.shard_size):
        path = shard_path(out, split, shard)
        if path.is_file():
            continue
        clips, specs = [], []
        for j in range(shard * args.shard_size, min(count, (shard + 1) * args.shard_size)):
            rng = np.random.default_rng([args.seed, SPLIT_CODE[split], j])
            pool = real if real and rng.uniform() < REAL_SHARE else proc
            item = pool[int(rng.integers(len(pool)))]
            spec = sample_spec(rng, item.id, item.clip.num_frames, args.frames, split)
            t0, c0 = time.monotonic(), time.process_time()
            clips.append(renderer.render(spec, item.clip, args.frames))
            stats["wall_s"] += time.monotonic() - t0
            stats["cpu_s"] += time.process_time() - c0
            stats["clips"] += 1
            specs.append(spec_dict(spec))
        write_shard(path, clips, specs)
        log.info("%s: %d clips, %.1f s wall / %.1f s CPU per clip so far", path.name, len(clips),
                 stats["wall_s"] / max(stats["clips"], 1), stats["cpu_s"] / max(stats["clips"], 1))
        if args.max_minutes and time.monotonic() - stats["t_start"] > args.max_minutes * 60:
            log.info("time limit reached; rerun to resume")
            return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / ".cache" / "idol" / "data"))
    ap.add_argument("--train", type=int, default=40, help="train clips")
    ap.add_argument("--test", type=int, default=8, help="test clips")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--frames", type=int, default=16, help="frames per clip at 10 fps")
    ap.add_argument("--shard-size", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop after the shard that passes this")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.body import get_body
    from app.engine.idol.render_data import ClipRenderer

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    recipe = {"size": args.size, "frames": args.frames, "seed": args.seed, "shard_size": args.shard_size}
    if manifest.is_file() and json.loads(manifest.read_text())["recipe"] != recipe:
        raise SystemExit(f"{out} was built with another recipe ({manifest}); use another --out")
    manifest.write_text(json.dumps({"recipe": recipe, "train": args.train, "test": args.test}, indent=1))
    t0, c0 = time.monotonic(), time.process_time()
    renderer = ClipRenderer(get_body("anny"), args.size)
    setup = {"wall_s": time.monotonic() - t0, "cpu_s": time.process_time() - c0}
    stats = {"clips": 0, "wall_s": 0.0, "cpu_s": 0.0, "t_start": time.monotonic()}
    try:
        for split, count in (("test", args.test), ("train", args.train)):
            build_split(split, count, args, renderer, out, stats)
    finally:
        renderer.close()
    n = max(stats["clips"], 1)
    record = {"clips_built": stats["clips"], "setup": setup, "wall_s_per_clip": stats["wall_s"] / n,
              "cpu_s_per_clip": stats["cpu_s"] / n, "clips_per_min_cpu": 60.0 * n / max(stats["cpu_s"], 1e-9),
              "threads": args.threads, "recipe": recipe}
    (out / "build_stats.json").write_text(json.dumps(record, indent=1))
    log.info("%s", json.dumps(record))


if __name__ == "__main__":
    main()
