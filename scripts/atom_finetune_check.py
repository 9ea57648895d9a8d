"""Micro check of a loss change: fine-tune the shipped ATOM on repeated-action training items, judge the same items.

    .venv/bin/python scripts/atom_finetune_check.py 150 w_spec=0 rec_lowpass=3 w_stft=10 [--model DIR]

34 single-action training items (up to 12 each of right-hand waves, claps, right punches, side steps) are
fitted for N steps (batch 16, LR 5e-4) with the given config overrides; each item is then decoded from its
posterior mean and from one prior sample and judged by its atom's kinematic predicate (limbs from positions).
A memorisation check, not a measure: it tells whether a loss *can* make the decoder produce an action at all.
Needs the training cache ``.cache/t2m/train_s10.npz`` (built by ``scripts/train_atom.py``).
"""
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import argparse  # noqa: E402
torch.set_num_threads(1); torch.manual_seed(0)
from app.core.config_overrides import apply_overrides  # noqa: E402
from app.engine.t2m.data import T2MDataset, model_input
from app.engine.t2m.pipeline import TextToMotionPipeline
from app.engine.repr.humanml3d import features_to_clip
from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import evaluate
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("steps", type=int)
ap.add_argument("overrides", nargs="*", help="ATOM config KEY=VALUE")
ap.add_argument("--model", default=str(ROOT / "models/atom"))
ap.add_argument("--holdout", action="store_true", help="also judge the next 12 items of each action (not fitted)")
ap.add_argument("--clock-sources", nargs="+", default=None,
                help="with clock=1: judge one prior sample per clock source (drawn, draft)")
args = ap.parse_args()
steps = args.steps
ds = T2MDataset.load(ROOT / '.cache/t2m/train_s10.npz')
pipe = TextToMotionPipeline.from_pretrained(args.model, device='cpu')
m, norm = pipe.model, pipe.normalizer
m.cfg = apply_overrides(m.cfg, args.overrides)
if m.cfg.time_latent and not hasattr(m, "time_latent"):  # local latents added to a model trained without them
    from app.engine.t2m.time_latent import TimeLatent
    m.time_latent = TimeLatent(m.cfg.d_model, m.cfg.time_latent_dim, m.cfg.time_latent)
if m.cfg.clock and not hasattr(m, "clock"):  # the phase clock added to a model trained without it
    from app.engine.t2m.clock import ClockHead
    m.clock = ClockHead(m.cfg.d_model, m.cfg.fps, m.cfg.feature_dim)
ACT = {"wave": ("wave", "right hand", {"side": "right"}), "claps": ("clap", None, {}), "punches": ("punch", "right", {"side": "right"}),
       "sideways to the": ("side_step", None, {})}
COMP = re.compile(r"\bthen\b|,|;|\bafter\b")
items, held = [], []
for key, (pred, extra, kw) in ACT.items():
    idx = [i for i, t in enumerate(ds.texts) if key in t[0] and (extra is None or extra in t[0]) and not COMP.search(t[0]) and len(ds.features[i]) <= 200]
    items += [(i, pred, kw) for i in idx[:12]]
    held += [(i, pred, kw) for i in idx[12:24]]
print(len(items), 'items')
def batch(ix):
    T = max(len(ds.features[i]) for i in ix)
    x = np.zeros((len(ix), T, 263), np.float32); L = []
    for k, i in enumerate(ix):
        f = model_input(norm, ds.features[i]); x[k, :len(f)] = f; L.append(len(f))
    cond = pipe.encode_texts([ds.texts[i][0] for i in ix])
    return dict(x=torch.from_numpy(x), lengths=torch.tensor(L), **cond)
opt = torch.optim.AdamW(m.parameters(), lr=5e-4)
rng = np.random.default_rng(0); t0 = time.time()
m.train()
for s in range(steps):
    ix = [items[j][0] for j in rng.integers(0, len(items), 16)]
    loss, logs = m.loss(batch(ix), 0.9)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if s % 25 == 0: print(s, {k: round(v, 3) for k, v in logs.items() if k in ('rec', 'stft', 'spec', 'pair', 'kl_local', 'clock')}, round(time.time()-t0))
m.eval()
res = {}
for i, pred, kw, tag in [(*it, "") for it in items] + ([(*it, "held-") for it in held] if args.holdout else []):
    b = batch([i]); cond = {k: v for k, v in b.items() if k not in ('x', 'lengths')}
    decoded = []
    with torch.no_grad():
        decoded.append((tag + "post", norm.denormalize(m.reconstruct(b['x'], b['lengths'], cond)[0].numpy())))
        for src in (args.clock_sources or [m.cfg.clock_source]):
            m.cfg.clock_source = src
            name = tag + "prior" + (f"-{src}" if args.clock_sources else "")
            decoded.append((name, norm.denormalize(m.sample(cond, len(ds.features[i]), torch.Generator().manual_seed(0))[0][0].numpy())))
    for name, f in decoded:
        v = evaluate(pred, Kin.from_clip(features_to_clip(f, 20.0, limbs="positions")), **kw)
        res.setdefault((pred, name), []).append(bool(v.ok))
for k, v in sorted(res.items()): print(k, f"{sum(v)}/{len(v)}")
