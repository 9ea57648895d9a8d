"""ATOM's overfitting check on a tiny model (issue 11): trained on a few procedural items, it must give
each item's action back from that item's own text, judged by the suite's kinematic predicates.

The same check at full width is ``scripts/overfit_atom.py`` (64 corpus items); a model that fails
here has a conditioning bug (text path, left/right slots, normalisation, feature recovery).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.engine.corpus import generate
from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import evaluate
from app.engine.repr.humanml3d import clip_to_features, features_to_clip
from app.engine.t2m.config import ATOM_CPU, TrainConfig
from app.engine.t2m.data import T2MDataset
from app.engine.t2m.pipeline import TextToMotionPipeline
from app.engine.t2m.text_cond import parse_slots
from app.engine.t2m.train import train

from t2m_fakes import TINY_ATOM, fake_encoder

def side_blind_encoder(texts: list[str]) -> np.ndarray:
    """Like MiniLM's pooled vector (cosine 0.989 between "left hand" and "right hand"), but fully blind:
    "left" and "right" give the same vector, so only the prompt's side slot can tell them apart."""
    return fake_encoder([t.replace("left", "").replace("right", "") for t in texts])


ITEMS = [("wave", "left", "a person waves with the left hand"), ("wave", "right", "a person waves with the right hand"),
         ("kick", "left", "a person kicks with the left leg"), ("kick", "right", "a person kicks with the right leg")]


@pytest.fixture(scope="module")
def overfit_pipe(tmp_path_factory):
    feats, texts = [], []
    for k, (atom, side, text) in enumerate(ITEMS):
        clip = generate(atom, {"side": side, "reps": 2} if atom == "wave" else {"side": side},
                        rng=np.random.default_rng(k))
        feats.append(clip_to_features(clip).astype(np.float32))
        texts.append(text)
    emb = [side_blind_encoder([t]) for t in texts]
    data = T2MDataset(feats, emb, [[t] for t in texts], [str(i) for i in range(len(texts))],
                      tokens=[[e[0][None]] for e in emb], slots=[parse_slots(t)[None] for t in texts])
    # the shipped preset's losses and text path, at test width; no masking (it is a memorisation check)
    cfg = replace(ATOM_CPU, **{k: v for k, v in TINY_ATOM.items() if k != "model_type"},
                  word_layers=1, periodic=4, mask_max=0.0)
    out = tmp_path_factory.mktemp("overfit")
    train(cfg, TrainConfig(steps=300, batch_size=4, lr=3e-3, warmup=20, log_every=100, lr_drop_at=0.8),
          data, out, device="cpu")
    return TextToMotionPipeline.from_pretrained(out, device="cpu", text_encoder=side_blind_encoder), feats


@pytest.mark.parametrize("k", range(len(ITEMS)))
def test_tiny_atom_gives_back_its_training_items(overfit_pipe, k):
    pipe, feats = overfit_pipe
    atom, side, text = ITEMS[k]
    truth = evaluate(atom, Kin.from_clip(features_to_clip(feats[k], pipe.fps)), side=side)
    assert truth.ok, truth.values  # the procedural item itself passes its predicate
    seconds = len(feats[k]) / pipe.fps
    named = [bool(evaluate(atom, Kin.from_clip(pipe.generate(text, seconds=seconds, seed=s)[0]), side=side).named_moves)
             for s in range(2)]
    assert all(named), (text, named)
