"""Multi-view with Gaussian splats: fit an avatar to 2.5D renders, then render a ring of views per frame.

Writes into ``out_dir`` (staged like :mod:`app.engine.tasks.render2p5d`, ``metrics.json`` last):
``multiview.mp4`` (a grid of the N views), optionally ``views/view_00.mp4`` ..., ``ply/000000.ply``
(standard 3DGS .ply per frame), ``avatar.npz`` (the fitted avatar), ``cameras.json`` and
``metrics.json`` (PSNR / SSIM against mesh renders from held-out cameras, timings).
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generator

import numpy as np
import torch

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.avatar.appearance import Appearance, body_texture
from app.engine.avatar.fit import BACKGROUND, FitConfig, fit_avatar, rig_for, torch_threads
from app.engine.jobs import Progress
from app.engine.tasks.body_tasks import posed_body
from app.engine.tasks.render2p5d import StagedFolder, camera_record, check_size
from app.engine.tasks.steps import sub_task

log = logging.getLogger(__name__)

MAX_VIEWS = 64


@dataclass
class MultiviewOptions:
    views: int = 8
    fit_steps: int = 200
    size: int = 256
    gaussians: int = 12000
    per_view_files: bool = False
    write_ply: bool = True
    skin: str = "medium"
    clothing: str = "denim"
    fps: float | None = None
    threads: int | None = 1  # torch threads for fitting and rendering (see FitConfig.threads)


def grid_shape(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def fit_grid(n: int, width: int, height: int) -> tuple[int, int, int]:
    """(rows, cols, cell px) of square cells for n views that use a width x height area best."""
    best = (1, n, 0)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cell = min(width // cols, height // rows)
        if cell > best[2]:
            best = (rows, cols, cell)
    return best


def tile_views(images: list[np.ndarray], cols: int | None = None) -> np.ndarray:
    """Images [H, W, 3] -> one grid image (rows x cols, black padding; cols defaults to a square grid)."""
    rows, cols = grid_shape(len(images)) if cols is None else (math.ceil(len(images) / cols), cols)
    h, w = images[0].shape[:2]
    out = np.zeros((rows * h, cols * w, 3), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * h:(r + 1) * h, c * w:(c + 1) * w] = img
    return out


def render_views(avatar, vertices: np.ndarray, cameras: list, size: int) -> list[np.ndarray]:
    """Splat renders (uint8) of the posed avatar from each camera."""
    from app.viewers.splats.raster import rasterize

    out = []
    with torch.inference_mode():
        g = avatar.gaussians(vertices)
        for cam in cameras:
            img = rasterize(g, cam.world_to_camera_cv(), cam.intrinsics(size, size), size, size, BACKGROUND)
            out.append((img.rgb.clamp(0, 1) * 255).round().byte().numpy())
    return out


def multiview(clip: MotionClip, out_dir: str | Path, options: MultiviewOptions = MultiviewOptions(),
              body: Any = None, vertices: np.ndarray | None = None,
              body_name: str = "anny") -> Generator[Progress, None, dict[str, Any]]:
    """Task: fit, render and export (see the module notes); returns the metrics dict."""
    from app.viewers.splats.ply import write_ply
    from app.viewers.video import VideoWriter

    check_size(options.size, options.size)
    if not (1 <= options.views <= MAX_VIEWS):
        raise InvalidInputError(f"--views must be 1..{MAX_VIEWS}, got {options.views}")
    if options.fit_steps < 0:
        raise InvalidInputError(f"--fit-steps must be >= 0, got {options.fit_steps}")
    if clip.num_frames == 0:
        raise InvalidInputError("the clip has no frames")
    clip.validate()
    appearance = Appearance(options.skin, options.clothing)
    stage = StagedFolder(out_dir)
    writers: list = []
    try:
        body, vertices = yield from posed_body(clip, body_name, body, vertices, 0.0, 0.05, 0.1)
        tex = body_texture(body, appearance)
        config = FitConfig(views=options.views, steps=options.fit_steps, size=options.size,
                           num_gaussians=options.gaussians, threads=options.threads)
        fit = yield from sub_task(fit_avatar(tex, body.rest_vertices(), body.faces, vertices, config), 0.1, 0.6)
        fit.avatar.save(stage.path / "avatar.npz")
        cams, _, _ = rig_for(vertices, options.views)
        fps = options.fps or clip.fps
        grid_w = VideoWriter(stage.path / "multiview.mp4", fps)
        writers.append(grid_w)
        view_ws = []
        if options.per_view_files:
            (stage.path / "views").mkdir()
            view_ws = [VideoWriter(stage.path / "views" / f"view_{i:02d}.mp4", fps) for i in range(len(cams))]
            writers += view_ws
        if options.write_ply:
            (stage.path / "ply").mkdir()
        n = clip.num_frames
        start = time.monotonic()
        for i in range(n):
            with torch_threads(options.threads):
                imgs = render_views(fit.avatar, vertices[i], cams, options.size)
            grid_w.append(tile_views(imgs))
            for w, img in zip(view_ws, imgs):
                w.append(img)
            if options.write_ply:
                with torch.no_grad():
                    write_ply(fit.avatar.gaussians(vertices[i]).detach(), stage.path / "ply" / f"{i:06d}.ply")
            yield Progress(0.6 + 0.4 * (i + 1) / n, f"rendering views, frame {i + 1}/{n}")
        render_s = time.monotonic() - start
        for w in writers:
            w.close()
        record = camera_record(cams, options.size, options.size, fps, 0.0, 0.0)
        record.pop("depth_vis_range_m")
        record.pop("depth_vis_colormap")
        record["world_to_camera"] = {f"view_{i:02d}": m for i, m in enumerate(record["world_to_camera"])}
        (stage.path / "cameras.json").write_text(json.dumps(record, indent=1))
        metrics = dict(fit.metrics)
        metrics.update({"render_seconds": round(render_s, 1), "frames": n,
                        "render_fps_views": round(n * len(cams) / max(render_s, 1e-6), 2),
                        "options": asdict(options), "fit_frames": fit.metrics.get("frames")})
        (stage.path / "metrics.json").write_text(json.dumps(metrics, indent=1))
        stage.commit(last="metrics.json")
    except BaseException:
        for w in writers:
            w.abort()
        stage.abort()
        raise
    yield Progress(1.0, "multi-view written")
    return metrics
