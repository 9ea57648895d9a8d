"""Samples that start seated on the floor, and appending them to a text-to-motion cache."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from app.engine.corpus.dataset import _sample_names
from app.engine.corpus.registry import ATOMS
from app.engine.corpus.start_states import N_START_SAMPLES, make_start_sample, start_atoms, start_split
from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import evaluate
from app.engine.t2m.data import T2MDataset, concat_caches, iter_items, write_cache


def test_start_atoms_are_those_that_do_not_start_standing() -> None:
    assert start_atoms() == ["stand_up"]
    assert all(ATOMS[a].start == "stand" for a in ATOMS if a not in start_atoms())


def test_chains_can_start_on_the_floor() -> None:
    names = _sample_names(np.random.default_rng(0), 3, False, start="floor")
    assert ATOMS[names[0]].start == "floor"
    with pytest.raises(RuntimeError):
        _sample_names(np.random.default_rng(0), 1, False, forced={0: "stand_up"})  # not from standing


def test_start_samples_begin_seated_and_get_up() -> None:
    for i in range(6):
        clip, texts, split, meta = make_start_sample(i)
        assert split == start_split(i) and meta["atoms"][0][0] == "stand_up" and len(texts) == 3
        first = clip.segments[0]
        kin = Kin.from_clip(clip.slice(0, int(round(first.end * clip.fps))))
        v = evaluate("stand_up", kin)
        assert v.ok and v.values["start_m"] < 0.3 < 0.8 < v.values["end_m"], v.values
        assert all(("up" in t or "rises" in t) for t in texts), texts


def test_start_samples_are_deterministic_and_split_80_10_10() -> None:
    a, b = make_start_sample(3), make_start_sample(3)
    assert np.array_equal(a[0].trans, b[0].trans) and a[1] == b[1]
    counts = Counter(start_split(i) for i in range(N_START_SAMPLES))
    assert counts["train"] > 0.7 * N_START_SAMPLES and counts["val"] >= 10 and counts["test"] >= 10


def test_iter_items_adds_the_start_samples_of_the_split_only() -> None:
    with_start = [r[0] for r in iter_items("val", n_procedural=0, include_real=False, prefer_corpus=False)]
    without = [r[0] for r in iter_items("val", n_procedural=0, include_real=False, prefer_corpus=False,
                                        include_start=False)]
    assert without == []
    assert with_start and all(i.startswith("start_") for i in with_start)
    assert all(start_split(int(i.split("_")[1])) == "val" for i in with_start)


def _tiny_cache(path, ids: list[str], split: str = "train") -> None:
    rng = np.random.default_rng(len(ids))
    feats = [rng.standard_normal((5 + k, 263)).astype(np.float32) for k in range(len(ids))]
    texts = [[f"{i} a", f"{i} b"] for i in ids]
    n = 2 * len(ids)
    toks = [rng.standard_normal((3, 384)).astype(np.float16) for _ in range(n)]
    write_cache(path, ids, feats, texts, rng.standard_normal((n, 384)).astype(np.float32), toks,
                np.zeros((n, 4), np.int64), [np.zeros(len(f), np.int8) for f in feats], split=split,
                source="test", mirror=False, original_texts=[1] * len(ids))


def test_concat_caches_keeps_every_item_in_order(tmp_path) -> None:
    _tiny_cache(tmp_path / "a.npz", ["x", "y"])
    _tiny_cache(tmp_path / "b.npz", ["z"])
    concat_caches([tmp_path / "a.npz", tmp_path / "b.npz"], tmp_path / "ab.npz")
    ab, a, b = (T2MDataset.load(tmp_path / f) for f in ("ab.npz", "a.npz", "b.npz"))
    assert ab.ids == ["x", "y", "z"] and ab.texts[2] == ["z a", "z b"]
    assert np.array_equal(ab.features[2], b.features[0]) and np.array_equal(ab.tokens[1][1], a.tokens[1][1])
    assert list(ab.original_texts) == [1, 1, 1]
    _tiny_cache(tmp_path / "v.npz", ["w"], split="val")
    with pytest.raises(ValueError, match="different splits"):
        concat_caches([tmp_path / "a.npz", tmp_path / "v.npz"], tmp_path / "bad.npz")


def test_replace_texts_swaps_one_items_texts_only(tmp_path, monkeypatch) -> None:
    """The session-35 cache patch: the named item gets its new texts (variants dropped, slots read from them);
    features and every other item stay as they were."""
    import app.engine.t2m.data as D

    def fake_encode(texts):
        return (np.ones((len(texts), 384), np.float32), [np.ones((2, 384), np.float16) for _ in texts],
                np.stack([D.parse_slots(t) for t in texts]))

    monkeypatch.setattr(D, "encode_texts", fake_encode)
    _tiny_cache(tmp_path / "a.npz", ["x", "y", "z"])
    out, n = D.replace_texts(tmp_path / "a.npz", tmp_path / "b.npz", {"y": ["a man claps nine times"]})
    a, b = T2MDataset.load(tmp_path / "a.npz"), T2MDataset.load(out)
    assert n == 1 and b.ids == a.ids and b.texts == [["x a", "x b"], ["a man claps nine times"], ["z a", "z b"]]
    assert all(np.array_equal(f, g) for f, g in zip(a.features, b.features))
    assert list(b.original_texts) == [1, 1, 1]
    assert b.slots[1][0][3] == 9 and np.all(b.text_emb[1] == 1.0)
    assert np.array_equal(b.text_emb[2], a.text_emb[2]) and np.array_equal(b.tokens[0][1], a.tokens[0][1])
