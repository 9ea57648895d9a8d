"""Does ATOM's decoder use z?  Posterior vs z = 0 vs prior decodes of corpus items, judged by predicates.

    .venv/bin/python scripts/probe_atom_posterior.py --model models/atom --per-action 2

For training items of repeated actions (wave, clap, jumping jacks, punch), each item is decoded
from the encoder's posterior mean, from z = 0 and from a prior sample, and the kinematic predicate
of its action is applied to the ground truth and to each decode.  If the posterior decode fails
where the ground truth passes, the autoencoding path has lost the action; if posterior and z = 0
agree, the decoder ignores z (each text decodes to the corpus average over timings).  Models trained
with ``dec_text_drop`` also get an "autoencode" row: z from the motion alone, decoded without the text.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("probe_atom_posterior")
ACTIONS = {"wave": ("wave", {"side": "right"}, "right hand"), "clap": ("clap", {}, None),
           "jumping jack": ("jumping_jacks", {}, None), "punch": ("punch", {"side": "right"}, "right")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/atom")
    ap.add_argument("--cache", default=".cache/t2m/train.npz")
    ap.add_argument("--per-action", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limbs", choices=["positions", "rotations", "upper"], default="positions",
                    help="how the clip's limbs are built from the features (the pipeline's default: positions)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    from app.engine.repr.humanml3d import features_to_clip
    from app.engine.t2m.data import T2MDataset, model_input
    from app.engine.t2m.pipeline import TextToMotionPipeline

    torch.set_num_threads(args.threads)
    ds = T2MDataset.load(args.cache)
    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    model, norm = pipe.model.eval(), pipe.normalizer
    for key, (pred, kw, extra) in ACTIONS.items():
        idx = [i for i, t in enumerate(ds.texts) if key in t[0] and (extra is None or extra in t[0])
               and "then" not in t[0] and "," not in t[0] and len(ds.features[i]) <= model.cfg.max_frames]
        for i in idx[:args.per_action]:
            text, f = ds.texts[i][0], ds.features[i]
            x = torch.from_numpy(model_input(norm, f))[None]
            n = torch.tensor([len(f)])
            cond = pipe.encode_texts([text])
            with torch.no_grad():
                mu, logvar = model.encode(x, n, cond)
                p_mu, p_logvar = model.prior_params(cond if isinstance(cond, dict) else {"text": cond})
                z = {"posterior": mu, "z = 0": torch.zeros_like(mu),
                     "prior": p_mu + torch.randn_like(mu) * torch.exp(0.5 * p_logvar)}
                decodes = {k: norm.denormalize(model.decode(v, cond, n, len(f))[0][0].numpy()) for k, v in z.items()}
                if model.cfg.dec_text_drop > 0:  # the autoencoding path: neither encoder nor decoder reads the text
                    c0 = dict(cond, text=torch.zeros_like(cond["text"])) if model.cfg.drop_enc_text else cond
                    z_ae = model.encode(x, n, c0)[0]
                    out = model.decode(z_ae, cond, n, len(f), torch.zeros(1))[0][0].numpy()
                    decodes["autoencode"] = norm.denormalize(out)
            log.info("%s | |mu| %.2f, posterior std %.2f", text, float(mu.norm()), float(torch.exp(0.5 * logvar).mean()))
            for name, feats in [("ground truth", f), *decodes.items()]:
                v = evaluate(pred, Kin.from_clip(features_to_clip(feats, pipe.fps, limbs=args.limbs)), **kw)
                vals = {k: round(val, 2) if isinstance(val, float) else val for k, val in v.values.items()}
                log.info("    %-12s %-5s %s", name, bool(v.ok), vals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
