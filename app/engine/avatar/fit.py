"""Fitting a Gaussian avatar to 2.5D mesh renders of a clip from several cameras (an engine task).

Targets: RGB, depth and person mask rendered with the textured mesh renderer
(lights fixed in the world so all views agree) from ``views`` ring cameras on
``frames`` frames spread over the clip. Each step renders one random
(frame, camera) pair with the torch tile rasteriser (gsplat on CUDA) and takes an
Adam step on L1 + 0.2 (1 - SSIM-lite) + depth L1 (inside the mask) + mask L1.
Evaluation uses held-out cameras (a ring rotated by half a step, at another
height) on the training frames and on frames not used for fitting; PSNR / SSIM are given over
the whole frame and inside the person mask (``psnr_mask``, ``ssim_mask``: the black background
inflates the whole-frame figures), and with ``FitConfig.eval_init`` also for the un-fitted
initialisation (``metrics["init"]``), so the gain of fitting is visible.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generator, Iterator

import numpy as np
import torch

from app.engine.avatar.appearance import BodyTexture
from app.engine.avatar.metrics import psnr, ssim
from app.engine.avatar.model import GaussianAvatar, ring_cameras
from app.engine.jobs import Progress
from app.viewers.camera import Camera
from app.viewers.splats.raster import rasterize

log = logging.getLogger(__name__)

BACKGROUND = (0.0, 0.0, 0.0)


@dataclass
class FitConfig:
    views: int = 8
    steps: int = 300
    size: int = 256
    frames: int = 8
    num_gaussians: int = 15000
    sh_degree: int = 1
    held_out_views: int = 4
    seed: int = 0
    eval_init: bool = False  # also evaluate the initial (un-fitted) avatar: metrics["init"]
    # torch intra-op threads while fitting (restored afterwards; None keeps the process setting). One
    # thread is the robust choice on a shared 2-core CPU: with 2, the many small ops of a step wait on
    # OpenMP barriers whenever another process holds a core (measured 8-16 s a step instead of 0.16 s).
    threads: int | None = 1


@dataclass
class FitResult:
    avatar: GaussianAvatar
    metrics: dict[str, Any] = field(default_factory=dict)
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def rig_for(vertices: np.ndarray, views: int, held_out: int = 4) -> tuple[list[Camera], list[Camera], np.ndarray]:
    """Training ring, held-out ring (rotated half a step, higher) and the rig centre for a clip's vertices."""
    lo, hi = vertices.reshape(-1, 3).min(0), vertices.reshape(-1, 3).max(0)
    center = (lo + hi) / 2.0
    height = float(hi[1] - lo[1])
    radius = max(2.2, 1.6 * max(height, float(np.linalg.norm((hi - lo)[[0, 2]]))) + 0.5)
    train = ring_cameras(center, radius, views, pitch_deg=8.0)
    held = ring_cameras(center, radius, max(1, held_out), pitch_deg=22.0, yaw0_deg=180.0 / max(views, 1))
    return train, held, center


def render_targets(renderer, texture: BodyTexture, faces: np.ndarray, vertices: np.ndarray,
                   cameras: list[Camera]) -> list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Mesh renders [frame][camera] -> (rgb uint8, depth, mask) with world-fixed lights on black."""
    from app.viewers.textured import Backdrop

    renderer.set_texture(texture.texture, texture.uv, texture.uv_faces, texture.vertex_index)
    renderer.set_lights("studio", world=True)
    backdrop = Backdrop("color", color=BACKGROUND)
    return [[renderer.render_frame(v, faces, cam, backdrop) for cam in cameras] for v in vertices]


def _to_torch(target) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rgb, depth, mask = target
    return (torch.from_numpy(rgb).float() / 255.0, torch.from_numpy(depth).float(),
            torch.from_numpy(mask.astype(np.float32)))


def _camera_tensors(cam: Camera, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.tensor(cam.world_to_camera_cv(), dtype=torch.float32),
            torch.tensor(cam.intrinsics(size, size), dtype=torch.float32))


def evaluate(avatar: GaussianAvatar, vertices: np.ndarray, targets, cameras: list[Camera],
             size: int) -> dict[str, float]:
    """Mean PSNR / SSIM of splat renders against mesh renders (lists over frames x cameras), over the
    whole frame and inside the mesh render's person mask (``psnr_mask``, ``ssim_mask``)."""
    rows: dict[str, list[float]] = {"psnr": [], "ssim": [], "psnr_mask": [], "ssim_mask": []}
    with torch.no_grad():
        for f, verts in enumerate(vertices):
            g = avatar.gaussians(verts)
            for c, cam in enumerate(cameras):
                vm, k = _camera_tensors(cam, size)
                img = rasterize(g, vm, k, size, size, BACKGROUND).rgb.clamp(0, 1)
                ref, _, mask = _to_torch(targets[f][c])
                rows["psnr"].append(psnr(img, ref))
                rows["ssim"].append(float(ssim(img, ref)))
                rows["psnr_mask"].append(psnr(img, ref, mask))
                rows["ssim_mask"].append(float(ssim(img, ref, mask=mask)))
    out = {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in rows.items()}
    return {**out, "images": len(rows["psnr"])}


def _evaluate_all(avatar: GaussianAvatar, vertices: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray,
                  views: tuple, size: int) -> dict[str, dict[str, float]]:
    targets, held_train, held_test, train_cams, held_cams = views
    out = {"train_views": evaluate(avatar, vertices[train_idx], targets, train_cams, size),
           "held_out_views_train_frames": evaluate(avatar, vertices[train_idx], held_train, held_cams, size)}
    if len(test_idx):
        out["held_out_views_new_frames"] = evaluate(avatar, vertices[test_idx], held_test, held_cams, size)
    return out


def fit_avatar(texture: BodyTexture, rest_vertices: np.ndarray, faces: np.ndarray, vertices: np.ndarray,
               config: FitConfig = FitConfig()) -> Generator[Progress, None, FitResult]:
    """Task: fit an avatar to mesh renders of ``vertices`` [T, V, 3]; returns a :class:`FitResult`."""
    from app.viewers.textured import TexturedMeshRenderer

    if len(vertices) == 0:
        raise ValueError("no frames to fit")
    start = time.monotonic()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    t = len(vertices)
    train_idx = np.unique(np.linspace(0, t - 1, min(config.frames, t)).round().astype(int))
    test_idx = np.setdiff1d(np.unique(np.linspace(0, t - 1, 2 * min(config.frames, t) + 1).round().astype(int)),
                            train_idx)[:4]
    train_cams, held_cams, _ = rig_for(vertices, config.views, config.held_out_views)
    yield Progress(0.0, "rendering training views")
    renderer = TexturedMeshRenderer(config.size, config.size)
    try:
        targets = render_targets(renderer, texture, faces, vertices[train_idx], train_cams)
        held_train = render_targets(renderer, texture, faces, vertices[train_idx], held_cams)
        held_test = render_targets(renderer, texture, faces, vertices[test_idx], held_cams) if len(test_idx) else []
    finally:
        renderer.close()
    tt = [[_to_torch(x) for x in row] for row in targets]
    cams_t = [_camera_tensors(c, config.size) for c in train_cams]
    avatar = GaussianAvatar.from_mesh(rest_vertices, faces, texture.vertex_colors, config.num_gaussians,
                                      config.sh_degree, config.seed)
    opt = torch.optim.Adam([
        {"params": [avatar.offsets], "lr": 2e-4}, {"params": [avatar.log_scales], "lr": 5e-3},
        {"params": [avatar.quats], "lr": 1e-3}, {"params": [avatar.opacity_logits], "lr": 2.5e-2},
        {"params": [avatar.sh], "lr": 5e-3}])
    verts_t = torch.as_tensor(vertices[train_idx], dtype=torch.float32)
    views = (targets, held_train, held_test, train_cams, held_cams)
    init_metrics = None
    if config.eval_init:
        yield Progress(0.04, "evaluating the initial avatar")
        with torch_threads(config.threads):
            init_metrics = _evaluate_all(avatar, vertices, train_idx, test_idx, views, config.size)
    yield Progress(0.05, "fitting")
    with torch_threads(config.threads):
        losses = yield from _fit_steps(avatar, opt, config, rng, tt, cams_t, verts_t, len(train_idx),
                                       len(train_cams))
    yield Progress(0.9, "evaluating held-out cameras")
    with torch_threads(config.threads):
        metrics: dict[str, Any] = _evaluate_all(avatar, vertices, train_idx, test_idx, views, config.size)
    if init_metrics is not None:
        metrics["init"] = init_metrics
    seconds = time.monotonic() - start
    metrics.update({"steps": config.steps, "gaussians": len(avatar), "size": config.size, "views": config.views,
                    "frames": [int(i) for i in train_idx], "seconds": round(seconds, 1)})
    log.info("avatar fitted in %.1f s: %s", seconds, metrics)
    yield Progress(1.0, "avatar ready")
    return FitResult(avatar, metrics, losses, seconds)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op thread count (process-wide; None = leave it)."""
    prev = torch.get_num_threads()
    if n is not None and n != prev:
        torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        if n is not None and n != prev:
            torch.set_num_threads(prev)


def _fit_steps(avatar: GaussianAvatar, opt, config: FitConfig, rng, tt, cams_t, verts_t, n_frames: int,
               n_cams: int) -> Generator[Progress, None, list[float]]:
    losses: list[float] = []
    for step in range(config.steps):
        f, c = int(rng.integers(n_frames)), int(rng.integers(n_cams))
        rgb_t, depth_t, mask_t = tt[f][c]
        g = avatar.gaussians(verts_t[f])
        out = rasterize(g, cams_t[c][0], cams_t[c][1], config.size, config.size, BACKGROUND, backend="auto")
        l1 = (out.rgb - rgb_t).abs().mean()
        loss = l1 + 0.2 * (1.0 - ssim(out.rgb, rgb_t, lite=True))
        loss = loss + 0.5 * ((out.depth - depth_t).abs() * mask_t).sum() / mask_t.sum().clamp_min(1.0)
        loss = loss + 0.1 * (out.alpha - mask_t).abs().mean()
        loss = loss + 1e-2 * avatar.offsets.norm(dim=-1).mean()  # stay near the surface
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            avatar.log_scales.clamp_(max=np.log(0.05))
        losses.append(float(loss.detach()))
        yield Progress(0.05 + 0.85 * (step + 1) / config.steps, f"fitting step {step + 1}/{config.steps} "
                       f"loss {np.mean(losses[-20:]):.4f}")
    return losses
