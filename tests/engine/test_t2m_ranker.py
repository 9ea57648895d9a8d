"""Sample and rank: the candidate ranker's hard negatives and the pipeline's choice (tiny random weights)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.repr.normalizer import Normalizer
from app.engine.t2m.pipeline import TextToMotionPipeline
from app.engine.t2m.ranker import MotionTextRanker, RankerConfig, pick_best
from app.engine.t2m.ranker_data import edit_count, edit_direction, edits, negative_texts
from tests.t2m_fakes import TINY_ATOM, fake_encoder

TINY_WORDS = dict(TINY_ATOM, word_emb=True, word_layers=1)
TINY_RANKER = RankerConfig(width=32, layers=1, text_layers=1, heads=2, ff=64, embed_dim=16)


def _pipe(ranker: MotionTextRanker | None, k: int) -> TextToMotionPipeline:
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    pipe = TextToMotionPipeline.from_config(TINY_WORDS, norm, device="cpu", text_encoder=fake_encoder)
    pipe.ranker, pipe.candidates = ranker, k
    return pipe


def test_edits_change_the_count_the_side_or_the_direction():
    rng = np.random.default_rng(0)
    counted = edit_count("the man claps three times", rng)
    assert counted is not None and "three" not in counted and counted.endswith("times")
    assert edit_count("a person jumps twice", rng) not in (None, "a person jumps twice")
    assert edit_count("a man does four squats", rng).endswith("squats")
    assert edit_count("a man bows", rng) is None
    assert edit_direction("walks backwards slowly") == "walks forwards slowly"
    assert edits("waves with the right hand", rng) == {"side": "waves with the left hand"}
    assert negative_texts([["a man bows", "a man bows deeply"]], [2]) == [[]]


def test_pick_best_takes_the_top_of_each_group():
    assert pick_best(torch.tensor([0.1, 0.5, 0.2, 0.9, 0.0, 0.3]), 3) == [1, 3]


def test_pipeline_keeps_the_ranker_s_best_of_its_draws():
    torch.manual_seed(0)
    ranker = MotionTextRanker(TINY_RANKER)
    text = "a person waves with the left hand"
    draws, _ = _pipe(None, 1).sample_features(text, 24, seed=5, num_samples=6)
    cond = _pipe(None, 1).encode_texts([text] * 6)
    expected = pick_best(ranker.score(torch.as_tensor(draws), cond), 3)
    chosen, _ = _pipe(ranker, 3).sample_features(text, 24, seed=5, num_samples=2)
    assert np.allclose(chosen, draws[expected])
    again, _ = _pipe(ranker, 3).sample_features(text, 24, seed=5, num_samples=2)
    assert np.array_equal(chosen, again)


def test_one_candidate_is_the_plain_draw():
    ranker = MotionTextRanker(TINY_RANKER)
    plain, _ = _pipe(None, 1).sample_features("a man jumps twice", 20, seed=1, num_samples=2)
    ranked, _ = _pipe(ranker, 1).sample_features("a man jumps twice", 20, seed=1, num_samples=2)
    assert np.array_equal(plain, ranked)


def test_ranker_scores_windows_of_a_long_motion_and_round_trips(tmp_path):
    ranker = MotionTextRanker(TINY_RANKER)
    cond = _pipe(None, 1).encode_texts(["a man walks forward"] * 2)
    long = torch.randn(2, TINY_RANKER.max_frames + 37, 263)
    s = ranker.score(long, cond)
    assert s.shape == (2,) and torch.all(s.abs() <= 1.0 + 1e-5)
    back = MotionTextRanker.from_pretrained(ranker.save(tmp_path / "r"))
    assert torch.allclose(back.score(long, cond), s)


def test_generate_with_a_ranker_gives_the_asked_samples():
    out = _pipe(MotionTextRanker(TINY_RANKER), 2).generate("walk forward; then wave", seconds=2.0, seed=0,
                                                          num_samples=2)
    assert len(out) == 2 and all(c.num_frames == 40 for c in out)


@pytest.mark.parametrize("k", [0, -3])
def test_candidates_below_one_draw_once(k):
    plain, _ = _pipe(None, 1).sample_features("a man jumps", 20, seed=2)
    got, _ = _pipe(MotionTextRanker(TINY_RANKER), k).sample_features("a man jumps", 20, seed=2)
    assert np.array_equal(plain, got)


def test_generation_request_turns_ranking_on_and_off():
    from app.engine.jobs import drain
    from app.engine.t2m.config import DEFAULT_CANDIDATES
    from app.engine.tasks import generate_task as gt

    pipe = _pipe(MotionTextRanker(TINY_RANKER), 1)
    gt.register_pipeline("atom", pipe)
    try:
        ranked = drain(gt.generate_task(gt.GenerationRequest("a man waves", 1.0, seed=3)))
        assert pipe.candidates == DEFAULT_CANDIDATES
        plain = drain(gt.generate_task(gt.GenerationRequest("a man waves", 1.0, seed=3, rank=False)))
        assert pipe.candidates == 1
    finally:
        gt.register_pipeline("atom", None)
    assert ranked.samples[0].clip.num_frames == plain.samples[0].clip.num_frames == 20
    assert not np.allclose(ranked.samples[0].joints, plain.samples[0].joints)
