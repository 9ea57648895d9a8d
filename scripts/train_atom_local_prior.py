"""Fit an autoregressive prior for ATOM's local latents with the rest of the model frozen.

    .venv/bin/python scripts/train_atom_local_prior.py --model DIR --out DIR2 --steps 1500 --threads 1 \
        [--cache .cache/t2m/train_s10.npz] [--val-cache .cache/t2m/val_s10.npz]

DIR is a model trained with ``time_latent`` (independent prior per token).  DIR2 receives the same model
with ``time_latent_ar`` on: only the local latents' prior (``time_latent.prior`` and ``time_latent.ar_*``)
is trained, on KL(q(z_k | motion) || p(z_k | text, k, z_<k)) with z_<k teacher-forced from posterior
samples, i.e. the ELBO's only term that depends on the prior.  The held-out KL on fixed val batches is
logged and the best checkpoint kept.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("train_atom_local_prior")


def local_kl(model, batch: dict, gen: torch.Generator) -> torch.Tensor:
    """KL of the local latents (nats per motion) for one batch; only the prior receives gradients."""
    from app.engine.t2m.atom_model import as_cond
    from app.engine.t2m.layers import padding_mask
    x, lengths = batch["x"], batch["lengths"]
    cond = as_cond(batch)
    valid = ~padding_mask(lengths, x.shape[1])
    tl = model.time_latent
    with torch.no_grad():
        frames = model.encode(x, lengths, cond, return_frames=True)[2]
        mu, logvar, ok = tl.posterior(frames, valid)
        bias = model.frame_bias(cond, x.shape[1])
        eps = torch.randn(mu.shape, generator=gen)
        z = mu + model.cfg.z_noise * eps * torch.exp(0.5 * logvar)
    return tl.kl(mu, logvar, *tl.prior_params(bias, x.shape[1], z), ok)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=str(ROOT / ".cache/t2m/train_s10.npz"))
    ap.add_argument("--val-cache", default=str(ROOT / ".cache/t2m/val_s10.npz"))
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from app.engine.t2m.data import T2MDataset
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import _to_torch, build_model, export_model

    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    if not pipe.model.cfg.time_latent:
        raise SystemExit(f"{args.model} has no local latents (time_latent = 0)")
    model = build_model(replace(pipe.model.cfg, time_latent_ar=True))
    missing, unexpected = model.load_state_dict(pipe.model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("time_latent.ar_") for k in missing), (missing, unexpected)
    model.eval()
    train = [p for n, p in model.named_parameters() if n.startswith(("time_latent.prior", "time_latent.ar_"))]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in train:
        p.requires_grad_(True)
    data = T2MDataset.load(args.cache, model.cfg.max_frames)
    val = T2MDataset.load(args.val_cache, model.cfg.max_frames)
    norm = pipe.normalizer
    vrng = np.random.default_rng(123)
    val_batches = [_to_torch(val.batch(vrng, args.batch, norm), torch.device("cpu")) for _ in range(6)]

    def val_kl() -> float:
        g = torch.Generator().manual_seed(7)
        with torch.no_grad():
            return float(np.mean([float(local_kl(model, b, g)) for b in val_batches]))

    opt = torch.optim.AdamW(train, lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=max(args.steps, 50), pct_start=0.05)
    rng, gen = np.random.default_rng(args.seed), torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    best = val_kl()
    log.info("start: val local KL %.3f (independent prior)", best)
    best_state, history = {k: v.clone() for k, v in model.state_dict().items()}, [dict(step=0, val=round(best, 3))]
    for step in range(1, args.steps + 1):
        loss = local_kl(model, _to_torch(data.batch(rng, args.batch, norm), torch.device("cpu")), gen)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(train, 1.0)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == args.steps:
            v = val_kl()
            history.append(dict(step=step, train=round(float(loss.detach()), 3), val=round(v, 3)))
            log.info("%s (%.1f min)", history[-1], (time.time() - t0) / 60)
            if v < best:
                best, best_state = v, {k: t.clone() for k, t in model.state_dict().items()}
    model.load_state_dict(best_state)
    export_model(model, norm, args.out, local_prior_from=str(args.model), local_prior_steps=args.steps,
                 local_prior_val_kl=round(best, 3), local_prior_history=history)
    log.info("wrote %s (best val local KL %.3f)", args.out, best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
