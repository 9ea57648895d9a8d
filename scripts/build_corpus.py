"""Build the training corpus: data/corpus/corpus.npz, splits.json, stats.json.

    .venv/bin/python scripts/build_corpus.py --n 6000 --seed 0 --workers 2

Deterministic for a seed (each procedural sample depends only on (seed, index)); real mocap
windows are read from data/real/real_mocap.npz when present. See docs/data.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.corpus.dataset import DEFAULT_DIR, build_corpus  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_DIR))
    ap.add_argument("--n", type=int, default=6000, help="number of procedural samples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--real", default=None, help="real mocap npz (default data/real/real_mocap.npz)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    stats = build_corpus(args.out, n=args.n, seed=args.seed, workers=args.workers, real_path=args.real)
    size = sum(p.stat().st_size for p in Path(args.out).iterdir() if p.is_file())
    print(json.dumps(stats, indent=1))
    print(f"built in {time.perf_counter() - start:.0f} s, {size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
