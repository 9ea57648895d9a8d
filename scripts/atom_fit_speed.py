"""How fast does ATOM fit a few corpus items?  Reconstruction after N steps per setting (the
overfitting check's quick form; used to find that the spectral term blocked the fit, issue 11).

    .venv/bin/python scripts/atom_fit_speed.py --items 16 --steps 150 --lr 4e-4 --set w_spec=0

Prints the mean predictor's reconstruction on the same items (what a model that learned nothing
scores) beside the model's mean reconstruction over the last 50 steps.  No masking, from scratch.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("atom_fit_speed")


COMPOSED = re.compile(r"\bthen\b|,|;|\bafter\b")


def decode_recs(model, batch: dict, valid) -> dict[str, float]:
    """Reconstruction of the items decoded from the posterior mean, from z = 0 and from the prior mean:
    posterior well below z = 0 means the decoder reads z (timing, phase), equal means it ignores z."""
    import torch

    from app.engine.t2m.atom_model import as_cond

    model.eval()
    out = {}
    with torch.no_grad():
        cond = as_cond(batch)
        mu, _ = model.encode(batch["x"], batch["lengths"], cond)
        p_mu, _ = model.prior_params(cond)
        for name, z in (("posterior", mu), ("z0", torch.zeros_like(mu)), ("prior_mean", p_mu)):
            pred, _ = model.decode(z, cond, batch["lengths"], batch["x"].shape[1])
            out[name] = round(float(((pred - batch["x"]) ** 2)[valid].mean()), 3)
    model.train()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=".cache/t2m/train.npz")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--only", help="pick single-action items whose first text contains this word (e.g. wave)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    from app.core.config_overrides import apply_overrides
    from app.engine.t2m.config import ATOM_CPU
    from app.engine.t2m.data import T2MDataset
    from app.engine.t2m.train import _to_torch, build_model

    torch.set_num_threads(args.threads)
    full = T2MDataset.load(args.cache)
    pool = np.arange(len(full))
    if args.only:  # one repeated action in many timings: only z can tell the decoder the phase
        pool = np.array([i for i, t in enumerate(full.texts) if args.only in t[0] and not COMPOSED.search(t[0])
                         and len(full.features[i]) <= ATOM_CPU.max_frames])
    pick = np.random.default_rng(0).choice(pool, size=min(args.items, len(pool)), replace=False)
    sub = full.subset(pick)
    cfg = replace(apply_overrides(ATOM_CPU, args.set), mask_max=0.0)
    torch.manual_seed(0)
    model = build_model(cfg)
    norm = (full if args.only else sub).fit_normalizer()  # one action alone has near-constant dims
    model.set_normalizer(norm.mean, norm.std)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    probe = _to_torch(sub.batch(np.random.default_rng(5), args.items, norm), "cpu")
    valid = torch.arange(probe["x"].shape[1])[None] < probe["lengths"][:, None]
    mean_rec = float((probe["x"][valid] ** 2).mean())
    t0, hist = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, step / 50)
        loss, logs = model.loss(_to_torch(sub.batch(rng, args.items, norm), "cpu"), 0.5, gen)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        hist.append(logs["rec"])
        if step % 50 == 0:
            log.info("step %d rec %.3f spec %.2f kl %.1f (%.0f s)", step, np.mean(hist[-50:]), logs["spec"], logs["kl"],
                     time.perf_counter() - t0)
    print(json.dumps({"set": args.set, "lr": args.lr, "items": len(pick), "only": args.only, "steps": args.steps,
                      "mean_predictor_rec": round(mean_rec, 3), "rec_last50": round(float(np.mean(hist[-50:])), 3),
                      "decode_rec": decode_recs(model, probe, valid),
                      "s_per_step": round((time.perf_counter() - t0) / args.steps, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
