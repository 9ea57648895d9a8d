"""Gaussian-splat benchmarks on CPU: tile rasteriser vs naive per-pixel reference, and avatar fitting.

* Rendering: 20,000 Gaussians sampled on the Anny rest mesh (the avatar initialisation, nearly
  opaque as after fitting), 512x512, front camera, inference mode; median over ``--frames``
  frames of the torch tile rasteriser, with the per-stage split (projection, tile binning and
  sorting, compositing).
* Naive reference in the same run: evaluating every Gaussian at every pixel at 512x512 would take
  minutes, so it runs on a reduced problem (``--naive-gaussians`` 2,000 Gaussians at
  ``--naive-size`` 128x128, also rendered by the tile rasteriser for a like-for-like speed-up and
  an accuracy check) and its 512x512 / 20k time is **extrapolated** linearly in
  (pixel, Gaussian) pairs; both figures are printed.
* Fitting (``--fit``): the first 5 s (150 frames) of ``assets/motions/default.npz``, end to end
  (body posing, mesh target renders, the ``multiview`` command's default fit settings, held-out
  evaluation); reports the wall time and PSNR / SSIM on training and held-out cameras, over the
  whole frame and inside the person mask, for the fitted avatar and for its un-fitted
  initialisation (Gaussians sampled on the textured mesh), so the gain of fitting is visible.
  ``--tiny`` runs a small configuration (1 s, 2 views, 30 steps, 64 px, 2,000 Gaussians) to check
  the pipeline in well under a minute.
* GPU numbers (gsplat.rasterization) are printed when CUDA is present.

    .venv/bin/python bench/bench_splats.py [--frames 10] [--threads 2] [--fit [--tiny]] [--steps N] [--no-render]
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


def _render_stages(g, vm, k, size: int, repeats: int) -> tuple[dict[str, float], object]:
    """Median seconds per stage of the torch path over ``repeats`` frames (after 2 warm-up frames)."""
    import torch

    from app.viewers.splats.gaussians import project
    from app.viewers.splats.raster import _bin, rasterize_projected

    vm_t, k_t = torch.as_tensor(vm, dtype=torch.float32), torch.as_tensor(k, dtype=torch.float32)
    bg = torch.zeros(3)
    rows: dict[str, list[float]] = {"projection": [], "binning + sort": [], "compositing": [], "total": []}
    img = None
    with torch.inference_mode():
        for i in range(repeats + 2):
            t0 = time.perf_counter()
            p = project(g, vm_t, k_t, size, size)
            t1 = time.perf_counter()
            _bin(p, size, size)
            t2 = time.perf_counter()
            img = rasterize_projected(p, size, size, bg)  # bins again inside
            t3 = time.perf_counter()
            if i >= 2:
                rows["projection"].append(t1 - t0)
                rows["binning + sort"].append(t2 - t1)
                rows["compositing"].append((t3 - t2) - (t2 - t1))
                rows["total"].append((t1 - t0) + (t3 - t2))
    return {k_: float(np.median(v)) for k_, v in rows.items()}, img


def bench_render(args, body, tex, rest) -> None:
    import torch

    from app.engine.avatar.model import GaussianAvatar
    from app.viewers.camera import preset
    from app.viewers.splats.gaussians import project
    from app.viewers.splats.raster import cuda_available, rasterize

    def avatar_gaussians(n: int):
        avatar = GaussianAvatar.from_mesh(rest, body.faces, tex.vertex_colors, n)
        with torch.no_grad():
            avatar.opacity_logits.fill_(6.0)  # fitted avatars are nearly opaque
            return avatar.gaussians(rest)

    g = avatar_gaussians(args.gaussians)
    s = args.size
    cam = preset("front", rest, aspect=1.0).to_camera()
    stages, img = _render_stages(g, cam.world_to_camera_cv(), cam.intrinsics(s, s), s, args.frames)
    print(f"torch tiles, {args.gaussians:,} Gaussians, {s}x{s}, {torch.get_num_threads()} thread(s): "
          + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in stages.items()))
    rows = [("torch tiles (CPU, inference mode)", f"{args.gaussians:,}", f"{s}x{s}", stages["total"], "measured")]

    # naive reference on a reduced problem, extrapolated per (pixel, Gaussian) pair
    ng, ns = args.naive_gaussians, args.naive_size
    g_small = avatar_gaussians(ng)
    vm_s, k_s = cam.world_to_camera_cv(), cam.intrinsics(ns, ns)
    with torch.inference_mode():
        p_small = project(g_small, torch.as_tensor(vm_s, dtype=torch.float32),
                          torch.as_tensor(k_s, dtype=torch.float32), ns, ns)
        t0 = time.perf_counter()
        ref = rasterize(g_small, vm_s, k_s, ns, ns, backend="naive")
        naive_s = time.perf_counter() - t0
        tiles_small = _render_stages(g_small, vm_s, k_s, ns, 3)[0]["total"]
        fast = rasterize(g_small, vm_s, k_s, ns, ns, backend="torch")
    err = float((fast.rgb - ref.rgb).abs().max())
    p_full = project(g, torch.as_tensor(cam.world_to_camera_cv(), dtype=torch.float32),
                     torch.as_tensor(cam.intrinsics(s, s), dtype=torch.float32), s, s)
    pairs_small, pairs_full = len(p_small.depths) * ns * ns, len(p_full.depths) * s * s
    naive_full = naive_s * pairs_full / pairs_small
    rows.append(("torch tiles (CPU, inference mode)", f"{ng:,}", f"{ns}x{ns}", tiles_small, "measured"))
    rows.append(("naive per-pixel reference (CPU)", f"{ng:,}", f"{ns}x{ns}", naive_s, "measured"))
    rows.append(("naive per-pixel reference (CPU)", f"{args.gaussians:,}", f"{s}x{s}", naive_full,
                 f"extrapolated x{pairs_full / pairs_small:.0f} pairs"))
    if cuda_available():
        gc = g.to("cuda")
        times = []
        for i in range(args.frames + 2):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            rasterize(gc, cam.world_to_camera_cv(), cam.intrinsics(s, s), s, s, backend="cuda")
            torch.cuda.synchronize()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        rows.append(("gsplat CUDA", f"{args.gaussians:,}", f"{s}x{s}", float(np.median(times)), "measured"))
    print("| renderer | Gaussians | size | s/frame | fps | |\n|---|---|---|---|---|---|")
    for name, n, size, sec, how in rows:
        print(f"| {name} | {n} | {size} | {sec:.4g} | {1 / sec:.3g} | {how} |")
    print(f"max |tiles - naive| at {ns}x{ns} = {err:.2e}; tiles vs naive speed-up: "
          f"{naive_s / tiles_small:.0f}x measured at {ns}x{ns}, {naive_full / stages['total']:.0f}x at {s}x{s} "
          f"(extrapolated); covered: {float((img.alpha > 0.5).float().mean()) * 100:.1f}% of the pixels")


def bench_fit(args, body) -> None:
    from app.core.motion_io import load_motion
    from app.engine.avatar.appearance import body_texture
    from app.engine.avatar.fit import FitConfig, fit_avatar
    from app.engine.jobs import run_task
    from app.engine.tasks.body_tasks import skin_clip
    from app.engine.tasks.multiview import MultiviewOptions

    clip = load_motion(ROOT / "assets" / "motions" / "default.npz")
    clip = clip.slice(0, int(round((1.0 if args.tiny else 5.0) * clip.fps)))
    opts = MultiviewOptions()
    steps = (30 if args.tiny else opts.fit_steps) if args.steps is None else args.steps
    if args.tiny:
        config = FitConfig(views=2, steps=steps, size=64, frames=2, num_gaussians=2000, held_out_views=2,
                           eval_init=True)
    else:
        config = FitConfig(views=opts.views, steps=steps, size=opts.size, num_gaussians=opts.gaussians, eval_init=True)
    t0 = time.perf_counter()
    verts = run_task(skin_clip, body, clip)
    t_pose = time.perf_counter() - t0
    res = run_task(fit_avatar, body_texture(body), body.rest_vertices(), body.faces, verts, config)
    total = time.perf_counter() - t0
    print(f"fit {clip.num_frames}-frame ({clip.num_frames / clip.fps:.1f} s) clip of default.npz: {total:.1f} s "
          f"end to end (posing {t_pose:.1f} s, then target renders + {steps} steps + held-out evaluation "
          f"{res.seconds:.1f} s); config {config}")
    print(fit_table(res.metrics))
    print(json.dumps(res.metrics, indent=1))


def fit_table(metrics: dict) -> str:
    """Markdown: PSNR / SSIM whole frame and inside the person mask, initialisation vs fitted."""
    rows = ["| avatar | cameras / frames | PSNR frame (dB) | PSNR person (dB) | SSIM frame | SSIM person |",
            "|---|---|---|---|---|---|"]
    names = {"train_views": "training", "held_out_views_train_frames": "held-out / training frames",
             "held_out_views_new_frames": "held-out / new frames"}
    for label, block in (("initialisation (not fitted)", metrics.get("init", {})), ("fitted", metrics)):
        for key, name in names.items():
            m = block.get(key)
            if m:
                rows.append(f"| {label} | {name} | {m['psnr']:.2f} | {m['psnr_mask']:.2f} | {m['ssim']:.3f} "
                            f"| {m['ssim_mask']:.3f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--gaussians", type=int, default=20000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--naive-gaussians", type=int, default=2000)
    ap.add_argument("--naive-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--no-render", action="store_true")
    ap.add_argument("--steps", type=int, default=None, help="fit steps (default: the multiview command's)")
    ap.add_argument("--tiny", action="store_true", help="with --fit: a small configuration (pipeline check)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.avatar.appearance import body_texture
    from app.engine.body import get_body

    body = get_body("anny")
    tex = body_texture(body)
    if not args.no_render:
        bench_render(args, body, tex, body.rest_vertices())
    if args.fit:
        bench_fit(args, body)


if __name__ == "__main__":
    main()
