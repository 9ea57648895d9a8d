"""Training IDOL (and its ablations and the two-stage baseline): losses, checkpoints, resumption.

One step: a batch of clip windows; noise at a random timestep on both modalities (v-prediction);
conditions dropped for classifier-free guidance; the denoising loss plus ``w_motion`` x motion
consistency and ``w_attn`` x attention-map consistency (the alignment losses need the two
modalities). The two-stage variant trains the RGB-only diffusion model and the depth estimator
side by side. A run folder holds ``last.pt`` (everything needed to resume, written atomically),
``log.jsonl``, ``model/`` (the EMA weights as an :class:`IdolPipeline` folder) and ``samples/``.
"""
from __future__ import annotations

import copy
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch

from app.engine.idol.baseline import estimator_loss
from app.engine.idol.config import IdolConfig, TrainConfig
from app.engine.idol.data import BatchSampler, Clip
from app.engine.idol.losses import attention_consistency, denoising_loss, drop_conditions, motion_consistency
from app.engine.idol.pipeline import Conditions, IdolPipeline, to_tensor

log = logging.getLogger(__name__)


def collate(windows: list[dict], device: str = "cpu") -> dict[str, torch.Tensor]:
    """Windows from :meth:`Clip.window` -> tensors in [-1, 1] ([B, T, 3, S, S]; reference [B, 3, S, S])."""
    out = {k: torch.stack([to_tensor(w[k]) for w in windows]).to(device)
           for k in ("rgb", "depth_vis", "pose", "background", "reference")}
    out["mask"] = torch.from_numpy(np.stack([w["mask"] for w in windows])).to(device)
    return out


def compute_losses(pipe: IdolPipeline, batch: dict[str, torch.Tensor], gen: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """The total training loss of one batch and its parts (floats, for the log)."""
    cfg, unet, sched = pipe.config, pipe.unet, pipe.scheduler
    b = batch["rgb"].shape[0]
    x0 = torch.stack([batch["rgb"], batch["depth_vis"]], 1) if cfg.modalities == 2 else batch["rgb"][:, None]
    noise = torch.randn(x0.shape, generator=gen).to(x0.device)
    t = torch.randint(0, sched.config.num_train_timesteps, (b,), generator=gen).to(x0.device)
    xt = sched.add_noise(x0, noise, t)
    target = sched.get_velocity(x0, noise, t) if cfg.prediction_type == "v_prediction" else noise
    keep, keep_ref = drop_conditions(b, cfg.p_drop_all, cfg.p_drop_ref, gen)
    keep, keep_ref = keep.to(x0.device), keep_ref.to(x0.device)
    k5 = keep[:, None, None, None, None].to(x0.dtype)
    aux = cfg.modalities == 2 and (cfg.w_motion > 0 or cfg.w_attn > 0)
    out = unet(xt, t, batch["pose"] * k5, batch["background"] * k5, batch["reference"], keep_ref,
               return_aux=aux)
    loss, logs = denoising_loss(out.sample, target)
    if aux and cfg.w_motion > 0:
        lm = motion_consistency(out.features, cfg.motion_window, cfg.motion_detach_video)
        loss = loss + cfg.w_motion * lm
        logs["motion"] = float(lm.detach())
    if aux and cfg.w_attn > 0:
        la = attention_consistency(out.attention)
        loss = loss + cfg.w_attn * la
        logs["attn"] = float(la.detach())
    if pipe.depth_model is not None:
        n = batch["rgb"].shape[0] * batch["rgb"].shape[1]
        le = estimator_loss(pipe.depth_model, batch["rgb"].reshape(n, *batch["rgb"].shape[2:]),
                            batch["depth_vis"].reshape(n, *batch["depth_vis"].shape[2:]),
                            batch["mask"].reshape(n, 1, *batch["mask"].shape[2:]), cfg.w_depth_mask)
        loss = loss + le
        logs["estimator"] = float(le.detach())
    logs["loss"] = float(loss.detach())
    return loss, logs


def save_preview(path: Path, win: dict, rgb: np.ndarray, depth: np.ndarray) -> Path:
    """A PNG grid, one column per frame: true RGB, sampled RGB, true depth map, sampled depth map (x4)."""
    import cv2

    rows = [win["rgb"], rgb, win["depth_vis"], depth]
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    grid = cv2.resize(grid, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), grid[..., ::-1])
    return path


class Trainer:
    """A resumable training run in ``run_dir`` (see the module notes)."""

    def __init__(self, cfg: IdolConfig, tcfg: TrainConfig, clips: list[Clip], run_dir: str | Path,
                 device: str = "cpu") -> None:
        self.cfg, self.tcfg, self.device = cfg, tcfg, device
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.clips = clips
        self.pipe = IdolPipeline.from_config(cfg, seed=tcfg.seed)
        self.pipe.unet.to(device).train()
        self.modules = [self.pipe.unet] + ([self.pipe.depth_model.to(device).train()]
                                           if self.pipe.depth_model is not None else [])
        self.params = [p for m in self.modules for p in m.parameters()]
        self.opt = torch.optim.AdamW(self.params, lr=tcfg.lr, weight_decay=0.0)
        self.ema = [copy.deepcopy(m).eval().requires_grad_(False) for m in self.modules] if tcfg.ema > 0 else []
        self.sampler = BatchSampler(clips, cfg.frames, seed=tcfg.seed)
        self.gen = torch.Generator().manual_seed(tcfg.seed)
        self.step, self.elapsed = 0, 0.0

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self) -> None:
        state = {"step": self.step, "elapsed": self.elapsed, "config": self.cfg.to_dict(),
                 "models": [m.state_dict() for m in self.modules], "ema": [m.state_dict() for m in self.ema],
                 "opt": self.opt.state_dict(), "sampler": self.sampler.state(), "gen": self.gen.get_state()}
        tmp = self.run_dir / "last.pt.partial"
        torch.save(state, tmp)
        os.replace(tmp, self.run_dir / "last.pt")
        self.export(self.run_dir / "model")

    def resume(self) -> bool:
        path = self.run_dir / "last.pt"
        if not path.is_file():
            return False
        state = torch.load(path, map_location=self.device, weights_only=True)
        if state["config"] != self.cfg.to_dict():
            raise ValueError(f"{path}: saved with another configuration; use a new run folder")
        for m, sd in zip(self.modules, state["models"]):
            m.load_state_dict(sd)
        for m, sd in zip(self.ema, state["ema"]):
            m.load_state_dict(sd)
        self.opt.load_state_dict(state["opt"])
        self.sampler.set_state(state["sampler"])
        self.gen.set_state(state["gen"])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        log.info("resumed %s at step %d", path, self.step)
        return True

    def export(self, folder: str | Path) -> Path:
        """The EMA weights (or the raw ones without EMA) as a pipeline folder."""
        mods = self.ema or self.modules
        pipe = IdolPipeline(copy.deepcopy(mods[0]).cpu(), self.pipe.scheduler, self.cfg,
                            copy.deepcopy(mods[1]).cpu() if len(mods) > 1 else None)
        return pipe.save_pretrained(folder, info={"steps": self.step, "train_seconds": round(self.elapsed),
                                                  "clips": len(self.clips), "device": self.device})

    # -- training ------------------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        return self.tcfg.lr * min(1.0, (step + 1) / max(1, self.tcfg.warmup))

    def train_step(self) -> dict[str, float]:
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.step)
        batch = collate(self.sampler.sample(self.tcfg.batch_clips), self.device)
        loss, logs = compute_losses(self.pipe, batch, self.gen)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        logs["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.params, self.tcfg.grad_clip))
        self.opt.step()
        if self.ema:
            decay = min(self.tcfg.ema, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                for m, e in zip(self.modules, self.ema):
                    for p, q in zip(m.parameters(), e.parameters()):
                        q.lerp_(p, 1.0 - decay)
        self.step += 1
        return logs

    def preview(self, clip: Clip, steps: int = 10, seed: int = 0) -> dict[str, float]:
        """Sample the first window of ``clip`` with the current EMA weights; per-modality MSE to the truth."""
        mods = self.ema or self.modules
        pipe = IdolPipeline(mods[0], self.pipe.scheduler, self.cfg, mods[1] if len(mods) > 1 else None)
        win = clip.window(0, self.cfg.frames)
        rgb, depth = pipe(Conditions(win["pose"], win["background"], win["reference"]), steps=steps, seed=seed)
        for m in self.modules:
            m.train()
        save_preview(self.run_dir / "samples" / f"step_{self.step:06d}.png", win, rgb, depth)
        err = {k: float(np.mean((a.astype(np.float32) - win[k].astype(np.float32)) ** 2) / 255.0 ** 2 * 4)
               for k, a in (("rgb", rgb), ("depth_vis", depth))}
        return {"sample_mse_rgb": err["rgb"], "sample_mse_depth": err["depth_vis"]}

    def run(self, on_log=None) -> int:
        """Train until ``max_steps`` or ``max_minutes`` of this invocation; returns the step reached."""
        t_start = last_ck = time.monotonic()
        logf = open(self.run_dir / "log.jsonl", "a")
        try:
            while self.step < self.tcfg.max_steps and time.monotonic() - t_start < self.tcfg.max_minutes * 60:
                t0, c0 = time.monotonic(), time.process_time()
                logs = self.train_step()
                dt = time.monotonic() - t0
                self.elapsed += dt
                if self.step % self.tcfg.log_every == 0 or self.step == 1:
                    logs.update(step=self.step, lr=self.lr_at(self.step), sec=round(dt, 3),
                                cpu_sec=round(time.process_time() - c0, 3), elapsed=round(self.elapsed, 1))
                    if self.tcfg.sample_every and self.step % self.tcfg.sample_every == 0:
                        logs.update(self.preview(self.clips[0]))
                    logf.write(json.dumps(logs) + "\n")
                    logf.flush()
                    if on_log:
                        on_log(logs)
                if time.monotonic() - last_ck > self.tcfg.checkpoint_minutes * 60:
                    self.save()
                    last_ck = time.monotonic()
        finally:
            logf.close()
        self.save()
        return self.step
