"""Atom-balanced draws (``--balance-atoms``): items of rare atoms come up more often in training batches."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.t2m.data import T2MDataset, atom_balance_weights


def test_weights_lift_the_rarest_atom():
    ids = [f"i{k}" for k in range(12)]
    atoms = {i: ["walk"] for i in ids[:9]} | {"i9": ["jumping_jacks"], "i10": ["walk", "jumping_jacks"]}
    w = atom_balance_weights(ids, atoms, power=0.5)   # i11: no atoms (a real clip): weight 1 before the mean
    assert w.mean() == pytest.approx(1.0)
    assert w[9] == pytest.approx(w[10]) and w[9] / w[0] == pytest.approx((2 / 10) ** -0.5)  # walk in 10 items, jacks in 2
    assert w[11] / w[0] == pytest.approx(1.0)
    assert np.allclose(atom_balance_weights(ids, atoms, power=0.0), 1.0)


def test_batches_draw_weighted_items_more_often():
    n = 40
    feats = [np.zeros((20, 263), np.float32) for _ in range(n)]
    emb = [np.zeros((1, 384), np.float32) for _ in range(n)]
    ds = T2MDataset(feats, emb, [["a person walks"]] * n, [f"i{k}" for k in range(n)])
    rng = np.random.default_rng(0)
    seen = np.zeros(n)
    for _ in range(200):
        np.add.at(seen, ds.batch(rng, 8, bucket=5)["index"], 1)
    ds.item_weights = np.where(np.arange(n) < 4, 5.0, 1.0)
    heavy = np.zeros(n)
    for _ in range(200):
        np.add.at(heavy, ds.batch(rng, 8, bucket=5)["index"], 1)
    assert heavy[:4].sum() / heavy.sum() > 2.5 * seen[:4].sum() / seen.sum()
