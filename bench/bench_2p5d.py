"""2.5D rendering benchmark: textured Anny body at 512x512 with RGB + depth + person mask per frame.

Per frame: pose-changing vertices (a rotating copy of the rest mesh), normals, seam-split
upload, textured draw, RGB + depth readback, mask (analytic ground/wall test for the
scene backdrop) and the depth colour map. Needs the prepared Anny model.

    .venv/bin/python bench/bench_2p5d.py [--frames 60] [--size 512]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", type=int, default=512)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    from app.engine.avatar.appearance import body_texture
    from app.engine.body import get_body
    from app.viewers.camera import preset
    from app.viewers.depth import colorize_depth
    from app.viewers.textured import Backdrop, TexturedMeshRenderer

    body = get_body("anny")
    tex = body_texture(body)
    rest = body.rest_vertices()
    cam = preset("front", rest, aspect=1.0).to_camera()
    r = TexturedMeshRenderer(args.size, args.size)
    r.set_texture(tex.texture, tex.uv, tex.uv_faces, tex.vertex_index)
    print(f"GL: {r.info}")
    print("| backdrop | size | frames | ms/frame (median) | fps | with depth colour map fps |")
    print("|---|---|---|---|---|---|")
    for kind in ("color", "scene"):
        backdrop = Backdrop(kind)
        times, times_vis = [], []
        for i in range(args.frames + 3):
            a = 0.02 * i
            rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]], np.float32)
            verts = rest @ rot.T
            t0 = time.perf_counter()
            rgb, depth, mask = r.render_frame(verts, body.faces, cam, backdrop)
            t1 = time.perf_counter()
            colorize_depth(depth, 2.0, 6.0)
            t2 = time.perf_counter()
            if i >= 3:
                times.append(t1 - t0)
                times_vis.append(t2 - t0)
        med, med_v = float(np.median(times)), float(np.median(times_vis))
        print(f"| {kind} | {args.size}x{args.size} | {args.frames} | {med * 1000:.1f} | {1 / med:.1f} | "
              f"{1 / med_v:.1f} |")
    r.close()


if __name__ == "__main__":
    main()
