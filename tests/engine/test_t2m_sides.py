"""A side for one-sided actions whose prompt names none (app/engine/t2m/sides.py), and its use in generation."""
from __future__ import annotations

import re

import numpy as np
import pytest

from app.engine.t2m.sides import choose_side, open_side_atom
from t2m_fakes import tiny_pipeline


@pytest.mark.parametrize("text,atom,phrase", [
    ("someone waves", "wave", r"waves with the (left|right) hand$"),
    ("a person turns around", "turn", r"turns around to the (left|right)$"),
    ("a man kicks a ball.", "kick", r"kicks a ball with the (left|right) leg$"),
    ("she steps sideways", "side_step", r"sideways to the (left|right)$"),
])
def test_an_open_side_is_drawn_and_said(text, atom, phrase):
    assert open_side_atom(text) == atom
    drawn = {choose_side(text, s) for s in range(40)}
    assert all(re.search(phrase, t) for t in drawn)
    assert len(drawn) == 2                                # both sides come up over seeds
    assert choose_side(text, 7) == choose_side(text, 7)   # and the seed decides
    assert choose_side(text, 7, 0) != choose_side(text, 7, 1)   # the samples of one seed alternate


@pytest.mark.parametrize("text", [
    "a person waves with the left hand", "the woman waves with both hands", "someone alternates kicks",
    "a boy raises his arms", "someone spins around", "a person claps", "a person walks forward",
    "a person turns the head to look around", "kicks with either leg",
])
def test_named_two_sided_or_sideless_actions_are_left_alone(text):
    assert open_side_atom(text) is None and choose_side(text, 3) == text


def test_generation_says_the_drawn_side_per_sample_and_notes_it():
    pipe = tiny_pipeline()
    out = pipe.generate("someone waves", seconds=1.0, seed=0, num_samples=4)
    labels = [clip.segments[0].text for clip in out]
    assert all(re.fullmatch(r"someone waves with the (left|right) hand", t) for t in labels), labels
    assert labels[0] != labels[1] and labels[:2] == labels[2:]   # the samples alternate
    assert out[0].text == "someone waves"                 # the prompt itself is kept
    assert any("names no side" in n for n in out.notes)
    pipe.choose_sides = False
    plain = pipe.generate("someone waves", seconds=1.0, seed=0, num_samples=2)
    assert [c.segments[0].text for c in plain] == ["someone waves"] * 2 and not plain.notes
    # a named side is untouched, and the same seed gives the same motion as before the feature
    named = pipe.generate("someone waves with the left hand", seconds=1.0, seed=0)
    pipe.choose_sides = True
    again = pipe.generate("someone waves with the left hand", seconds=1.0, seed=0)
    np.testing.assert_array_equal(named[0].rotations, again[0].rotations)
