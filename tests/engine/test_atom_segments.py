"""Temporal atoms: the segment-contrast term and the per-frame segment indices it reads."""
from __future__ import annotations

import numpy as np
import torch

from app.engine.corpus import compose, frame_labels
from app.engine.t2m.atom_model import ATOM
from app.engine.t2m.config import config_from_dict
from app.engine.t2m.data import T2MDataset, segment_index
from app.engine.t2m.layers import segment_contrast
from tests.t2m_fakes import TINY_ATOM

TINY_WORDS = dict(TINY_ATOM, word_emb=True, word_layers=1, learned_prior=True)


def test_segment_index_matches_the_frame_labels_of_the_features() -> None:
    clip = compose([("walk", {"steps": 3}), ("wave", {"side": "left"}), ("squat", {})], np.random.default_rng(0))
    idx = segment_index(clip, clip.num_frames - 1)
    assert np.array_equal(idx, frame_labels(clip)[1:])
    assert list(np.unique(idx)) == [0, 1, 2]


def test_segment_contrast_rewards_atoms_that_switch_at_the_boundary() -> None:
    t, k = 20, 8
    seg = torch.tensor([[0] * 10 + [1] * 10, [0] * 20])
    switching = torch.full((2, t, k), 0.02)
    switching[0, :10, 1] = switching[0, 10:, 5] = 0.86
    constant = torch.full((2, t, k), 0.02)
    constant[:, :, 1] = 0.86
    assert float(segment_contrast(switching, seg)) < 0.01 < float(segment_contrast(constant, seg))
    assert abs(float(segment_contrast(constant, seg)) - np.log(2)) < 1e-3  # no preference: chance
    assert float(segment_contrast(constant, torch.zeros(2, t, dtype=torch.long))) == 0.0  # one segment: nothing


def _two_part_batch(b: int = 4, t: int = 24) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    seg = torch.tensor([[0] * (t // 2) + [1] * (t - t // 2)] * b)
    return {"x": torch.randn(b, t, 263, generator=g), "lengths": torch.full((b,), t), "text": torch.randn(b, 384, generator=g),
            "tokens": torch.randn(b, 5, 384, generator=g), "token_mask": torch.ones(b, 5, dtype=torch.bool),
            "slots": torch.zeros(b, 4, dtype=torch.long), "seg": seg}


def test_segment_term_trains_the_attention_to_tell_the_segments_apart() -> None:
    """A few steps on two-part motions take the term from chance (log 2) well below it."""
    batch = _two_part_batch()
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_WORDS, w_segment=1.0)))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for step in range(60):
        loss, logs = model.loss(batch, 0.0, torch.Generator().manual_seed(step))
        first = logs["segment"] if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert first > 0.6 and logs["segment"] < 0.5
    off = ATOM(config_from_dict(dict(TINY_WORDS)))
    assert off.loss(batch, 0.0, torch.Generator().manual_seed(0))[1]["segment"] == 0.0  # w_segment 0: not computed


def test_dataset_batches_carry_segments_padded_with_minus_one() -> None:
    feats = [np.zeros((6, 263), np.float32), np.zeros((4, 263), np.float32)]
    segs = [np.array([0, 0, 0, 1, 1, 1], np.int8), np.array([0, 0, 1, 1], np.int8)]
    ds = T2MDataset(feats, [np.zeros((1, 384), np.float32)] * 2, [["a"], ["b"]], ["x", "y"], segments=segs)
    b = ds.batch(np.random.default_rng(0), 2)
    for row, i in zip(b["seg"], b["index"]):
        n = len(segs[i])
        assert list(row[:n]) == list(segs[i]) and (row[n:] == -1).all()
