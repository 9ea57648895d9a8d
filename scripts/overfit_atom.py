"""Overfitting check for ATOM: train on a few corpus items, then generate each from its own text.

    .venv/bin/python scripts/overfit_atom.py --items 64 --steps 600 --threads 2

A model that cannot reproduce its own training items from their texts has a conditioning bug
(normalisation, feature recovery, left/right, masking, the text path).  Judged per item by the
kinematics of the generated joints against the item's own joints: which wrist/ankle moves
most (side), the sign of the forward displacement, and the joint-position error.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("overfit")


def limb_activity(joints: np.ndarray) -> np.ndarray:
    """Path length of [l_wrist, r_wrist, l_ankle, r_ankle] relative to the pelvis."""
    rel = joints[:, [20, 21, 7, 8]] - joints[:, :1]
    return np.linalg.norm(np.diff(rel, axis=0), axis=-1).sum(0)


def local_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance (m) between pelvis-relative joints of two clips over their common frames."""
    n = min(len(a), len(b))
    return float(np.linalg.norm((a[:n] - a[:n, :1]) - (b[:n] - b[:n, :1]), axis=-1).mean())


def posterior_decodes(model, norm, cond, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features decoded from the encoder's posterior mean of `feats` and from z = 0 (same text)."""
    import torch

    from app.engine.t2m.data import model_input
    x = torch.from_numpy(model_input(norm, feats))[None]
    n = torch.tensor([len(feats)])
    with torch.no_grad():
        mu, _ = model.encode(x, n, cond)
        out = [norm.denormalize(model.decode(z, cond, n, len(feats))[0][0].numpy()) for z in (mu, torch.zeros_like(mu))]
    return out[0], out[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=64)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--cache", default=".cache/t2m/train.npz")
    ap.add_argument("--set", action="append", default=[])
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    from app.engine.repr.humanml3d import features_to_clip
    from app.core.config_overrides import apply_overrides
    from app.engine.t2m.config import ATOM_CPU, TrainConfig
    from app.engine.t2m.data import T2MDataset
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import train

    full = T2MDataset.load(args.cache)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(full), size=args.items, replace=False)
    sub = full.subset(pick)
    cfg = ATOM_CPU
    cfg = apply_overrides(cfg, args.set)
    out = Path(".cache/t2m/runs/overfit")
    tcfg = TrainConfig(steps=args.steps, batch_size=min(32, args.items), threads=args.threads, lr=args.lr, log_every=50,
                       lr_drop_at=0.9)
    t0 = time.perf_counter()
    train(replace(cfg, mask_max=0.0), tcfg, sub, out, resume=False)
    pipe = TextToMotionPipeline.from_pretrained(out, device="cpu")
    side_ok, dir_ok, errs, post_side, post_errs, z_effect = 0, 0, [], 0, [], []
    model, norm = pipe.model.eval(), pipe.normalizer
    for k in range(len(sub)):
        text = sub.texts[k][0]
        real = features_to_clip(sub.features[k], 20.0).joints()
        feats, _ = pipe.sample_features(text, len(sub.features[k]), seed=k)
        gen = features_to_clip(feats[0], 20.0).joints()
        a_r, a_g = limb_activity(real), limb_activity(gen)
        side_ok += int(np.argmax(a_r) == np.argmax(a_g))
        d_r, d_g = real[-1, 0, 2] - real[0, 0, 2], gen[-1, 0, 2] - gen[0, 0, 2]
        dir_ok += int(abs(d_r) < 0.3 or np.sign(d_r) == np.sign(d_g))
        errs.append(local_error(real, gen))
        # the autoencoding path: decode the item from its own posterior mean, and from z = 0
        post, zero = posterior_decodes(model, norm, pipe.encode_texts([text]), sub.features[k])
        pj, zj = features_to_clip(post, 20.0).joints(), features_to_clip(zero, 20.0).joints()
        post_side += int(np.argmax(limb_activity(pj)) == np.argmax(a_r))
        post_errs.append(local_error(real, pj))
        z_effect.append(local_error(pj, zj))
    res = {"items": len(sub), "steps": args.steps, "minutes": round((time.perf_counter() - t0) / 60, 1),
           "set": args.set, "lr": args.lr,
           "most_active_limb_match": round(side_ok / len(sub), 3), "direction_match": round(dir_ok / len(sub), 3),
           "mean_local_joint_error_m": round(float(np.mean(errs)), 4),
           "posterior_limb_match": round(post_side / len(sub), 3),
           "posterior_local_joint_error_m": round(float(np.mean(post_errs)), 4),
           "posterior_vs_z0_m": round(float(np.mean(z_effect)), 4)}
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
