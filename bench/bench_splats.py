"""Gaussian-splat benchmarks on CPU: tile rasteriser vs naive per-pixel reference, and avatar fitting.

* Rendering: 20,000 Gaussians sampled on the Anny rest mesh (the avatar initialisation),
  512x512, front camera, no autograd; median over frames for the torch tile rasteriser;
  one frame of the naive per-pixel reference (every Gaussian at every pixel) in the same run.
* Fitting (``--fit``): a 5 s (150-frame) clip, 8 training cameras, 8 frames, fitting at
  256x256 for ``--steps`` steps; reports the wall time and held-out PSNR / SSIM.
* GPU numbers (gsplat.rasterization) are printed when CUDA is present.

    .venv/bin/python bench/bench_splats.py [--frames 10] [--fit] [--steps 200]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def five_second_clip(skeleton):
    from app.core.motion import MotionClip

    t = 150
    ph = np.linspace(0, 4 * np.pi, t)
    rot = np.zeros((t, 22, 3))
    rot[:, 1, 0], rot[:, 2, 0] = -0.5 * np.sin(ph), 0.5 * np.sin(ph)      # hips swing
    rot[:, 4, 0], rot[:, 5, 0] = 0.6 * np.clip(np.sin(ph), 0, None), 0.6 * np.clip(-np.sin(ph), 0, None)
    rot[:, 16, 2], rot[:, 17, 2] = -1.2, 1.2                               # arms down
    rot[:, 16, 0], rot[:, 17, 0] = 0.4 * np.sin(ph), -0.4 * np.sin(ph)
    rot[:, 0, 1] = np.linspace(0, np.pi / 2, t)                            # a quarter turn
    trans = np.zeros((t, 3))
    trans[:, 1] = 0.93
    trans[:, 2] = np.linspace(0, 1.0, t)
    return MotionClip(fps=30.0, trans=trans, rotations=rot, skeleton=skeleton)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--gaussians", type=int, default=20000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--no-naive", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    from app.engine.avatar.appearance import body_texture
    from app.engine.avatar.model import GaussianAvatar
    from app.engine.body import get_body
    from app.viewers.camera import preset
    from app.viewers.splats.raster import cuda_available, rasterize

    body = get_body("anny")
    tex = body_texture(body)
    rest = body.rest_vertices()
    avatar = GaussianAvatar.from_mesh(rest, body.faces, tex.vertex_colors, args.gaussians)
    with torch.no_grad():
        avatar.opacity_logits.fill_(6.0)  # fitted avatars are nearly opaque
        g = avatar.gaussians(rest)
    s = args.size
    cam = preset("front", rest, aspect=1.0).to_camera()
    vm, k = cam.world_to_camera_cv(), cam.intrinsics(s, s)
    rows = []
    with torch.no_grad():
        times = []
        for i in range(args.frames + 2):
            t0 = time.perf_counter()
            img = rasterize(g, vm, k, s, s, backend="torch")
            if i >= 2:
                times.append(time.perf_counter() - t0)
        med = float(np.median(times))
        rows.append(("torch tiles (CPU)", med))
        if not args.no_naive:
            t0 = time.perf_counter()
            ref = rasterize(g, vm, k, s, s, backend="naive")
            rows.append(("naive per-pixel (CPU)", time.perf_counter() - t0))
            print(f"max |tiles - naive| = {float((img.rgb - ref.rgb).abs().max()):.2e}")
        if cuda_available():
            gc = g.to("cuda")
            for i in range(args.frames + 2):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                rasterize(gc, vm, k, s, s, backend="cuda")
                torch.cuda.synchronize()
            rows.append(("gsplat CUDA", time.perf_counter() - t0))
    print(f"| renderer | Gaussians | size | s/frame | fps |\n|---|---|---|---|---|")
    for name, sec in rows:
        print(f"| {name} | {args.gaussians:,} | {s}x{s} | {sec:.3f} | {1 / sec:.2f} |")
    print(f"(covered: {float((img.alpha > 0.5).float().mean()) * 100:.1f}% of the pixels)")
    if args.fit:
        from app.engine.avatar.fit import FitConfig, fit_avatar
        from app.engine.jobs import run_task

        clip = five_second_clip(body.skeleton_smpl22())
        t0 = time.perf_counter()
        verts = body.pose(clip)
        res = run_task(fit_avatar, tex, rest, body.faces, verts, FitConfig(steps=args.steps, num_gaussians=12000))
        total = time.perf_counter() - t0
        print(f"fit 5 s clip: {total:.1f} s total (posing + target renders + {args.steps} steps + evaluation)")
        print(json.dumps(res.metrics, indent=1))


if __name__ == "__main__":
    main()
