"""Left/right mirror twins: the body moves the other side, the text says the other side."""
from __future__ import annotations

import numpy as np

from app.core.skeleton import SMPL22_MIRROR
from app.engine.corpus import compose
from app.engine.corpus.mirror import mirror_clip, mirror_text
from app.engine.t2m.data import iter_items
from app.engine.t2m.text_cond import parse_slots


def test_mirror_text_swaps_sides_and_keeps_case() -> None:
    assert mirror_text("Left foot, then the right hand") == "Right foot, then the left hand"
    assert mirror_text("turns clockwise") == "turns counterclockwise"
    assert mirror_text("a brightly lit room") == "a brightly lit room"  # whole words only
    assert parse_slots(mirror_text("waves with the left hand"))[0] == parse_slots("waves with the right hand")[0]


def test_mirrored_joints_are_the_reflection_with_sides_swapped() -> None:
    clip = compose([("wave", {"side": "right", "reps": 3}), ("turn", {"side": "left", "angle": 90.0}),
                    ("walk", {"steps": 4})], np.random.default_rng(1))
    twin = mirror_clip(clip)
    j, jm = clip.joints(), twin.joints()
    expect = j[:, list(SMPL22_MIRROR)] * np.array([-1.0, 1.0, 1.0])
    # the SMPL template is not exactly symmetric (about 1 cm), so the reflection holds to a few cm
    assert np.abs(jm - expect).max() < 0.04
    # the right hand waved, so the twin's left hand is the raised one
    lw, rw = SMPL22_MIRROR.index(21), 21  # left wrist index is 20 (the mirror of 21)
    assert j[:, rw, 1].max() > j[:, 20, 1].max() + 0.2
    assert jm[:, 20, 1].max() > jm[:, rw, 1].max() + 0.2
    assert lw == 20
    # a left turn becomes a right turn: the final heading angle changes sign
    def heading(jj: np.ndarray) -> float:
        across = jj[-1, 1] - jj[-1, 2]  # left hip minus right hip
        return float(np.arctan2(across[2], across[0]))
    assert abs(heading(j)) > 0.5 and np.sign(heading(jm)) == -np.sign(heading(j))
    assert [s.label for s in twin.segments] == [s.label for s in clip.segments]


def test_iter_items_yields_each_twin_after_its_item() -> None:
    rows = list(iter_items("train", n_procedural=6, include_real=False, prefer_corpus=False, mirror=True))
    assert len(rows) >= 2 and len(rows) % 2 == 0
    for (a_id, a_f, a_t), (b_id, b_f, b_t) in zip(rows[::2], rows[1::2]):
        assert b_id == a_id + "~m" and a_f.shape == b_f.shape
        assert b_t == [mirror_text(t) for t in a_t]
        assert not np.allclose(a_f, b_f)
