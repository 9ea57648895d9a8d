"""The shipped ATOM checkpoint, judged by body kinematics (predicates), not by its own losses.

User-shaped checks of the word-level text path: swapping 'left' and 'right' moves the other limb,
'backward' reverses the direction of travel. Uses models/atom and the bundled MiniLM (both are
committed or installed, so a missing one fails here instead of skipping).
"""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import evaluate
from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline

@pytest.fixture(scope="module")
def atom():
    return TextToMotionPipeline.from_pretrained(MODELS_DIR / "atom", device="cpu")


def _kin(pipe, text: str, seconds: float, seed: int) -> Kin:
    return Kin.from_clip(pipe.generate(text, seconds=seconds, seed=seed)[0])


def test_checkpoint_uses_word_level_text(atom):
    assert atom.word_level and atom.cfg.word_emb


@pytest.mark.parametrize("template,pred,seconds", [
    ("a person kicks with the {side} leg", "kick", 3.0),
    ("a woman waves at a friend with her {side} hand", "wave", 3.0),
])
def test_left_right_swap_moves_the_named_limb(atom, template, pred, seconds):
    """In most seeds the named limb moves clearly more than its twin, for both sides."""
    for side in ("left", "right"):
        named = [bool(evaluate(pred, _kin(atom, template.format(side=side), seconds, s), side=side).named_moves)
                 for s in range(3)]
        assert sum(named) >= 2, (side, named)


def test_backward_reverses_the_direction(atom):
    fwd = [evaluate("walk_forward", _kin(atom, "a person walks forward", 4.0, s)).values["fwd_m"] for s in range(2)]
    back = [evaluate("walk_forward", _kin(atom, "a person walks backward", 4.0, s)).values["fwd_m"] for s in range(2)]
    assert min(fwd) > 0.8 and max(back) < 0.0, (fwd, back)
    assert np.mean(fwd) - np.mean(back) > 1.5


def test_twice_gives_two_jumps(atom):
    """'twice' gives two jumps in (nearly) every seed (session 13 weights: 8 of 8 over seeds 0-7)."""
    twice = [evaluate("jump", _kin(atom, "a person jumps twice", 4.0, s)).values["jumps"] for s in range(8)]
    assert sum(n == 2 for n in twice) >= 7, twice


def test_once_gives_fewer_jumps_than_twice(atom):
    """'once' gives one jump in at least 3 of 8 seeds and fewer than 'twice' on average (issue 11: count words;
    the session-13 weights failed it, the session-23 ones pass)."""
    once = [evaluate("jump", _kin(atom, "a person jumps once", 4.0, s)).values["jumps"] for s in range(8)]
    twice = [evaluate("jump", _kin(atom, "a person jumps twice", 4.0, s)).values["jumps"] for s in range(8)]
    assert sum(n == 1 for n in once) >= 3 and np.mean(once) < np.mean(twice) - 0.3, (once, twice)


@pytest.mark.parametrize("text,pred,side", [
    ("a man beckons with his right hand", "wave", "right"),
    ("a man beckons with his left hand", "wave", "left"),
    ("a person stoops down", "crouch", None),
    ("someone scurries forward", "run", None),
    ("a woman perches on the floor", "sit_floor", None),
])
def test_words_learned_from_the_synonym_variants(atom, text, pred, side):
    """Words the corpus never writes, learned from its WordNet-synonym variants (session 29 weights: 3 of 3 seeds
    each; the session-27 weights failed the first, third and fourth in every seed)."""
    kw = {"side": side} if side else {}
    ok = [bool(evaluate(pred, _kin(atom, text, 3.0, s), **kw)) for s in range(3)]
    assert sum(ok) >= 2, ok
