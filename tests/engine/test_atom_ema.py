"""The trainer's moving average of the weights (``TrainConfig.ema_decay``, session 43): the update rule,
and a short run that exports ``ema/`` beside the model and resumes with the average kept."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from app.engine.corpus import generate
from app.engine.repr.humanml3d import clip_to_features
from app.engine.t2m.config import ATOM_CPU, TrainConfig
from app.engine.t2m.data import T2MDataset
from app.engine.t2m.text_cond import parse_slots
from app.engine.t2m.train import ema_init, ema_update, export_from_state, train

from t2m_fakes import TINY_ATOM, fake_encoder


def test_ema_update_moves_floats_by_one_minus_decay_and_copies_integers():
    lin = torch.nn.Linear(2, 2)
    lin.register_buffer("count", torch.tensor(3))
    ema = ema_init(lin)
    with torch.no_grad():
        lin.weight.add_(1.0)
        lin.count.fill_(7)
    before = ema["weight"].clone()
    ema_update(ema, lin, 0.9)
    assert torch.allclose(ema["weight"], before + 0.1, atol=1e-6)
    assert int(ema["count"]) == 7
    assert not torch.allclose(ema["weight"], lin.weight)   # the average lags the weights


def _data() -> T2MDataset:
    feats, texts = [], []
    for k, (atom, text) in enumerate([("squat", "a person squats"), ("jump", "a person jumps")]):
        feats.append(clip_to_features(generate(atom, {}, rng=np.random.default_rng(k))).astype(np.float32))
        texts.append(text)
    emb = [fake_encoder([t]) for t in texts]
    return T2MDataset(feats, emb, [[t] for t in texts], ["0", "1"], tokens=[[e[0][None]] for e in emb],
                      slots=[parse_slots(t)[None] for t in texts])


def test_training_exports_the_average_and_resume_keeps_it(tmp_path):
    from safetensors.torch import load_file
    cfg = replace(ATOM_CPU, **{k: v for k, v in TINY_ATOM.items() if k != "model_type"}, word_layers=1)
    tcfg = TrainConfig(steps=6, batch_size=2, lr=1e-3, warmup=1, log_every=3, ema_decay=0.5)
    train(cfg, tcfg, _data(), tmp_path, device="cpu")
    raw, avg = load_file(str(tmp_path / "model.safetensors")), load_file(str(tmp_path / "ema" / "model.safetensors"))
    assert raw.keys() == avg.keys() and (tmp_path / "ema" / "normalizer.npz").is_file()
    assert any(not torch.equal(raw[k], avg[k]) for k in raw if raw[k].is_floating_point())
    state = torch.load(tmp_path / "train_state.pt", weights_only=True)
    assert set(state["ema"]) == set(raw)
    out = export_from_state(tmp_path, tmp_path / "again", ema=True)
    again = load_file(str(out / "model.safetensors"))
    assert all(torch.equal(again[k], avg[k]) for k in avg)
    train(cfg, replace(tcfg, steps=8), _data(), tmp_path, device="cpu")   # resumes at step 6
    later = torch.load(tmp_path / "train_state.pt", weights_only=True)
    assert later["step"] == 8 and any(not torch.equal(later["ema"][k], state["ema"][k]) for k in avg
                                      if avg[k].is_floating_point())


def test_no_average_without_a_decay(tmp_path):
    cfg = replace(ATOM_CPU, **{k: v for k, v in TINY_ATOM.items() if k != "model_type"}, word_layers=1)
    train(cfg, TrainConfig(steps=2, batch_size=2, warmup=1, log_every=1, ema_decay=0.0), _data(), tmp_path,
          device="cpu")
    assert not (tmp_path / "ema").exists()
    assert "ema" not in torch.load(tmp_path / "train_state.pt", weights_only=True)
