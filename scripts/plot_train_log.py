"""Plot a training log (train_log.jsonl of app.engine.t2m.train) to a PNG: losses against step.

    .venv/bin/python scripts/plot_train_log.py models/atom/train_log.jsonl --out models/atom/loss.png
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--keys", nargs="+", default=["rec", "joint", "kl", "val_loss"])
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in args.log.read_text().splitlines() if line.strip()]
    fig, axes = plt.subplots(1, len(args.keys), figsize=(3.2 * len(args.keys), 2.6), dpi=100)
    for ax, key in zip(axes, args.keys):
        pts = [(r["step"], r[key]) for r in rows if key in r]
        if pts:
            ax.plot(*zip(*pts), lw=1)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        if key == "kl":
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
