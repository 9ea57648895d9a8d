"""Contact sheets of the procedural atoms: side and front orthographic views of skeleton frames.

Usage: .venv/bin/python scripts/preview_atoms.py [atom ...] [--out /tmp/atoms_preview] [--frames 8]
Writes one PNG per atom (and one per random composition with --compose N).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from app.core.skeleton import SMPL22_PARENTS  # noqa: E402
from app.engine.corpus import ATOMS, generate, random_composition  # noqa: E402

log = logging.getLogger("preview_atoms")
LEFT = {1, 4, 7, 10, 13, 16, 18, 20}
RIGHT = {2, 5, 8, 11, 14, 17, 19, 21}


def _draw(ax, pts: np.ndarray, a: int, b: int, dx: float, alpha: float) -> None:
    for j, p in enumerate(SMPL22_PARENTS):
        if p < 0:
            continue
        c = "tab:blue" if j in LEFT else "tab:red" if j in RIGHT else "k"
        ax.plot([pts[p, a] + dx, pts[j, a] + dx], [pts[p, b], pts[j, b]], color=c, lw=1.6, alpha=alpha)
    ax.plot(pts[15, a] + dx, pts[15, b], "o", color="k", ms=4, alpha=alpha)


def sheet(clip, path: str, frames: int = 8) -> None:
    """Side view (Z right, body-local) and front view (X) of `frames` evenly spaced frames."""
    j = clip.joints()
    idx = np.linspace(0, clip.num_frames - 1, frames).round().astype(int)
    fig, axes = plt.subplots(2, 1, figsize=(frames * 1.5, 6.5))
    travel = j[:, 0, [0, 2]]
    for row, (a, name) in enumerate(((2, "side (Z ->)"), (0, "front (X <- left)"))):
        ax = axes[row]
        for k, i in enumerate(idx):
            pts = j[i].copy()
            pts[:, [0, 2]] -= travel[i][None] * [1, 1]
            if a == 0:
                pts[:, 0] = -pts[:, 0]  # viewer faces the body: its left on screen right
            _draw(ax, pts, a, 1, k * 1.3, 1.0)
            ax.text(k * 1.3, -0.12, f"{i / clip.fps:.2f}s", ha="center", fontsize=7)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_aspect("equal")
        ax.set_ylim(-0.2, 2.3)
        ax.set_xlim(-0.8, (frames - 1) * 1.3 + 0.8)
        ax.set_title(f"{name}", fontsize=8, loc="left")
        ax.axis("off")
    # top view of the root path and feet
    fig.suptitle(f"{clip.name}: {clip.text}"[:150], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("atoms", nargs="*")
    ap.add_argument("--out", default="/tmp/atoms_preview")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--compose", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    names = args.atoms or ([] if args.compose else list(ATOMS))
    for name in names:
        clip = generate(name, rng=rng)
        sheet(clip, os.path.join(args.out, f"{name}.png"), args.frames)
        log.info("%s: %.1fs %s", name, clip.duration, clip.text)
    for k in range(args.compose):
        clip = random_composition(rng)
        sheet(clip, os.path.join(args.out, f"compose_{k}.png"), max(args.frames, 10))
        log.info("compose %d: %s", k, clip.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
