"""Shared training loop for ATOM and the MDM baseline: resumable, checkpointed, logged.

``out_dir`` receives ``train_state.pt`` (model + optimiser + step + elapsed time + RNG states,
rewritten every ``ckpt_every_s`` seconds and at the end), ``train_log.jsonl`` (one line per
``log_every`` steps) and, on completion, the exported model (:func:`export_model`):
``model.safetensors``, ``config.json`` and ``normalizer.npz``.

Progress (which drives ATOM's masking curriculum and the LR drop x0.1 at ``lr_drop_at``) is
``step / steps``, or elapsed / ``max_minutes`` when that is larger, so a run on a busy machine
still completes its curriculum within its time budget.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from app.engine.repr.normalizer import Normalizer

from .atom_model import ATOM
from .config import AtomConfig, MDMConfig, TrainConfig, save_config
from .data import T2MDataset, atom_balance_weights
from .mdm_baseline import MDM
from .text_consistency import PAIR_KEYS, add_pairs

log = logging.getLogger(__name__)


def build_model(cfg: AtomConfig | MDMConfig) -> torch.nn.Module:
    return ATOM(cfg) if cfg.model_type == "atom" else MDM(cfg)


def corpus_atoms() -> dict[str, list[str]]:
    """Item id -> atom names of the committed corpus's procedural items (for atom-balanced draws)."""
    from app.engine.corpus.dataset import load_corpus
    return {it.id: [a for a, _ in it.meta.get("atoms", [])] for it in load_corpus(include_real=False)}


def lr_at(progress: float, step: int, tcfg: TrainConfig) -> float:
    warm = min(1.0, (step + 1) / max(1, tcfg.warmup))
    return tcfg.lr * warm * (0.1 if progress >= tcfg.lr_drop_at else 1.0)


def export_model(model: torch.nn.Module, normalizer: Normalizer, out_dir: str | Path, **meta) -> Path:
    """Write model.safetensors + config.json + normalizer.npz (what the pipeline loads)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(out_dir / "model.safetensors"))
    save_config(model.cfg, out_dir / "config.json", **meta)
    normalizer.save(out_dir / "normalizer.npz")
    return out_dir


def ema_init(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of ``model``'s state: the start of its exponential moving average."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@torch.no_grad()
def ema_update(ema: dict[str, torch.Tensor], model: torch.nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * weights`` for floating tensors; other buffers are copied."""
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            ema[k].lerp_(v.detach(), 1.0 - decay)
        else:
            ema[k].copy_(v)


def _install_stop_handler() -> list:  # [flag list, restore()]
    """SIGTERM/SIGINT -> a truthy list: the loop stops, saves its state and exports (main thread only)."""
    import signal
    import threading
    flag: list = []
    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):  # noqa: ARG001
            log.warning("signal %d: stopping after this step", signum)
            flag.append(signum)
        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        flag_restore = lambda: [signal.signal(k, v) for k, v in old.items()]  # noqa: E731
        return [flag, flag_restore]
    return [flag, lambda: None]


def _to_torch(b: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    out = {"x": torch.from_numpy(b["x"]).to(device), "lengths": torch.from_numpy(b["lengths"]).long().to(device),
           "text": torch.from_numpy(b["text"]).to(device)}
    if "tokens" in b:
        out["tokens"] = torch.from_numpy(b["tokens"]).to(device)
        out["token_mask"] = torch.from_numpy(b["token_mask"]).to(device)
        out["slots"] = torch.from_numpy(b["slots"]).long().to(device)
    if "seg" in b:
        out["seg"] = torch.from_numpy(b["seg"]).long().to(device)
    for k in PAIR_KEYS:   # text consistency (.text_consistency): each variant text's own-wording pair
        if k in b:
            out[k] = torch.from_numpy(b[k]).to(device)
    return out


def train(cfg: AtomConfig | MDMConfig, tcfg: TrainConfig, dataset: T2MDataset, out_dir: str | Path,
          val: T2MDataset | None = None, device: str | None = None, resume: bool = True,
          init: str | Path | None = None) -> dict:
    """Train (or resume) a model; returns a summary with the final losses and timings.

    ``init``: a model directory whose weights (and normaliser) start a new run; parameters it lacks
    keep their initialisation.  Ignored when the run resumes from its own ``train_state.pt``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cpu":
        torch.set_num_threads(tcfg.threads)
    torch.manual_seed(tcfg.seed)
    dataset.original_share = tcfg.original_share
    if tcfg.balance_atoms > 0:
        dataset.item_weights = atom_balance_weights(dataset.ids, corpus_atoms(), tcfg.balance_atoms)
        log.info("atom-balanced draws (power %g): weights %.2f-%.2f", tcfg.balance_atoms,
                 dataset.item_weights.min(), dataset.item_weights.max())
    model = build_model(cfg).to(dev)
    norm_path = out_dir / "normalizer.npz"
    state_path = out_dir / "train_state.pt"
    fresh = not (resume and state_path.is_file())
    if init is not None and fresh:
        from safetensors.torch import load_file
        missing, _ = model.load_state_dict(load_file(str(Path(init) / "model.safetensors")), strict=False)
        log.info("initialised from %s (new: %s)", init, sorted({k.split('.')[0] for k in missing}))
        normalizer = Normalizer.load(Path(init) / "normalizer.npz")
    elif resume and norm_path.is_file():
        normalizer = Normalizer.load(norm_path)
    else:
        normalizer = dataset.fit_normalizer()
    normalizer.save(norm_path)
    model.set_normalizer(normalizer.mean, normalizer.std)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    rng = np.random.default_rng(tcfg.seed)
    gen = torch.Generator(device=dev).manual_seed(tcfg.seed)
    step, elapsed = 0, 0.0
    if resume and state_path.is_file():
        st = torch.load(state_path, map_location=dev, weights_only=True)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = int(st["step"]), float(st["elapsed"])
        rng.bit_generator.state = st["np_rng"]
        gen.set_state(st["torch_gen"].cpu() if dev.type == "cpu" else st["torch_gen"])
        log.info("resumed from step %d (%.1f min)", step, elapsed / 60)
    ema = None
    if tcfg.ema_decay > 0:
        ema = ema_init(model)
        if resume and state_path.is_file() and "ema" in st:
            ema = {k: v.to(dev) for k, v in st["ema"].items()}

    def save_state() -> None:
        tmp = state_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "np_rng": rng.bit_generator.state, "torch_gen": gen.get_state(),
                    "cfg": asdict(cfg), "tcfg": asdict(tcfg), **({"ema": ema} if ema is not None else {})}, tmp)
        tmp.replace(state_path)

    def progress() -> float:
        p = step / tcfg.steps
        if tcfg.max_minutes > 0:
            p = max(p, elapsed / (tcfg.max_minutes * 60))
        return min(p, 1.0)

    logf = open(out_dir / "train_log.jsonl", "a")
    last_ckpt = time.perf_counter()
    stop, restore_signals = _install_stop_handler()
    acc: dict[str, list[float]] = {}
    model.train()
    try:
        while progress() < 1.0 and not stop:
            t0 = time.perf_counter()
            p = progress()
            for group in opt.param_groups:
                group["lr"] = lr_at(p, step, tcfg)
            raw = dataset.batch(rng, tcfg.batch_size, normalizer)
            if getattr(cfg, "w_text_cons", 0.0) > 0:
                raw = add_pairs(raw, dataset, raw["text_index"])
            batch = _to_torch(raw, dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=tcfg.bf16):
                loss, logs = model.loss(batch, p, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
            opt.step()
            if ema is not None:
                ema_update(ema, model, tcfg.ema_decay)
            step += 1
            elapsed += time.perf_counter() - t0
            logs["gnorm"] = float(gnorm)
            for k, v in logs.items():
                acc.setdefault(k, []).append(v)
            if step % tcfg.log_every == 0:
                row = {"step": step, "progress": round(progress(), 4), "lr": opt.param_groups[0]["lr"],
                       "minutes": round(elapsed / 60, 2), **{k: round(float(np.mean(v)), 5) for k, v in acc.items()}}
                if val is not None and step % (tcfg.log_every * 8) == 0:
                    row["val_loss"] = round(evaluate_loss(model, val, normalizer, p, dev), 5)
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
        restore_signals()
    model.eval()
    meta = dict(train_steps=step, train_minutes=round(elapsed / 60, 1), train_batch=tcfg.batch_size,
                train_items=len(dataset))
    export_model(model, normalizer, out_dir, **meta)
    if ema is not None:
        model.load_state_dict(ema)
        export_model(model, normalizer, out_dir / "ema", ema_decay=tcfg.ema_decay, **meta)
    return {"steps": step, "minutes": elapsed / 60, "final": {k: float(np.mean(v)) for k, v in acc.items()}}


@torch.no_grad()
def evaluate_loss(model: torch.nn.Module, data: T2MDataset, normalizer: Normalizer, progress: float,
                  device: torch.device, batches: int = 4, batch_size: int = 32) -> float:
    """Mean training loss on a few fixed batches of `data` (a held-out split)."""
    model.eval()
    rng = np.random.default_rng(1234)
    gen = torch.Generator(device=device).manual_seed(1234)
    out = [float(model.loss(_to_torch(data.batch(rng, batch_size, normalizer), device), progress, gen)[0])
           for _ in range(batches)]
    return float(np.mean(out))


def script_main(model_type: str, argv: list[str] | None = None) -> int:
    """Command line of scripts/train_atom.py and scripts/train_mdm.py."""
    import argparse
    from dataclasses import replace

    from .config import ATOM_CPU, ATOM_GPU, MDM_CPU, MDM_GPU, TRAIN_CPU, TRAIN_GPU
    from app.core.config_overrides import apply_overrides
    from .data import CACHE_DIR, build_cache

    ap = argparse.ArgumentParser(description=f"train the {model_type} text-to-motion model")
    ap.add_argument("--out", default=f"models/{model_type}")
    ap.add_argument("--preset", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--max-minutes", type=float, help="wall-clock budget (curriculum follows it)")
    ap.add_argument("--original-share", type=float,
                    help="share of batch texts from the corpus's own wording (cache with variants; default uniform)")
    ap.add_argument("--balance-atoms", type=float,
                    help="draw items of rare atoms more often: weight (rarest atom's count / max) ** -POWER")
    ap.add_argument("--ema-decay", type=float, help="also export an exponential moving average of the weights (ema/)")
    ap.add_argument("--n-procedural", type=int, default=4000, help="procedural indices when regenerating")
    ap.add_argument("--cache", default=str(CACHE_DIR / "train.npz"))
    ap.add_argument("--val-cache", default=str(CACHE_DIR / "val.npz"))
    ap.add_argument("--set", action="append", default=[], help="model config override KEY=VALUE")
    ap.add_argument("--mirror", action="store_true",
                    help="train on every item and its left/right mirror twin (cache built with them)")
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--init", help="start a new run from this model's weights (new modules keep their init)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    gpu = args.preset == "gpu"
    cfg = (ATOM_GPU if gpu else ATOM_CPU) if model_type == "atom" else (MDM_GPU if gpu else MDM_CPU)
    cfg = apply_overrides(cfg, args.set)
    tcfg = TRAIN_GPU if gpu else TRAIN_CPU
    over = {"steps": args.steps, "batch_size": args.batch, "lr": args.lr, "threads": args.threads,
            "max_minutes": args.max_minutes, "original_share": args.original_share,
            "balance_atoms": args.balance_atoms, "ema_decay": args.ema_decay}
    tcfg = replace(tcfg, **{k: v for k, v in over.items() if v is not None})
    if not Path(args.cache).is_file():
        build_cache(args.cache, "train", args.n_procedural, mirror=args.mirror)
    with np.load(args.cache) as z:
        cached_mirror = bool(z["mirror"]) if "mirror" in z.files else False
    if cached_mirror != args.mirror:
        raise SystemExit(f"{args.cache} was built with mirror={cached_mirror}; pass another --cache "
                         f"(e.g. {CACHE_DIR / 'train_mirror.npz'}) or {'add' if cached_mirror else 'drop'} --mirror")
    if not Path(args.val_cache).is_file():
        build_cache(args.val_cache, "val", args.n_procedural)
    data = T2MDataset.load(args.cache, cfg.max_frames)
    val = T2MDataset.load(args.val_cache, cfg.max_frames)
    log.info("%s: %d train items, %d val items; %s; %s", model_type, len(data), len(val), cfg, tcfg)
    summary = train(cfg, tcfg, data, args.out, val=val, resume=not args.no_resume, init=args.init)
    log.info("done: %s", summary)
    return 0


def export_from_state(run_dir: str | Path, out_dir: str | Path, ema: bool = False) -> Path:
    """Export the model of a (possibly running) run's ``train_state.pt`` to ``out_dir`` (``ema``: its
    moving average of the weights instead)."""
    from .config import config_from_dict

    run_dir = Path(run_dir)
    st = torch.load(run_dir / "train_state.pt", map_location="cpu", weights_only=True)
    model = build_model(config_from_dict(st["cfg"]))
    model.load_state_dict(st["ema"] if ema else st["model"])
    return export_model(model, Normalizer.load(run_dir / "normalizer.npz"), out_dir, train_steps=int(st["step"]),
                        train_minutes=round(float(st["elapsed"]) / 60, 1))
