"""The training cache with command / caption forms of its texts (app/engine/t2m/text_forms.py)."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.t2m.data import T2MDataset, encode_texts, write_cache
from app.engine.t2m.text_forms import add_text_forms, draw_forms

TEXTS = [["a man waves with the left hand twice", "someone waves the left hand"],
         ["a woman jumps forward twice, then sits down on the floor"]]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(30, 263)).astype(np.float32), rng.normal(size=(40, 263)).astype(np.float32)]
    flat = [t for tx in TEXTS for t in tx]
    emb, toks, slots = encode_texts(flat)
    segs = [np.zeros(30, np.int64), np.r_[np.zeros(20, np.int64), np.ones(20, np.int64)]]
    path = tmp_path_factory.mktemp("forms") / "train.npz"
    write_cache(path, ["a", "b"], feats, TEXTS, emb, toks, slots, segs, split="train", source="test", mirror=False)
    return path


def test_every_text_gets_one_new_form():
    new = draw_forms(TEXTS, np.random.default_rng(0))
    assert [len(n) for n in new] == [2, 1]
    assert all(v not in tx for v, tx in zip(new[0], [TEXTS[0]] * 2))
    assert draw_forms([["walk forward"]], np.random.default_rng(0)) == [[]]   # no subject: not a corpus sentence


def test_banned_pieces_are_never_drawn():
    banned = {"wave with the", "waving with the", "waves with the"}
    for seed in range(10):
        new = draw_forms([TEXTS[0][:1]], np.random.default_rng(seed), banned)
        assert all(not any(b in v for b in banned) for v in new[0])


def test_cache_keeps_motions_and_old_texts_and_adds_forms(cache, tmp_path):
    out = tmp_path / "forms.npz"
    counts = add_text_forms(cache, out, seed=1)
    assert counts["new_texts"] == 3
    old, new = T2MDataset.load(cache), T2MDataset.load(out)
    assert len(new) == len(old) == 2
    for i in range(2):
        np.testing.assert_array_equal(new.features[i], old.features[i])
        np.testing.assert_array_equal(new.segments[i], old.segments[i])
        k = len(old.texts[i])
        assert new.texts[i][:k] == old.texts[i] and len(new.texts[i]) == 2 * k
        np.testing.assert_array_equal(new.text_emb[i][:k], old.text_emb[i])
        for j in range(k):
            np.testing.assert_array_equal(new.tokens[i][j], old.tokens[i][j])
        # the new rows are the encodings of the new texts
        emb, toks, slots = encode_texts(new.texts[i][k:])
        np.testing.assert_allclose(new.text_emb[i][k:], emb, atol=1e-5)
        np.testing.assert_array_equal(new.slots[i][k:], slots)
    # a form keeps what the prompt slots read: the side, the count
    assert all((new.slots[0][j] == old.slots[0][j - 2]).all() for j in (2, 3)), new.texts[0]


def test_a_forbidden_prompt_stops_the_build_or_the_variant(cache, tmp_path):
    with pytest.raises(ValueError, match="forbidden"):
        add_text_forms(cache, tmp_path / "x.npz", forbidden=["waves the left hand"])
    add_text_forms(cache, tmp_path / "y.npz", seed=1, forbidden=["jump forward twice"])
    texts = T2MDataset.load(tmp_path / "y.npz").texts
    assert not any("jump forward twice" in t for tx in texts for t in tx)


def test_synonym_variants_join_the_forms_with_their_own_encodings(cache, tmp_path):
    out = tmp_path / "syn.npz"
    counts = add_text_forms(cache, out, seed=1, synonyms=True)
    assert counts["synonyms"] and counts["new_texts"] > 3
    new = T2MDataset.load(out)
    extra = new.texts[0][4:] + new.texts[1][2:]     # after the originals and their forms
    assert extra and all(t not in tx for t in extra for tx in TEXTS)
    emb, _, slots = encode_texts(new.texts[0][4:])
    np.testing.assert_allclose(new.text_emb[0][4:], emb, atol=1e-5)
    assert all(s[0] == 1 for s in new.slots[0])      # every variant still names the left hand


def test_vocabulary_can_be_read_from_the_training_cache(cache, tmp_path):
    """scripts/build_vocabulary.py --cache: the words the model read, variants included."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("build_vocabulary", Path(__file__).parents[2] / "scripts" / "build_vocabulary.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "syn.npz"
    add_text_forms(cache, out, seed=1, synonyms=True)
    texts = mod.cache_texts(out)
    assert texts[0][:2] == TEXTS[0] and len(texts[0]) > 2 and len(texts) == 2


def test_original_share_sets_how_often_a_batch_reads_the_corpus_wording(cache, tmp_path):
    """Session 29: ``original_share`` draws the corpus's own texts that often, the variants otherwise."""
    out = tmp_path / "syn.npz"
    add_text_forms(cache, out, seed=1, synonyms=True)
    data = T2MDataset.load(out)
    assert data.original_texts.tolist() == [2, 1]
    assert T2MDataset.load(cache).original_texts.tolist() == [2, 1]   # a cache without variants: all own

    def own_share(share: float) -> float:
        data.original_share = share
        rng = np.random.default_rng(0)
        picks = [data._text_index(rng, 0) for _ in range(4000)]
        return float(np.mean(np.array(picks) < 2))

    n = len(data.texts[0])
    assert n > 3
    assert abs(own_share(0.0) - 2 / n) < 0.03           # uniform over all texts (the old behaviour)
    assert abs(own_share(0.8) - 0.8) < 0.03
    assert own_share(1.0) == 1.0
