"""IdolPipeline: model + scheduler (+ the two-stage baseline's depth estimator), diffusers-style.

``IdolPipeline.from_pretrained(folder)`` / ``save_pretrained(folder)`` use a local folder only
(never the hub): ``idol.json`` (the :class:`IdolConfig` and training notes), ``unet/`` (a
diffusers model folder), ``scheduler/scheduler_config.json`` and, for the two-stage baseline,
``depth_estimator/``. Sampling is DDIM (the model's ``sampler`` and ``sample_steps``: 20 steps) or
DPM-Solver++ (2M, 10 steps by default: twice as fast, slightly more flicker on the benchmark) with
classifier-free guidance over all conditions, on the U-Net's inference fast path (``fast.py``:
step-invariant reference features computed once per run), in the model's ``precision`` (``bf16``
autocast where the CPU or GPU has bf16 kernels: 1.5x a step on AVX512-BF16, the same benchmark
figures; fp32 elsewhere); the same seed gives the same frames bit for bit on one machine (fixed CPU
generator, deterministic solvers).
"""
from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler

from app.core.errors import InvalidInputError
from app.engine.idol import check_model_dir
from app.engine.idol.config import IdolConfig
from app.engine.idol.unet import IdolUNet, depth_estimator, estimate_depth
from app.engine.jobs import drain

log = logging.getLogger(__name__)

SAMPLERS = ("ddim", "dpm")
DPM_STEPS = 10   # DPM-Solver++ 2M's default steps (docs/benchmarks.md, IDOL: vs DDIM 20)
PRECISIONS = ("fp32", "bf16")


def bf16_supported(device: str = "cpu") -> bool:
    """Whether ``device`` runs bf16 convolutions and matmuls natively (oneDNN on the CPU, CUDA)."""
    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False

@dataclass
class Conditions:
    """One clip's conditions, uint8 RGB: pose [T, S, S, 3], background [T, S, S, 3], reference [S, S, 3]."""

    pose: np.ndarray
    background: np.ndarray
    reference: np.ndarray


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 [..., H, W, 3] -> float [..., 3, H, W] in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(img)).float() / 127.5 - 1.0
    return t.movedim(-1, -3)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [..., 3, H, W] in [-1, 1] -> uint8 [..., H, W, 3]."""
    return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).movedim(-3, -1).cpu().numpy()


def noise_scheduler(cfg: IdolConfig) -> DDPMScheduler:
    """The training noise schedule (its config is what the samplers are built from)."""
    return DDPMScheduler(num_train_timesteps=cfg.train_timesteps, beta_schedule=cfg.beta_schedule,
                         prediction_type=cfg.prediction_type, clip_sample=False)


def build_unet(cfg: IdolConfig) -> IdolUNet:
    return IdolUNet(size=cfg.size, channels=cfg.channels, layers_per_block=cfg.layers_per_block, heads=cfg.heads,
                    ref_tokens_side=cfg.ref_tokens_side, ref_dim=cfg.ref_dim, modalities=cfg.modalities,
                    cross_modal=cfg.cross_modal, temporal=cfg.temporal,
                    max_tokens=256 if cfg.size <= 64 else 1024)


class IdolPipeline:
    """Generate an RGB video and its depth colour map from pose, reference and background."""

    def __init__(self, unet: IdolUNet, scheduler: DDPMScheduler, config: IdolConfig,
                 depth_model: Any = None, info: dict | None = None) -> None:
        self.unet, self.scheduler, self.config = unet.eval(), scheduler, config
        self.depth_model = depth_model.eval() if depth_model is not None else None
        self.info = dict(info or {})

    @classmethod
    def from_config(cls, cfg: IdolConfig, seed: int = 0) -> "IdolPipeline":
        """A random-weight pipeline (tests, and the start of training)."""
        torch.manual_seed(seed)
        est = depth_estimator(cfg.size, cfg.channels) if cfg.variant == "two_stage" else None
        return cls(build_unet(cfg), noise_scheduler(cfg), cfg, est)

    # -- persistence -------------------------------------------------------------------------------
    def save_pretrained(self, folder: str | Path, info: dict | None = None) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.unet.save_pretrained(folder / "unet")
        self.scheduler.save_pretrained(folder / "scheduler")
        if self.depth_model is not None:
            self.depth_model.save_pretrained(folder / "depth_estimator")
        record = {"config": self.config.to_dict(), "info": {**self.info, **(info or {})}}
        (folder / "idol.json").write_text(json.dumps(record, indent=1))   # written last: marks completeness
        return folder

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> "IdolPipeline":
        """Load from a local folder; ``ModelNotTrainedError`` when it holds no trained model."""
        folder = check_model_dir(folder)
        record = json.loads((folder / "idol.json").read_text())
        cfg = IdolConfig.from_dict(record["config"])
        unet = IdolUNet.from_pretrained(str(folder / "unet"), local_files_only=True)
        sched = DDPMScheduler.from_config(json.loads((folder / "scheduler" / "scheduler_config.json").read_text()))
        est = None
        if (folder / "depth_estimator").is_dir():
            from diffusers import UNet2DModel

            est = UNet2DModel.from_pretrained(str(folder / "depth_estimator"), local_files_only=True)
        return cls(unet, sched, cfg, est, record.get("info"))

    def to(self, device: str | torch.device) -> "IdolPipeline":
        """Move the networks to ``device`` (sampling follows them; the noise still comes from the CPU
        generator, so a seed gives the same starting noise on every device)."""
        self.unet.to(device)
        if self.depth_model is not None:
            self.depth_model.to(device)
        return self

    # -- sampling ------------------------------------------------------------------------------------
    def sampling(self, sampler: str | None = None, steps: int | None = None) -> tuple[str, int]:
        """(sampler, steps) after defaults: the model's sampler and ``sample_steps``; "dpm" otherwise 10 steps."""
        kind = sampler or self.config.sampler
        if kind not in SAMPLERS:
            raise InvalidInputError(f"unknown sampler {kind!r}; use {' or '.join(SAMPLERS)}")
        default = self.config.sample_steps if kind in (self.config.sampler, "ddim") else DPM_STEPS
        return kind, int(steps or default)

    def sampler(self, kind: str | None = None):
        kind = kind or self.config.sampler
        if kind == "ddim":
            return DDIMScheduler.from_config(self.scheduler.config, timestep_spacing="trailing", clip_sample=False)
        if kind == "dpm":
            return DPMSolverMultistepScheduler.from_config(self.scheduler.config, timestep_spacing="trailing")
        raise InvalidInputError(f"unknown sampler {kind!r}; use ddim or dpm")

    def check(self, cond: Conditions) -> None:
        s = self.config.size
        if cond.pose.shape[1:3] != (s, s) or cond.reference.shape[:2] != (s, s):
            raise InvalidInputError(f"size {cond.pose.shape[1]} is not supported by this model (it makes {s}x{s})")
        if len(cond.pose) != len(cond.background):
            raise InvalidInputError("pose and background frame counts differ")

    def autocast(self, precision: str | None = None, device: str = "cpu") -> Any:
        """The arithmetic of the U-Net's passes: ``bf16`` autocast where the device has bf16 kernels
        (CPUs with AVX512-BF16/AMX, CUDA), plain fp32 otherwise (a request it cannot honour falls back)."""
        kind = precision or self.config.precision
        if kind not in PRECISIONS:
            raise InvalidInputError(f"unknown precision {kind!r}; use {' or '.join(PRECISIONS)}")
        if kind == "bf16" and bf16_supported(device):
            return torch.autocast(device, dtype=torch.bfloat16)
        if kind == "bf16":
            log.info("bf16 is not supported on this %s: sampling in fp32", device)
        return contextlib.nullcontext()

    @torch.inference_mode()
    def iterate(self, cond: Conditions, steps: int | None = None, guidance: float | None = None, seed: int = 0,
                sampler: str | None = None, precision: str | None = None
                ) -> Generator[float, None, tuple[np.ndarray, np.ndarray]]:
        """Yield the fraction done after each denoising step; return (rgb, depth colour map) uint8 [T, S, S, 3]."""
        self.check(cond)
        dev = next(self.unet.parameters()).device
        amp = self.autocast(precision, dev.type)
        kind, steps = self.sampling(sampler, steps)
        w = self.config.guidance if guidance is None else float(guidance)
        sched = self.sampler(kind)
        sched.set_timesteps(steps)
        pose, bg = to_tensor(cond.pose)[None].to(dev), to_tensor(cond.background)[None].to(dev)
        ref = to_tensor(cond.reference)[None].to(dev)
        m, t = self.unet.config.modalities, len(cond.pose)
        gen = torch.Generator().manual_seed(int(seed))
        x = torch.randn((1, m, t, 3, self.config.size, self.config.size), generator=gen).to(dev)
        x = x * sched.init_noise_sigma
        guided = w != 1.0
        if guided:   # one batch: [conditional, unconditional]
            pose, bg = torch.cat([pose, torch.zeros_like(pose)]), torch.cat([bg, torch.zeros_like(bg)])
            ref, keep = torch.cat([ref, ref]), torch.tensor([True, False], device=dev)
        else:
            keep = torch.tensor([True], device=dev)
        cache = self.unet.inference_cache(ref, keep)
        for i, ts in enumerate(sched.timesteps):
            inp = sched.scale_model_input(torch.cat([x, x]) if guided else x, ts)
            with amp:
                pred = self.unet(inp, ts, pose, bg, ref, keep, cache=cache).sample
            pred = pred.float()
            if guided:
                cond_p, uncond_p = pred.chunk(2)
                pred = uncond_p + w * (cond_p - uncond_p)
            x = sched.step(pred, ts, x).prev_sample
            yield (i + 1) / steps
        rgb = x[0, 0]
        if m == 2:
            depth = x[0, 1]
        elif self.depth_model is not None:
            depth = estimate_depth(self.depth_model, rgb.clamp(-1, 1))
        else:
            raise InvalidInputError("an RGB-only model needs its depth estimator (two-stage baseline)")
        return to_uint8(rgb), to_uint8(depth)

    def __call__(self, cond: Conditions, **kw: Any) -> tuple[np.ndarray, np.ndarray]:
        return drain(self.iterate(cond, **kw))
