"""Training of the RGB route (SOAR), resumable, with evaluation at the end.

State lives in the run folder (``.cache/soar/runs/RUN``): ``train_state.pt`` (model, optimiser,
step, elapsed time, RNG), written every ``ckpt_every_s`` seconds and at the end;
``train_log.jsonl`` (one line per ``log_every`` steps and per validation); ``metrics.json``
(validation calibration and test metrics) and ``model/`` (``save_pretrained``) when done.
The learning rate warms up, then follows a cosine over ``progress = max(step / steps,
elapsed / budget)``; the gradient-reversal factors ramp up over the first 30 % of it.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .config import SoarConfig, SoarTrainConfig, config_from_dict, train_config_from_dict
from .data import ClipSet, balance_weights, fit_frames, load_split, purity, scene_pseudo_labels, train_val_split
from .evaluate import calibrate, evaluate, predict
from .losses import avu_loss, edl_loss, recon_loss, recon_target, scene_confusion_loss, scene_loss, unc_norm_loss
from .model import SOAR

log = logging.getLogger(__name__)
RAMP = 0.3


def known_labels(cfg: SoarConfig, clips: ClipSet) -> list[str]:
    """Atoms of the training clips minus the held-out ones, in corpus registry order."""
    from app.engine.corpus.registry import ATOMS

    present = set(clips.atoms) - set(cfg.unknown_atoms)
    return [a for a in ATOMS if a in present]


def _lr(step: int, progress: float, tcfg: SoarTrainConfig) -> float:
    if step < tcfg.warmup:
        return tcfg.lr * (step + 1) / tcfg.warmup
    return tcfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def _log(path: Path, rec: dict) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(rec) + "\n")


def train_step(model: SOAR, opt, clips: torch.Tensor, labels: torch.Tensor, pseudo: torch.Tensor | None,
               ramp: float, kl_weight: float, tcfg: SoarTrainConfig, progress: float = 1.0,
               scene_weight: torch.Tensor | None = None) -> dict:
    """One optimisation step (``progress`` in [0, 1] anneals the calibration term; ``scene_weight`` [B]
    weights the scene classifier's clips); returns the loss terms."""
    cfg = model.cfg
    heads = cfg.recon or cfg.scene_cls
    out = model(clips, recon_alpha=cfg.recon_grl * ramp, scene_alpha=cfg.scene_grl * ramp, heads=heads)
    loss, logs = edl_loss(out["evidence"], labels, kl_weight, cfg.edl_loss)
    if cfg.w_avu > 0:
        l_avu = avu_loss(out["evidence"], labels, progress, cfg.avu_anneal_start)
        loss = loss + cfg.w_avu * l_avu
        logs["avu"] = float(l_avu.detach())
    if cfg.recon:
        target = recon_target(out["input"], cfg.recon_size, cfg.median_window)
        l_rec = recon_loss(out["recon"], target, out["u_map"])
        loss = loss + cfg.w_recon * l_rec
        logs["recon"] = float(l_rec.detach())
        if cfg.w_uncnorm > 0:
            l_un = unc_norm_loss(out["recon"], target, out["u_map"], cfg.uncnorm_k)
            loss = loss + cfg.w_uncnorm * l_un
            logs["uncnorm"] = float(l_un.detach())
    if cfg.scene_cls and pseudo is not None:
        l_sc = scene_loss(out["scene_map"], out["u_map"], pseudo, scene_weight)
        loss = loss + cfg.w_scene * l_sc
        logs["scene"] = float(l_sc.detach())
        if "scene_map_backbone" in out:
            l_conf = scene_confusion_loss(out["scene_map_backbone"], out["u_map"])
            loss = loss + cfg.w_scene * cfg.scene_grl * ramp * l_conf
            logs["scene_conf"] = float(l_conf.detach())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
    opt.step()
    logs["loss"] = float(loss.detach())
    return logs


def train(cfg: SoarConfig, tcfg: SoarTrainConfig, data_dir: str | Path, run_dir: str | Path,
          device: str | None = None, overfit: bool = False) -> dict:
    """Train (or resume) a run; returns the final metrics (also in ``run_dir/metrics.json``)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, tcfg.threads))
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    full = load_split(data_dir, "train")
    keep = [i for i, a in enumerate(full.atoms) if a not in cfg.unknown_atoms]
    full = full.take(keep)
    full.rgb = fit_frames(full.rgb, cfg.frames)
    tr_idx, va_idx = train_val_split(len(full), 0.0 if overfit else tcfg.val_share)
    train_set, val_set = full.take(tr_idx), full.take(va_idx)
    if tcfg.subset:
        train_set = train_set.take(np.arange(min(tcfg.subset, len(train_set))))
    if overfit:
        val_set = train_set
    cfg.labels = cfg.labels or known_labels(cfg, train_set)
    y = torch.as_tensor([cfg.labels.index(a) for a in train_set.atoms])
    pseudo_np = scene_pseudo_labels(train_set.rgb, cfg.num_scenes, tcfg.seed)
    pseudo = torch.as_tensor(pseudo_np)
    log.info("%d train / %d val clips, %d classes; scene pseudo-label purity %.3f (k=%d)", len(train_set),
             len(val_set), cfg.num_classes, purity(pseudo_np, train_set.scenes), cfg.num_scenes)
    scene_w = None
    if cfg.scene_cls and cfg.scene_balance:
        w_np = balance_weights(pseudo_np, y.numpy(), cfg.scene_balance_cap)
        scene_w = torch.as_tensor(w_np)
        log.info("scene-balance weights: max %.1f, effective sample size %.0f of %d", w_np.max(),
                 w_np.sum() ** 2 / (w_np ** 2).sum(), len(w_np))
    torch.manual_seed(tcfg.seed)
    model = SOAR(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    state_path, log_path = run_dir / "train_state.pt", run_dir / "train_log.jsonl"
    step, elapsed = 0, 0.0
    rng = np.random.default_rng(tcfg.seed)
    if state_path.is_file():
        st = torch.load(state_path, map_location=dev, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        rng.bit_generator.state = st["rng"]
        log.info("resumed %s at step %d (%.1f min)", run_dir.name, step, elapsed / 60)
    rgb = torch.from_numpy(train_set.rgb)

    def save_state() -> None:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "rng": rng.bit_generator.state, "cfg": asdict(cfg), "tcfg": asdict(tcfg)}, state_path)

    def progress() -> float:
        p = step / max(tcfg.steps, 1)
        return max(p, elapsed / (tcfg.max_minutes * 60)) if tcfg.max_minutes else p

    t_last, t_ckpt = time.monotonic(), time.monotonic()
    model.train()
    while progress() < 1.0:
        idx = rng.integers(0, len(train_set), tcfg.batch_size)
        clips = rgb[idx]
        if tcfg.flip:
            flip = torch.from_numpy(rng.uniform(size=len(idx)) < 0.5)
            clips = torch.where(flip.view(-1, 1, 1, 1, 1), clips.flip(3), clips)
        for g in opt.param_groups:
            g["lr"] = _lr(step, progress(), tcfg)
        ramp = min(1.0, progress() / RAMP)
        logs = train_step(model, opt, clips.to(dev), y[idx].to(dev), pseudo[idx].to(dev), ramp,
                          cfg.w_edl_kl * ramp, tcfg, progress(), None if scene_w is None else scene_w[idx].to(dev))
        step += 1
        now = time.monotonic()
        elapsed += now - t_last
        t_last = now
        if step % tcfg.log_every == 0:
            _log(log_path, {"step": step, "min": round(elapsed / 60, 2), "lr": opt.param_groups[0]["lr"], **logs})
        if tcfg.val_every and step % tcfg.val_every == 0 and len(val_set):
            p, u = predict(model, val_set.rgb)
            acc = float((p.argmax(1) == np.asarray([cfg.labels.index(a) for a in val_set.atoms])).mean())
            _log(log_path, {"step": step, "val_acc": acc, "val_u": float(u.mean())})
            log.info("step %d (%.1f min): val acc %.3f", step, elapsed / 60, acc)
            t_last = time.monotonic()
        if now - t_ckpt > tcfg.ckpt_every_s:
            save_state()
            t_ckpt = time.monotonic()
            t_last = t_ckpt
    save_state()
    return finish(model, val_set, data_dir, run_dir, step, elapsed, tcfg, overfit)


def finish(model: SOAR, val_set: ClipSet, data_dir, run_dir: Path, step: int, elapsed: float,
           tcfg: SoarTrainConfig, overfit: bool) -> dict:
    """Calibrate the unknown threshold on validation, evaluate on test, save the model."""
    cfg = model.cfg
    probs, u = predict(model, val_set.rgb)
    truth = np.asarray([cfg.labels.index(a) for a in val_set.atoms])
    cfg.unknown_threshold = calibrate(u)
    metrics = {"run": run_dir.name, "steps": step, "minutes": round(elapsed / 60, 2),
               "val_acc": float((probs.argmax(1) == truth).mean()) if len(truth) else float("nan"),
               "unknown_threshold": cfg.unknown_threshold, "recon": cfg.recon, "scene_cls": cfg.scene_cls,
               "seed": tcfg.seed}
    if not overfit:
        try:
            metrics["test"] = evaluate(model, load_split(data_dir, "test"), cfg.unknown_threshold)
        except FileNotFoundError as exc:
            log.warning("%s", exc)
    model.save_pretrained(run_dir / "model", steps=step, minutes=metrics["minutes"], seed=tcfg.seed,
                          val_acc=metrics["val_acc"], test=metrics.get("test", {}))
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    _log(run_dir / "train_log.jsonl", {"done": True, **{k: v for k, v in metrics.items() if k != "test"}})
    return metrics


def load_run_configs(run_dir: Path) -> tuple[SoarConfig, SoarTrainConfig] | None:
    """The configs a run was started with (None when it has no state yet)."""
    path = Path(run_dir) / "train_state.pt"
    if not path.is_file():
        return None
    st = torch.load(path, map_location="cpu", weights_only=False)
    return config_from_dict(st["cfg"]), train_config_from_dict(st["tcfg"])
