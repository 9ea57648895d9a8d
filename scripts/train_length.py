"""Train the text-to-motion length estimator (app/engine/t2m/length.py) on a training cache's (text, duration) pairs.

    .venv/bin/python scripts/train_length.py --cache .cache/t2m/train_s35_ctx.npz \
        --val-cache .cache/t2m/val_s35.npz --out models/length --count-head --threads 2
    .venv/bin/python scripts/train_length.py --val-cache .cache/t2m/val_s35.npz --evaluate models/length

Every text form of an item (corpus wording, synonyms, context variants) is paired with the item's duration. A fixed
number of steps (no early stopping: the val split is only read once, at the end). Prints val figures next to the
constant baseline (the training median) and writes model.safetensors + config.json (with the figures) to ``--out``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from app.engine.t2m.length import (MAX_ESTIMATE_S, MIN_ESTIMATE_S, LengthConfig, LengthEstimator,  # noqa: E402
                                   slot_onehots)

log = logging.getLogger("train_length")
FPS = 20.0


def pairs(cache: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pooled [N, 384], slots [N, 4], seconds [N]) over every text form of every item."""
    d = np.load(cache, allow_pickle=False)
    secs = np.diff(d["offsets"]) / FPS
    per_item = np.diff(d["text_offsets"])
    item = np.repeat(np.arange(len(per_item)), per_item)
    return d["text_emb"].astype(np.float32), d["slots"], secs[item].astype(np.float32)


def figures(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    ratio = np.abs(np.log(pred / true))
    return {"mae_s": round(float(np.mean(np.abs(pred - true))), 3),
            "median_abs_log_ratio": round(float(np.median(ratio)), 3),
            "within_25pct": round(float(np.mean(ratio < np.log(1.25))), 3)}


def val_figures(pred: np.ndarray, true: np.ndarray, slots: np.ndarray) -> dict[str, dict[str, float]]:
    """Figures over all val texts and over those that name a count (reps slot > 0)."""
    counted = slots[:, 3] > 0
    return {"val": figures(pred, true), "val_counted": figures(pred[counted], true[counted])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", help="training cache (not needed with --evaluate)")
    ap.add_argument("--val-cache", required=True)
    ap.add_argument("--out", default="models/length")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count-head", action="store_true", help="base + per-repetition time x count (session 35)")
    ap.add_argument("--evaluate", nargs="+", metavar="DIR", help="only print the val figures of trained estimators")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.evaluate:
        xv, sv, yv = pairs(args.val_cache)
        for path in args.evaluate:
            pred = LengthEstimator.from_pretrained(path).predict(xv, sv)
            print(json.dumps({"model": path, **val_figures(pred, yv, sv)}))
        return 0
    if not args.cache:
        ap.error("--cache is required for training")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    x, s, y = pairs(args.cache)
    xv, sv, yv = pairs(args.val_cache)
    x_t, s_t = torch.from_numpy(x), torch.from_numpy(slot_onehots(s))
    y_t = torch.from_numpy(np.clip(y, MIN_ESTIMATE_S, MAX_ESTIMATE_S))
    log.info("%d training texts, %d val texts", len(x), len(xv))
    model = LengthEstimator(LengthConfig(text_dim=x.shape[1], count_head=args.count_head))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        idx = torch.from_numpy(rng.integers(0, len(x), args.batch))
        loss = model.nll(x_t[idx], s_t[idx], y_t[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == args.steps:
            log.info("step %d nll %.4f (%.0f s)", step, float(loss), time.time() - t0)

    pred = model.predict(xv, sv)
    const = np.full_like(yv, float(np.median(y)))
    fig = {**val_figures(pred, yv, sv), "val_constant_median": figures(const, yv),
           "train_median_s": round(float(np.median(y)), 2), "train_texts": int(len(x)), "val_texts": int(len(xv)),
           "steps": args.steps, "seconds": round(time.time() - t0, 1), "cache": str(args.cache)}
    log.info("val: %s; constant %.2f s: %s", fig["val"], float(np.median(y)), fig["val_constant_median"])
    model.save(args.out, figures=fig)
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
