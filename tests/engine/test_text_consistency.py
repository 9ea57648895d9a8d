"""Text consistency (session 41): a variant text's pair is its closest own text; the term pulls its condition there."""
from __future__ import annotations

import numpy as np
import torch
from t2m_fakes import TINY_ATOM, fake_encoder

from app.engine.t2m.atom_model import ATOM
from app.engine.t2m.config import AtomConfig, TrainConfig
from app.engine.t2m.data import T2MDataset
from app.engine.t2m.text_consistency import add_pairs, pair_index, text_consistency_loss
from app.engine.t2m.train import _to_torch, train


def _dataset(tokens: bool = True) -> T2MDataset:
    rng = np.random.default_rng(0)
    texts = [[f"item {i} own a", f"item {i} own b", f"item {i} own a in the office"] for i in range(4)]
    emb = [fake_encoder(t) for t in texts]
    for e in emb:   # the variant (text 2) lies next to own text 0, far from own text 1
        e[2] = e[0] + 0.05 * e[1]
    toks = [[rng.normal(size=(3 + j, 384)).astype(np.float16) for j in range(3)] for _ in range(4)] if tokens else None
    feats = [rng.normal(size=(n, 263)).astype(np.float32) * 0.1 for n in (20, 24, 28, 22)]
    return T2MDataset(feats, emb, texts, [f"i{i}" for i in range(4)], tokens=toks, original_texts=[2] * 4)


def test_a_variant_pairs_with_its_closest_own_text_and_own_texts_pair_with_nothing():
    e = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.9], [0.9, 0.1]])
    assert pair_index(e, 2, 2) == 1 and pair_index(e, 2, 3) == 0
    assert pair_index(e, 2, 0) == 0 and pair_index(e, 0, 3) == 3


def test_pairs_ride_along_the_batch_and_only_variants_carry_weight():
    ds = _dataset()
    b = ds.batch(np.random.default_rng(1), 4)
    b["text_index"] = np.array([2, 0, 2, 1])
    out = add_pairs(b, ds, list(b["text_index"]))
    np.testing.assert_array_equal(out["pair_w"], [1, 0, 1, 0])
    i = int(b["index"][0])
    np.testing.assert_allclose(out["text2"][0], ds.text_emb[i][0])   # the variant's pair: own text 0, not 1
    assert out["tokens2"].shape[0] == 4 and out["token_mask2"][0].sum() == 3


def test_the_term_is_zero_for_own_texts_positive_for_variants_and_moves_only_the_variant_side():
    torch.manual_seed(0)
    model = ATOM(AtomConfig(**dict(TINY_ATOM, word_emb=True, learned_prior=True, w_text_cons=1.0)))
    ds = _dataset()
    b = ds.batch(np.random.default_rng(1), 4)
    raw = add_pairs(b, ds, [0, 1, 0, 1])
    batch = _to_torch(raw, torch.device("cpu"))
    cond = {k: batch[k] for k in ("text", "tokens", "token_mask", "slots")}
    assert float(text_consistency_loss(model, cond, batch, None, 10)) == 0.0
    raw = add_pairs(b, ds, [2, 2, 2, 2])
    batch = _to_torch(raw, torch.device("cpu"))
    variant = {k: batch[k] for k in ("text", "tokens", "token_mask", "slots")}
    loss = text_consistency_loss(model, variant, batch, None, 10)
    assert float(loss.detach()) > 0
    loss.backward()
    assert model.text_bias.weight.grad is not None and float(model.text_bias.weight.grad.abs().sum()) > 0


def test_training_with_the_term_runs_and_logs_it(tmp_path):
    ds = _dataset()
    tcfg = TrainConfig(steps=3, batch_size=2, log_every=1, warmup=1)
    cfg = AtomConfig(**dict(TINY_ATOM, word_emb=True, learned_prior=True, w_text_cons=1.0))
    out = train(cfg, tcfg, ds, tmp_path, device="cpu")
    assert out["steps"] == 3
    logs = [__import__("json").loads(x) for x in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert all("tcons" in r for r in logs) and all(np.isfinite(r["tcons"]) for r in logs)
