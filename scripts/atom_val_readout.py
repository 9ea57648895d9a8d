"""Checkpoint choice on the corpus *val* split (never the prompt suite): decode reconstruction from the
posterior mean, from z = 0 and from the prior mean (see atom_fit_speed.decode_recs), 96 items in 3 batches.

    .venv/bin/python scripts/atom_val_readout.py models/atom .cache/t2m/runs/atom_s6
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="model folders (config.json, model.safetensors, normalizer.npz)")
    ap.add_argument("--cache", default=".cache/t2m/val.npz")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch

    from atom_fit_speed import decode_recs
    from app.engine.t2m.data import T2MDataset
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import _to_torch

    torch.set_num_threads(args.threads)
    val = T2MDataset.load(args.cache)
    for name in args.models:
        pipe = TextToMotionPipeline.from_pretrained(name, device="cpu")
        fits = np.array([i for i in range(len(val)) if len(val.features[i]) <= pipe.model.cfg.max_frames])
        sub = val.subset(np.random.default_rng(0).choice(fits, size=96, replace=False))
        res = []
        for k in range(3):
            batch = _to_torch(sub.subset(np.arange(32 * k, 32 * k + 32)).batch(np.random.default_rng(5), 32, pipe.normalizer), "cpu")
            valid = torch.arange(batch["x"].shape[1])[None] < batch["lengths"][:, None]
            res.append(decode_recs(pipe.model, batch, valid))
        print(name, {k: round(float(np.mean([r[k] for r in res])), 3) for k in res[0]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
