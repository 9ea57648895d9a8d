"""Sample and rank with the recogniser: the text -> atoms classifier and the ranker's choice."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.t2m.recognizer_ranker import RecognizerRanker
from app.engine.t2m.text_atoms import TextAtomClassifier, fit


def _clip(tag: float, frames: int = 40) -> MotionClip:
    trans = np.zeros((frames, 3))
    trans[:, 0] = tag   # the fake recogniser reads its answer from here
    return MotionClip(20.0, trans, np.zeros((frames, 22, 3)))


class FakeRecognizer:
    """Labels wave / walk / jump; a clip's x offset says which it sees (0: wave, 1: walk, 2: jump, 9: too short)."""

    labels = ["wave", "walk", "jump"]

    def features(self, clip):
        if clip.trans[0, 0] == 9:
            raise InvalidInputError("too short to recognise")
        return clip.trans, clip.trans

    def raw(self, pose, motion):
        p = np.full(3, 0.05)
        p[int(pose[0, 0])] = 0.9
        return {"clip_prob": p}


def test_text_atoms_learns_separable_texts_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    x = np.concatenate([c + 0.1 * rng.normal(size=(50, 16)) for c in centres])
    y = np.repeat(np.eye(3), 50, axis=0)
    clf = fit(x, y, ["wave", "walk", "clap"], epochs=40)
    assert (clf.probs(centres).argmax(1) == [0, 1, 2]).all()
    back = TextAtomClassifier.load(clf.save(tmp_path / "t.npz"))
    np.testing.assert_allclose(back.probs(x), clf.probs(x), atol=1e-6)
    assert back.labels == ["wave", "walk", "clap"]
    with pytest.raises(ValueError):
        TextAtomClassifier(np.zeros((16, 2)), np.zeros(3), ["a", "b", "c"])


def _ranker() -> RecognizerRanker:
    # atoms: wave, walk, clap (the fake recogniser knows wave and walk, not clap); text vectors are one-hot
    clf = TextAtomClassifier(np.eye(3) * 20.0, np.zeros(3), ["wave", "walk", "clap"])
    vec = {"waves": [1, 0, 0], "walks": [0, 1, 0], "claps": [0, 0, 1]}
    return RecognizerRanker(FakeRecognizer(), clf, encode=lambda texts: np.array([vec[t] for t in texts], float))


def test_ranker_prefers_the_draw_recognised_as_the_texts_atom():
    r = _ranker()
    clips = [_clip(2), _clip(1), _clip(0)]   # jump, walk, wave
    s = r.score_motions(clips, ["waves"] * 3)
    assert int(np.argmax(s)) == 2 and s[2] > s[1] + 1.0
    s = r.score_motions(clips, ["walks"] * 3)
    assert int(np.argmax(s)) == 1


def test_ranker_has_no_preference_for_atoms_the_recogniser_was_not_taught_or_too_short_clips():
    r = _ranker()
    assert (r.score_motions([_clip(0), _clip(1)], ["claps"] * 2) == 0).all()   # clap: held out, keep draw 1
    s = r.score_motions([_clip(9), _clip(0)], ["waves"] * 2)
    assert s[0] == 0 and s[1] > s[0] - 1.0


def test_pipeline_keeps_the_best_scored_of_k_draws():
    from t2m_fakes import tiny_pipeline

    pipe = tiny_pipeline()
    pipe.ranker, pipe.candidates = None, 1
    draws, _ = pipe.sample_features("a person waves", 20, seed=0, num_samples=6)   # the same six draws, unranked
    seen = {}

    class Picky:
        def score_motions(self, clips, texts):
            seen["texts"] = texts
            seen["scores"] = s = np.array([float(c.trans[:, 0].mean()) for c in clips])   # farthest along x wins
            return s

    pipe.ranker, pipe.candidates = Picky(), 3
    kept, _ = pipe.sample_features("a person waves", 20, seed=0, num_samples=2)
    assert seen["texts"] == ["a person waves"] * 6
    best = [3 * i + int(np.argmax(seen["scores"][3 * i:3 * i + 3])) for i in range(2)]
    np.testing.assert_allclose(kept, draws[best], atol=1e-5)
