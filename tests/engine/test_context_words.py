"""Context words around an action (app/engine/corpus/context_words.py) and the cache that adds them."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.corpus.context_words import HELD_OUT, TRAIN, Pool, add_context, place, wide_pool, words_of
from app.engine.t2m.data import T2MDataset, encode_texts, write_cache
from app.engine.t2m.text_cond import parse_slots
from app.engine.t2m.text_forms import add_context_variants, draw_context

MOTION_WORDS = set("""left right both forward forwards backward backwards back sideways around up down ahead straight
slow slowly fast quickly once twice one two three four five six seven eight nine ten hand hands arm arms leg legs foot
feet knee knees head hip hips toe toes floor ground walk walks run runs jump jumps step steps turn turns sit sits stand stands""".split())
TEXTS = ["a man waves with the left hand twice", "someone hops on the right foot three times",
         "wave with the right hand", "she is squatting down", "the woman walks forward, then turns left",
         "a person jumps forward twice, then sits down on the floor"]


def _words(pool: Pool) -> set[str]:
    pieces = pool.adjectives + pool.after_subject + pool.endings + pool.frames
    return set().union(*(words_of(p) for p in pieces))


def test_training_and_held_out_pools_share_no_word_and_name_no_motion():
    assert not _words(TRAIN) & _words(HELD_OUT)
    assert not (_words(TRAIN) | _words(HELD_OUT)) & MOTION_WORDS


def test_wide_pool_adds_many_pieces_and_keeps_out_of_the_held_out_words():
    """Session 44: the WordNet pool (context_pool.json) widens the training pool of every kind, shares no word with
    the held-out readout pool and names no motion, side, direction, count or speed."""
    wide = wide_pool()
    for kind in ("adjectives", "after_subject", "endings", "frames"):
        assert set(getattr(TRAIN, kind)) <= set(getattr(wide, kind))
        assert len(getattr(wide, kind)) >= 3 * len(getattr(TRAIN, kind)), kind
    assert not _words(wide) & _words(HELD_OUT)
    assert not _words(wide) & MOTION_WORDS


def test_no_piece_changes_a_prompt_slot():
    for pool in (TRAIN, HELD_OUT, wide_pool()):
        for piece in pool.adjectives + pool.after_subject + pool.endings + pool.frames:
            assert not parse_slots(f"a man waves {piece}").any(), piece


def test_each_kind_goes_where_it_belongs():
    assert place("a man waves", "adjective", "young") == "a young man waves"
    assert place("a man waves", "adjective", "elderly") == "an elderly man waves"
    assert place("wave with the right hand", "adjective", "young") is None      # a command has no subject
    assert place("she is squatting down", "after_subject", "in jeans") is None
    assert place("the woman walks forward", "after_subject", "in jeans") == "the woman in jeans walks forward"
    assert place("wave twice.", "ending", "in the park") == "wave twice in the park"
    assert place("A man waves", "frame", "in this clip") == "in this clip, a man waves"
    with pytest.raises(ValueError):
        place("a man waves", "hat", "x")


def test_a_context_variant_keeps_what_the_prompt_slots_read():
    rng = np.random.default_rng(0)
    for text in TEXTS:
        for _ in range(20):
            v = add_context(text, rng)
            assert v and v != text
            assert (parse_slots(v) == parse_slots(text)).all(), (text, v)


def test_banned_words_empty_the_pieces_that_hold_them():
    pool = TRAIN.without({"park", "young"})
    assert "in the park" not in pool.endings and "young" not in pool.adjectives
    assert len(pool.endings) == len(TRAIN.endings) - 1


def test_draw_context_gives_one_variant_per_original_text():
    texts = [[TEXTS[0], TEXTS[1], "wave with the left hand twice"], [TEXTS[3]]]
    new = draw_context(texts, [2, 1], np.random.default_rng(0), TRAIN)
    assert [len(n) for n in new] == [2, 1]
    assert all(v not in tx for n, tx in zip(new, texts) for v in n)
    banned = {"in the park", "in a gym"}
    for seed in range(10):
        new = draw_context(texts, [2, 1], np.random.default_rng(seed), TRAIN, banned)
        assert not any(b in v for n in new for v in n for b in banned)


def test_context_cache_keeps_motions_texts_and_original_count(tmp_path):
    rng = np.random.default_rng(0)
    texts = [[TEXTS[0], TEXTS[2]], [TEXTS[5]]]
    feats = [rng.normal(size=(30, 263)).astype(np.float32), rng.normal(size=(40, 263)).astype(np.float32)]
    emb, toks, slots = encode_texts([t for tx in texts for t in tx])
    src, out = tmp_path / "train.npz", tmp_path / "ctx.npz"
    write_cache(src, ["a", "b"], feats, texts, emb, toks, slots, [np.zeros(30, np.int64), np.zeros(40, np.int64)],
                split="train", source="test", mirror=False, original_texts=[1, 1])
    counts = add_context_variants(src, out, seed=0, banned_words={"park"})
    assert counts["new_texts"] == 2 and counts["pool"]["endings"] == len(TRAIN.endings) - 1
    old, new = T2MDataset.load(src), T2MDataset.load(out)
    for i in range(2):
        np.testing.assert_array_equal(new.features[i], old.features[i])
        k = len(old.texts[i])
        assert new.texts[i][:k] == old.texts[i] and len(new.texts[i]) == k + 1
        assert "park" not in new.texts[i][k]
        np.testing.assert_allclose(new.text_emb[i][k:], encode_texts(new.texts[i][k:])[0], atol=1e-5)
    with np.load(out) as d:
        assert d["original_texts"].tolist() == [1, 1]
