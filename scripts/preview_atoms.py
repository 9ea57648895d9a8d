"""Contact sheets of the procedural atoms: side and front orthographic views of skeleton frames.

Usage: .venv/bin/python scripts/preview_atoms.py [atom ...] [--out /tmp/atoms_preview] [--frames 8]
Writes one PNG per atom (and one per random composition with --compose N).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from app.core.skeleton import SMPL22_PARENTS  # noqa: E402
from app.engine.corpus import ATOMS, generate, random_composition  # noqa: E402

log = logging.getLogger("preview_atoms")
LEFT = {1, 4, 7, 10, 13, 16, 18, 20}
RIGHT = {2, 5, 8, 11, 14, 17, 19, 21}


COL = {"L": (200, 90, 20), "R": (30, 30, 210), "C": (30, 30, 30)}  # BGR: left blue, right red
SCALE = 110  # pixels per metre
CELL = 150


def _draw(img: np.ndarray, pts2: np.ndarray, ox: int, oy: int) -> None:
    def px(p):
        return int(ox + p[0] * SCALE), int(oy - p[1] * SCALE)
    for j, p in enumerate(SMPL22_PARENTS):
        if p < 0:
            continue
        c = COL["L"] if j in LEFT else COL["R"] if j in RIGHT else COL["C"]
        cv2.line(img, px(pts2[p]), px(pts2[j]), c, 2, cv2.LINE_AA)
    cv2.circle(img, px(pts2[15]), 5, COL["C"], 1, cv2.LINE_AA)


def sheet(clip, path: str, frames: int = 8) -> None:
    """Rows: side view (+Z to the right) and front view (body's left on screen right), root-centred;
    a third row shows the top view of the feet and root path."""
    j = clip.joints()
    idx = np.linspace(0, clip.num_frames - 1, frames).round().astype(int)
    h = 2 * 270 + 200 + 40
    img = np.full((h, frames * CELL + 20, 3), 255, np.uint8)
    yaw0 = clip.facing_angle(0)
    c, s = np.cos(-yaw0), np.sin(-yaw0)
    for k, i in enumerate(idx):
        pts = j[i] - [j[i, 0, 0], 0.0, j[i, 0, 2]]
        pts = pts @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])  # undo the initial heading
        ox = 10 + k * CELL + CELL // 2
        _draw(img, pts[:, [2, 1]], ox, 40 + 250)
        _draw(img, pts[:, [0, 1]] * [-1, 1], ox, 40 + 520)
        cv2.putText(img, f"{i / clip.fps:.2f}s", (ox - 20, 40 + 270), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    for y in (40 + 250, 40 + 520):
        cv2.line(img, (0, y), (img.shape[1], y), (160, 160, 160), 1)
    # top view: root path (grey) and ankles (blue/red), X to the right = body's right at frame 0 mirrored
    top = j[:, [0, 7, 8]][..., [0, 2]]
    lo, hi = top.reshape(-1, 2).min(0) - 0.2, top.reshape(-1, 2).max(0) + 0.2
    sc = min(180 / max(hi[1] - lo[1], 1e-3), (img.shape[1] - 20) / max(hi[0] - lo[0], 1e-3), 120)
    for k, col in ((0, (120, 120, 120)), (1, COL["L"]), (2, COL["R"])):
        p = top[:, k]
        q = np.stack([10 + (hi[0] - p[:, 0]) * sc, h - 10 - (p[:, 1] - lo[1]) * sc], -1).astype(np.int32)
        cv2.polylines(img, [q], False, col, 1, cv2.LINE_AA)
    cv2.putText(img, f"{clip.name}: {clip.text}"[:110], (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    cv2.imwrite(path, img)


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
