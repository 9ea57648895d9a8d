"""Fit ATOM's clock phase head (``clock_phase``) with every other weight frozen.

    .venv/bin/python scripts/train_atom_clock_phase.py --model DIR --out DIR2 [--steps 600] [--threads 2]

For each training motion (``--cache``, the run's training cache) the encoder's posterior mean z and
the text's per-frame bias are computed as in training; the target is the starting phase per clock band
that best aligns the drawn clock (the head's predicted rate, integrated) with the motion's measured
clock (``clock.best_offset``), weighted by how clear the rhythm is.  The head reads z and the text
summary.  ``--out`` receives a copy of ``--model`` with ``clock_phase`` on and the fitted head.
Held-out loss on ``--val-cache`` is logged beside the training loss.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("train_atom_clock_phase")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=str(ROOT / ".cache/t2m/train_s10.npz"))
    ap.add_argument("--val-cache", default=str(ROOT / ".cache/t2m/val_s10.npz"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import torch
    from safetensors.torch import save_file

    from app.engine.t2m import clock as C
    from app.engine.repr.humanml3d import RIC
    from app.engine.t2m.data import T2MDataset, model_input
    from app.engine.t2m.pipeline import TextToMotionPipeline

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    model, norm = pipe.model, pipe.normalizer
    if not model.cfg.clock:
        raise SystemExit(f"{args.model} has no clock (config clock = false)")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    head = C.PhaseHead(model.cfg.d_model)
    opt = torch.optim.AdamW(head.parameters(), lr=args.lr)
    train, val = T2MDataset.load(args.cache), T2MDataset.load(args.val_cache)
    rng = np.random.default_rng(0)

    def batch(ds, ix):
        feats = [model_input(norm, ds.features[i])[:model.cfg.max_frames] for i in ix]
        t = max(len(f) for f in feats)
        x = np.zeros((len(ix), t, feats[0].shape[1]), np.float32)
        for k, f in enumerate(feats):
            x[k, :len(f)] = f
        texts = [ds.texts[i][int(rng.integers(len(ds.texts[i])))] for i in ix]
        x, lengths = torch.from_numpy(x), torch.tensor([len(f) for f in feats])
        with torch.no_grad():
            cond = pipe.encode_texts(texts)
            mu, _ = model.encode(x, lengths, cond)
            bias = model.frame_bias(cond, t)
            valid = torch.arange(t)[None] < lengths[:, None]
            m = C.measure(model.denormalize(x)[..., RIC], lengths, model.cfg.fps)
            drift, _ = model.clock.drift(bias, t)
            target, weight = C.best_offset(m["phase"], m["amp"], drift, valid)
        return mu, bias.mean(1), target, weight

    val_ix = rng.permutation(len(val.features))[:256]
    val_batches = [batch(val, val_ix[k:k + args.batch]) for k in range(0, len(val_ix), args.batch)]

    def val_loss() -> float:
        with torch.no_grad():
            return float(np.mean([float(C.PhaseHead.loss(head(z, ctx), tg, w)) for z, ctx, tg, w in val_batches]))

    log.info("held-out loss before fitting %.4f (a uniform phase gives 1.0 on average)", val_loss())
    t0 = time.time()
    for step in range(1, args.steps + 1):
        z, ctx, tg, w = batch(train, rng.integers(0, len(train.features), args.batch))
        loss = C.PhaseHead.loss(head(z, ctx), tg, w)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps:
            log.info("step %d loss %.4f held-out %.4f (%.0f s)", step, float(loss.detach()), val_loss(), time.time() - t0)
    out = Path(args.out)
    if out.resolve() != Path(args.model).resolve():
        shutil.copytree(args.model, out, dirs_exist_ok=True)
    from safetensors.torch import load_file

    state = load_file(str(out / "model.safetensors"))
    state.update({f"clock_phase.{k}": v.detach().contiguous() for k, v in head.state_dict().items()})
    save_file(state, str(out / "model.safetensors"))
    cfg_path = out / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["clock_phase"] = True
    cfg_path.write_text(json.dumps(cfg, indent=1))
    log.info("wrote %s (held-out loss %.4f)", out, val_loss())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
