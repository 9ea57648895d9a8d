"""Merge two exported ATOM models in weight space (WiSE-FT): (1 - alpha) * A + alpha * B.

    python scripts/merge_atom.py models/atom .cache/t2m/snap/s31/atom --alpha 0.25 0.5 0.75 --out .cache/t2m/snap/wise

writes one export per alpha under ``OUT/a025/atom`` etc. (the layout ``bench/bench_t2m.py --models-dir`` reads).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.t2m.merge import MergeError, merge_exports  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="first export (alpha 0)")
    ap.add_argument("b", help="second export (alpha 1)")
    ap.add_argument("--alpha", type=float, nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        for alpha in args.alpha:
            merge_exports(args.a, args.b, alpha, Path(args.out) / f"a{round(alpha * 100):03d}" / "atom")
    except MergeError as e:
        logging.error("cannot merge: %s", e)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
