"""Train ATOM's diffusion prior over its global latent (app/engine/t2m/latent_prior.py).

    .venv/bin/python scripts/train_atom_prior.py --model models/atom --steps 20000 --threads 1 \
        [--out DIR] [--cache .cache/t2m/train_s10.npz] [--val-cache .cache/t2m/val_s10.npz]

The ATOM weights stay frozen.  Every (training motion, one of its texts) pair gives the encoder's
posterior mean z and the text context; the target is u = (z - mu_p) / sigma_p in the learned Gaussian
prior's coordinates.  The same pairs of the val split give the held-out denoising loss (logged; the
checkpoint with the lowest one is kept).  Writes ``z_prior.json`` + ``z_prior.safetensors`` into --out
(default: the model folder).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("train_atom_prior")


def latent_pairs(pipe, ds, batch_items: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """u [N, d] and text context [N, 2d] for every (item, text) pair of the dataset."""
    from app.engine.t2m.data import model_input
    from app.engine.t2m.text_cond import pad_tokens
    m, norm = pipe.model, pipe.normalizer
    us, ctxs = [], []
    order = np.argsort(ds.lengths, kind="stable")
    with torch.no_grad():
        for s in range(0, len(order), batch_items):
            rows = [(i, j) for i in order[s:s + batch_items] for j in range(len(ds.text_emb[i]))]
            t = max(len(ds.features[i]) for i, _ in rows)
            x = np.zeros((len(rows), t, 263), np.float32)
            for k, (i, _) in enumerate(rows):
                f = model_input(norm, ds.features[i])
                x[k, :len(f)] = f
            tok, tmask = pad_tokens([ds.tokens[i][j].astype(np.float32) for i, j in rows])
            cond = dict(text=torch.from_numpy(np.stack([ds.text_emb[i][j] for i, j in rows]).astype(np.float32)),
                        tokens=torch.from_numpy(tok), token_mask=torch.from_numpy(tmask),
                        slots=torch.from_numpy(np.stack([ds.slots[i][j] for i, j in rows]).astype(np.int64)))
            lengths = torch.tensor([len(ds.features[i]) for i, _ in rows])
            mu = m.encode(torch.from_numpy(x), lengths, cond)[0]
            p_mu, p_logvar = m.prior_params(cond)
            us.append((mu - p_mu) / torch.exp(0.5 * p_logvar))
            ctxs.append(m.prior_context(cond))
    return torch.cat(us), torch.cat(ctxs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models/atom"))
    ap.add_argument("--out", help="folder for z_prior.* (default: the model folder)")
    ap.add_argument("--cache", default=str(ROOT / ".cache/t2m/train_s10.npz"))
    ap.add_argument("--val-cache", default=str(ROOT / ".cache/t2m/val_s10.npz"))
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", help="npz to keep the encoded pairs in (reused when it exists)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from app.engine.t2m.data import T2MDataset
    from app.engine.t2m.latent_prior import LatentPrior
    from app.engine.t2m.pipeline import TextToMotionPipeline
    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    pipe.model.z_prior = None
    t0 = time.time()
    if args.pairs and Path(args.pairs).is_file():
        with np.load(args.pairs) as z:
            u, ctx, vu, vctx = (torch.from_numpy(z[k]) for k in ("u", "ctx", "vu", "vctx"))
    else:
        u, ctx = latent_pairs(pipe, T2MDataset.load(args.cache))
        vu, vctx = latent_pairs(pipe, T2MDataset.load(args.val_cache))
        if args.pairs:
            np.savez(args.pairs, u=u.numpy(), ctx=ctx.numpy(), vu=vu.numpy(), vctx=vctx.numpy())
    log.info("pairs: %d train, %d val (%.0f s); u std %.3f", len(u), len(vu), time.time() - t0, float(u.std()))
    prior = LatentPrior(u.shape[1], ctx.shape[1], args.hidden, args.layers)
    opt = torch.optim.AdamW(prior.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.steps, pct_start=0.05)
    g, gv = torch.Generator().manual_seed(args.seed), torch.Generator().manual_seed(123)
    best, best_state, history = float("inf"), None, []
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(u), (args.batch,), generator=g)
        loss = prior.loss(u[idx], ctx[idx], g)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(prior.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 1000 == 0 or step == args.steps or step == 100:
            prior.eval()
            with torch.no_grad():  # fixed noise and timesteps: comparable across checkpoints
                gv.manual_seed(123)
                val = float(np.mean([float(prior.loss(vu, vctx, gv)) for _ in range(4)]))
            prior.train()
            history.append(dict(step=step, train=round(float(loss.detach()), 4), val=round(val, 4)))
            log.info("%s", history[-1])
            if val < best:
                best, best_state = val, {k: v.clone() for k, v in prior.state_dict().items()}
    prior.load_state_dict(best_state)
    out = Path(args.out or args.model)
    out.mkdir(parents=True, exist_ok=True)
    prior.save(out, atom_model=str(args.model), steps=args.steps, best_val=round(best, 4),
               train_pairs=len(u), val_pairs=len(vu), minutes=round((time.time() - t0) / 60, 1),
               command=" ".join(sys.argv), history=history)
    log.info("wrote %s (best val denoising loss %.4f)", out / "z_prior.safetensors", best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
