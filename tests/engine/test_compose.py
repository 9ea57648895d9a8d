"""Compositions: placement, continuity, exact contiguous segment labels and composed text."""
from __future__ import annotations

import numpy as np

from app.engine.corpus import ATOMS, compose, frame_labels, random_composition


def _check_segments(clip, labels):
    segs = clip.segments
    assert [s.label for s in segs] == labels
    assert segs[0].start == 0.0
    assert abs(segs[-1].end - clip.duration) < 1e-9
    for a, b in zip(segs, segs[1:]):
        assert a.end == b.start and a.end > a.start
    fl = frame_labels(clip)
    assert (fl >= 0).all() and (np.diff(fl) >= 0).all() and (np.diff(fl) <= 1).all()
    for i, s in enumerate(segs):
        frames = np.flatnonzero(fl == i)
        assert frames[0] == round(s.start * clip.fps) and frames[-1] + 1 == round(s.end * clip.fps)


def test_compose_places_blends_and_labels_exactly():
    seq = [("walk", {"steps": 4}), ("turn", {"side": "left", "angle": 90.0}), ("sit_down", {}), ("stand_up", {})]
    clip = compose(seq, np.random.default_rng(0))
    _check_segments(clip, [a for a, _ in seq])
    clip.validate()
    # continuous root and pose across boundaries
    step = np.linalg.norm(np.diff(clip.trans, axis=0), axis=-1)
    assert step.max() < 0.12
    j = clip.joints()
    assert np.linalg.norm(np.diff(j, axis=0), axis=-1).max() < 0.3
    # the turn started where the walk ended (walked forward ~ +Z), then heading changed by ~90 degrees
    walk_end = round(clip.segments[0].end * clip.fps) - 1
    assert clip.trans[walk_end, 2] > 1.0
    turn_end = round(clip.segments[1].end * clip.fps) - 1
    assert 70 < np.degrees(clip.facing_angle(turn_end) - clip.facing_angle(0)) < 110
    assert j[..., 1].min() > -0.02
    text = clip.text
    assert "then" in text or "after that" in text or "finally" in text


def test_repeated_atom_text_and_segments():
    clip = compose([("jump", {"reps": 1}), ("jump", {"reps": 1})], np.random.default_rng(3))
    assert "twice" in clip.text
    _check_segments(clip, ["jump", "jump"])


def test_random_compositions_are_consistent():
    rng = np.random.default_rng(11)
    for _ in range(6):
        clip = random_composition(rng, n_atoms=(1, 5))
        clip.validate()
        labels = [s.label for s in clip.segments]
        assert 1 <= len(labels) <= 5
        _check_segments(clip, labels)
        for a, b in zip(labels, labels[1:]):
            assert ATOMS[a].end == ATOMS[b].start
        assert ATOMS[labels[0]].start == "stand"
        assert clip.text


def test_repeated_atoms_read_as_a_count_without_dangling_words():
    """Sideways jumps to the right of 1 + 2 jumps read 'jumps to the right three times' (their total, session 35),
    never 'jumps to the twice'; three bouts of side steps read 'side-steps to the left' (steps are not counted);
    two bows read 'bows twice'."""
    rng = np.random.default_rng(0)
    clip = compose([("jump_sideways", {"side": "right", "reps": 1}), ("jump_sideways", {"side": "right", "reps": 2})],
                   rng)
    assert "to the right three times" in clip.text
    assert "to the twice" not in clip.text and "twice" not in clip.text
    steps = compose([("side_step", {"side": "left"})] * 3, np.random.default_rng(1))
    assert "side-steps to the left" in steps.text and "times" not in steps.text
    assert "bows twice" in compose([("bow", {})] * 2, np.random.default_rng(2)).text


def test_both_hands_is_never_the_both_hands():
    for seed in range(12):
        text = compose([("wave", {"side": "both"})], np.random.default_rng(seed)).text
        assert "the both" not in text
