"""Training loop of A-TSCN: resumable, checkpointed, logged, with iterative pseudo-label refinement.

Progress p = max(step / steps, elapsed / max_minutes) drives the schedule, so a time budget
completes the whole curriculum.  The run is split into ``refine_iters + 1`` equal phases:
phase 0 trains with the video-level losses only (MIL, attention normalisation, evidential);
at the start of every later phase the current model's **fused** attention and class
probabilities (restricted to each video's known label set) become frame-level pseudo ground
truth, fixed for that phase, which supervises the attention and CAS of *both* streams and the
evidential head's frame evidence.

``run_dir`` receives ``train_state.pt`` (model, optimiser, step, elapsed, RNG, phase, pseudo
labels; rewritten every ``ckpt_every_s`` s), ``train_log.jsonl`` and, at the end, the model
(``save_pretrained``) with the unknown threshold calibrated on validation known segments.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .config import RecognitionConfig, TrainConfig, config_from_dict
from .data import Video, WeakDataset, all_atom_names
from .evaluate import frame_uncertainty_threshold, known_segment_uncertainties, localisation, open_set, predict
from .losses import edl_loss, mil_loss, norm_loss, pseudo_loss
from .model import ATSCN, pick_device

log = logging.getLogger(__name__)


def known_labels(cfg: RecognitionConfig) -> list[str]:
    """The vocabulary minus the atoms held out as unknowns."""
    return [a for a in all_atom_names() if a not in set(cfg.unknown_atoms)]


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k < 2 or len(x) < 2:
        return x
    kernel = np.ones(k) / k
    pad = np.pad(x, ((k // 2, k - 1 - k // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, j], kernel, mode="valid") for j in range(x.shape[1])], axis=1)


def make_pseudo_labels(model: ATSCN, ds: WeakDataset) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Fused-stream pseudo ground truth per training video: binary attention (fused attention >=
    threshold) and the class of the video's label set with the highest smoothed fused
    probability, on every frame or (``pseudo_cls_everywhere`` off) on attended frames only."""
    cfg = model.cfg
    atts, classes = [], []
    for i, p in enumerate(predict(model, ds.videos)):
        present = np.flatnonzero(ds.targets[i])
        g = (p["att"] >= cfg.pseudo_att_threshold).astype(np.float32)
        q = present[np.argmax(_smooth(p["prob"][:, present], cfg.pseudo_smooth), axis=1)].astype(np.int64)
        if not cfg.pseudo_cls_everywhere:
            q[g == 0] = -1
        atts.append(g)
        classes.append(q)
    return atts, classes


def batch_loss(model: ATSCN, b: dict[str, torch.Tensor], phase: int, progress: float) -> tuple[torch.Tensor, dict]:
    """All training losses of one batch."""
    cfg = model.cfg
    out = model(b["pose"], b["motion"], b["mask"])
    total = torch.zeros((), device=b["mask"].device)
    logs: dict[str, float] = {}
    for name in out["att"]:
        att, cas = out["att"][name], out["cas"][name]
        l_mil, mil_logs = mil_loss(att, cas, b["mask"], b["y"], cfg.topk_ratio, cfg.w_mil_att, cfg.w_mil_topk)
        total = total + l_mil
        logs[f"{name}_mil"] = mil_logs["mil_att"] + mil_logs["mil_topk"]
        if cfg.w_norm > 0:
            l_norm = norm_loss(att, b["mask"])
            total = total + cfg.w_norm * l_norm
            logs[f"{name}_norm"] = float(l_norm.detach())
        if phase > 0:
            l_att, l_cls = pseudo_loss(att, cas, b["p_att"], b["p_cls"], b["mask"])
            total = total + cfg.w_pseudo_att * l_att + cfg.w_pseudo_cls * l_cls
            logs[f"{name}_pseudo_att"], logs[f"{name}_pseudo_cls"] = float(l_att.detach()), float(l_cls.detach())
    kl_w = cfg.w_edl_kl * min(1.0, 2.0 * progress)
    l_edl, edl_logs = edl_loss(out["evidence"], out["fused_att"], b["mask"], b["y"],
                               b["p_cls"] if phase > 0 else None, kl_w)
    total = total + cfg.w_edl * l_edl
    logs.update(edl_logs)
    logs["loss"] = float(total.detach())
    return total, logs


def augment(model: ATSCN, b: dict[str, torch.Tensor]) -> None:
    """In place: per-video offsets and per-frame noise (scaled by the stored per-group std) on both
    streams' inputs, and a per-video speed factor on the motion stream (procedural -> real mocap)."""
    cfg = model.cfg
    for name, stream in model.streams.items():
        x = b[name]
        shape = (x.shape[0], 1, x.shape[2])
        noise = cfg.aug_offset * torch.randn(shape, device=x.device) + cfg.aug_noise * torch.randn_like(x)
        x = x + noise * stream.std
        if name == "motion" and cfg.aug_speed > 0:
            x = x * (1.0 + cfg.aug_speed * (2 * torch.rand(x.shape[0], 1, 1, device=x.device) - 1))
        b[name] = x


def lr_at(progress: float, step: int, tcfg: TrainConfig) -> float:
    warm = min(1.0, (step + 1) / max(1, tcfg.warmup))
    return tcfg.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def train(cfg: RecognitionConfig, tcfg: TrainConfig, train_videos: list[Video], val_videos: list[Video],
          run_dir: str | Path, resume: bool = True, device: str | None = None,
          should_stop: Callable[[], bool] | None = None, real_train: list[Video] | None = None,
          real_weight: float = 1.0, init: str | Path | None = None) -> tuple[ATSCN, dict]:
    """Train (or resume) a model in ``run_dir``; returns the model and a summary.

    ``real_train``: weakly labelled real windows mixed into the batches, each sampled like
    ``real_weight`` corpus videos.  ``init``: a saved model whose weights and input statistics
    start the run (fine-tuning); otherwise the statistics come from the training set."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    dev = pick_device(device)
    if dev.type == "cpu":
        torch.set_num_threads(max(1, tcfg.threads))
    cfg = replace(cfg, labels=cfg.labels or known_labels(cfg))
    ds = WeakDataset(train_videos, cfg.labels, cfg.unknown_atoms, tcfg.subset, real_train, real_weight)
    torch.manual_seed(tcfg.seed)
    model = ATSCN(cfg).to(dev)
    if init is not None:
        start = ATSCN.from_pretrained(init, device="cpu")
        if start.cfg.labels != cfg.labels:
            raise ValueError(f"{init}: its labels differ from this run's")
        model.load_state_dict(start.state_dict())
        log.info("initialised from %s", init)
    else:
        model.set_stats(ds.fit_stats())
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    rng = np.random.default_rng(tcfg.seed)
    step, elapsed, phase = 0, 0.0, 0
    state_path = run_dir / "train_state.pt"
    if resume and state_path.is_file():
        st = torch.load(state_path, map_location=dev, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed, phase = int(st["step"]), float(st["elapsed"]), int(st["phase"])
        rng.bit_generator.state = st["np_rng"]
        ds.pseudo_att, ds.pseudo_cls = st["pseudo_att"], st["pseudo_cls"]
        log.info("resumed at step %d (%.1f min, phase %d)", step, elapsed / 60, phase)

    def save_state() -> None:
        tmp = state_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "phase": phase, "np_rng": rng.bit_generator.state, "pseudo_att": ds.pseudo_att,
                    "pseudo_cls": ds.pseudo_cls, "cfg": asdict(cfg), "tcfg": asdict(tcfg)}, tmp)
        tmp.replace(state_path)

    def progress() -> float:
        p = step / max(1, tcfg.steps)
        if tcfg.max_minutes > 0:
            p = max(p, elapsed / (tcfg.max_minutes * 60))
        return min(p, 1.0)

    log.info("training on %d videos (%d labels, streams %s) on %s", len(ds), cfg.num_classes, cfg.streams, dev)
    logf = open(run_dir / "train_log.jsonl", "a")
    last_ckpt, acc = time.perf_counter(), {}
    model.train()
    try:
        while progress() < 1.0 and not (should_stop and should_stop()):
            t0 = time.perf_counter()
            p = progress()
            want = min(cfg.refine_iters, int(p * (cfg.refine_iters + 1)))
            if want > phase:
                ds.pseudo_att, ds.pseudo_cls = make_pseudo_labels(model, ds)
                phase = want
                model.train()
                log.info("step %d: pseudo labels refreshed (phase %d)", step, phase)
            for g in opt.param_groups:
                g["lr"] = lr_at(p, step, tcfg)
            idx = ds.sample(rng, tcfg.batch_size)
            b = {k: torch.from_numpy(v).to(dev) for k, v in ds.batch(idx).items()}
            augment(model, b)
            loss, logs = batch_loss(model, b, phase, p)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            logs["gnorm"] = float(torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip))
            opt.step()
            step += 1
            elapsed += time.perf_counter() - t0
            for k, v in logs.items():
                acc.setdefault(k, []).append(v)
            if step % tcfg.log_every == 0:
                row = {"step": step, "progress": round(progress(), 4), "phase": phase, "lr": round(opt.param_groups[0]["lr"], 6),
                       "minutes": round(elapsed / 60, 2), **{k: round(float(np.mean(v)), 4) for k, v in acc.items()}}
                if val_videos and tcfg.val_every and step % tcfg.val_every == 0:
                    row.update(quick_val(model, val_videos))
                    model.train()
                logf.write(json.dumps(row) + "\n")
                logf.flush()
                log.info("%s", row)
                acc = {}
            if time.perf_counter() - last_ckpt > tcfg.ckpt_every_s:
                save_state()
                last_ckpt = time.perf_counter()
    finally:
        save_state()
        logf.close()
    model.eval()
    if val_videos:
        calibrate_unknown(model, val_videos)
    model.save_pretrained(run_dir / "model", train_steps=step, train_minutes=round(elapsed / 60, 1),
                          train_videos=len(ds), real_windows=len(real_train or []), init=str(init or ""),
                          seed=tcfg.seed, train_config=asdict(tcfg))
    return model, {"steps": step, "minutes": round(elapsed / 60, 2), "videos": len(ds),
                   "real_windows": len(real_train or []), "phase": phase}


def quick_val(model: ATSCN, videos: list[Video], limit: int = 200) -> dict:
    """Validation mAP (average and @0.5) and open-set AUROC on the first ``limit`` videos."""
    sel = videos[:limit]
    preds = predict(model, sel)
    loc = localisation(model, sel, preds)
    osr = open_set(model, sel, preds)
    return {"val_mAP_avg": loc["mAP_avg"], "val_mAP@0.5": loc["mAP@0.5"], "val_auroc": osr["auroc_segments"]}


def calibrate_unknown(model: ATSCN, val_videos: list[Video], quantile: float = 0.95,
                      frame_quantile: float = 0.98) -> float:
    """Set ``cfg.unknown_threshold`` so that ``quantile`` of known validation segments stay known, and
    ``cfg.unknown_frame_threshold`` so that ``frame_quantile`` of known validation frames do (the held-out
    atoms themselves are never used to choose them)."""
    u = known_segment_uncertainties(model, val_videos)
    if len(u):
        model.cfg.unknown_threshold = float(np.clip(np.quantile(u, quantile), 0.05, 0.95))
        model.cfg.unknown_frame_threshold = frame_uncertainty_threshold(model, val_videos, frame_quantile)
    log.info("unknown threshold %.3f (frames %.4f)", model.cfg.unknown_threshold, model.cfg.unknown_frame_threshold)
    return model.cfg.unknown_threshold


def model_from_state(run_dir: str | Path) -> ATSCN:
    """The model of a (possibly still running) run's latest checkpoint."""
    st = torch.load(Path(run_dir) / "train_state.pt", map_location="cpu", weights_only=False)
    model = ATSCN(config_from_dict(st["cfg"]))
    model.load_state_dict(st["model"])
    return model.eval()
