"""Training IDOL (and its ablations and the two-stage baseline): losses, checkpoints, resumption.

One step: a batch of clip windows; noise at a random timestep on both modalities (v-prediction);
conditions dropped for classifier-free guidance; the denoising loss plus ``w_motion`` x motion
consistency and ``w_attn`` x attention-map consistency (the alignment losses need the two
modalities). The two-stage variant trains the RGB-only diffusion model and the depth estimator
side by side. A run folder holds ``last.pt`` (everything needed to resume, written atomically),
``log.jsonl``, ``model/`` (the EMA weights as an :class:`IdolPipeline` folder) and ``samples/``.
"""
from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from app.engine.idol.config import IdolConfig, TrainConfig
from app.engine.idol.data import BatchSampler, Clip, collate
from app.engine.idol.losses import compute_losses
from app.engine.idol.pipeline import Conditions, IdolPipeline

log = logging.getLogger(__name__)
SAMPLING_FIELDS = ("guidance", "sampler", "sample_steps", "precision")   # may change between resumed invocations


def _training_fields(config: dict) -> dict:
    """A model config without the sampling settings (what a resumed or initialised run must share)."""
    return {k: v for k, v in config.items() if k not in SAMPLING_FIELDS}


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
        self.sampler = BatchSampler(clips, cfg.frames, seed=tcfg.seed, flip=tcfg.flip)
        self.gen = torch.Generator().manual_seed(tcfg.seed)
        self.step, self.elapsed = 0, 0.0
        self.first_step = 0   # the step this run's optimiser started at (warm-up counts from it)
        if tcfg.amp not in ("fp32", "bf16"):
            raise ValueError(f"unknown amp {tcfg.amp!r}; use fp32 or bf16")
        self._pool = ThreadPoolExecutor(1) if tcfg.prefetch else None
        self._next = None     # the prefetched next batch's windows (a future)

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self) -> None:
        if self._next is not None:   # the sampler state after the prefetched batch (a resumed run skips it)
            self._next.result()
        state = {"step": self.step, "first_step": self.first_step, "elapsed": self.elapsed, "config": self.cfg.to_dict(),
                 "models": [m.state_dict() for m in self.modules], "ema": [m.state_dict() for m in self.ema],
                 "opt": self.opt.state_dict(), "sampler": self.sampler.state(), "gen": self.gen.get_state()}
        tmp = self.run_dir / "last.pt.partial"
        torch.save(state, tmp)
        os.replace(tmp, self.run_dir / "last.pt")
        staged = self.export(self.run_dir / "model.partial")
        final, old = self.run_dir / "model", self.run_dir / "model.old"
        if final.exists():
            final.rename(old)
        staged.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    def resume(self) -> bool:
        path = self.run_dir / "last.pt"
        if not path.is_file():
            return False
        state = torch.load(path, map_location=self.device, weights_only=True)
        if _training_fields(state["config"]) != _training_fields(self.cfg.to_dict()):
            raise ValueError(f"{path}: saved with another configuration; use a new run folder")
        for m, sd in zip(self.modules, state["models"]):
            m.load_state_dict(sd)
        for m, sd in zip(self.ema, state["ema"]):
            m.load_state_dict(sd)
        self.opt.load_state_dict(state["opt"])
        self.sampler.set_state(state["sampler"])
        self.gen.set_state(state["gen"].cpu())   # the CPU generator (map_location moved it)
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        self.first_step = int(state.get("first_step", 0))
        log.info("resumed %s at step %d", path, self.step)
        return True

    def init_from(self, folder: str | Path) -> None:
        """Start a new run from an exported model (its EMA weights become both the weights and the
        EMA; the optimiser starts fresh, so keep a warm-up); the step count and training time go on."""
        pipe = IdolPipeline.from_pretrained(folder)
        if _training_fields(pipe.config.to_dict()) != _training_fields(self.cfg.to_dict()):
            raise ValueError(f"{folder}: saved with another configuration than this run's")
        sources = [pipe.unet] + ([pipe.depth_model] if pipe.depth_model is not None else [])
        for m, e, src in zip(self.modules, self.ema or self.modules, sources):
            m.load_state_dict(src.state_dict())
            e.load_state_dict(src.state_dict())
        self.step = self.first_step = int(pipe.info.get("steps", 0))
        self.elapsed = float(pipe.info.get("train_seconds", 0.0))
        log.info("initialised from %s at step %d", folder, self.step)

    def export(self, folder: str | Path) -> Path:
        """The EMA weights (or the raw ones without EMA) as a pipeline folder."""
        shutil.rmtree(folder, ignore_errors=True)
        mods = self.ema or self.modules
        pipe = IdolPipeline(copy.deepcopy(mods[0]).cpu(), self.pipe.scheduler, self.cfg,
                            copy.deepcopy(mods[1]).cpu() if len(mods) > 1 else None)
        return pipe.save_pretrained(folder, info={"steps": self.step, "train_seconds": round(self.elapsed),
                                                  "clips": len(self.clips), "device": self.device})

    # -- training ------------------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        done = step - self.first_step
        return self.tcfg.lr * min(1.0, (done + 1) / max(1, self.tcfg.warmup))

    def _autocast(self):
        if self.tcfg.amp == "bf16":
            return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _windows(self) -> list[dict]:
        """This step's training windows; with ``prefetch`` the next step's are drawn meanwhile (same order)."""
        if self._pool is None:
            return self.sampler.sample(self.tcfg.batch_clips)
        current = self._next.result() if self._next is not None else self.sampler.sample(self.tcfg.batch_clips)
        self._next = self._pool.submit(self.sampler.sample, self.tcfg.batch_clips)
        return current

    def train_step(self) -> dict[str, float]:
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.step)
        batch = collate(self._windows(), self.device)
        with self._autocast():
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

    @torch.no_grad()
    def evaluate(self, clips: list[Clip], timesteps=(100, 400, 700, 950), seed: int = 0) -> float:
        """Mean denoising MSE on the first window of ``clips`` at fixed timesteps and noise (all conditions
        kept): a smooth curve to watch, unlike the one-sample training loss at a random timestep."""
        mods = self.ema or self.modules
        pipe = IdolPipeline(mods[0], self.pipe.scheduler, self.cfg, None)
        gen = torch.Generator().manual_seed(seed)
        errs = []
        for clip in clips:
            batch = collate([clip.window(0, self.cfg.frames)], self.device)
            x0 = torch.stack([batch["rgb"], batch["depth_vis"]], 1) if self.cfg.modalities == 2 \
                else batch["rgb"][:, None]
            for t in timesteps:
                noise = torch.randn(x0.shape, generator=gen).to(x0.device)
                tt = torch.tensor([t], device=x0.device)
                xt = pipe.scheduler.add_noise(x0, noise, tt)
                target = pipe.scheduler.get_velocity(x0, noise, tt) if self.cfg.prediction_type == "v_prediction" \
                    else noise
                pred = pipe.unet(xt, tt, batch["pose"], batch["background"], batch["reference"]).sample
                errs.append(float((pred - target).square().mean()))
        for m in self.modules:
            m.train()
        return float(np.mean(errs))

    def run(self, on_log=None, eval_clips: list[Clip] | None = None) -> int:
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
                    if self.tcfg.eval_every and self.step % self.tcfg.eval_every == 0:
                        logs["eval_mse"] = self.evaluate(eval_clips or self.clips[:4])
                    if self.tcfg.sample_every and self.step % self.tcfg.sample_every == 0:
                        logs.update(self.preview(self.clips[0]))
                    logf.write(json.dumps(logs) + "\n")
                    logf.flush()
                    if on_log:
                        on_log(logs)
                if self.tcfg.export_every and self.step % self.tcfg.export_every == 0:
                    self.export(self.run_dir / f"model_step{self.step:06d}")
                if time.monotonic() - last_ck > self.tcfg.checkpoint_minutes * 60:
                    self.save()
                    last_ck = time.monotonic()
        finally:
            logf.close()
            if self._next is not None:   # let the helper finish before the sampler state is saved
                self._next.result()
        self.save()
        return self.step
