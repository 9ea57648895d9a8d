"""The physics check of a take's frame rate (app/engine/corpus/timebase.py)."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.motion import MotionClip
from app.engine.corpus.timebase import G, fix_time_base, flight_gravities, time_scale

TRUE_FPS = 120.0


def _jump_clip(fps_label: float, flight_s: float = 0.5) -> MotionClip:
    """A rest-pose body that stands 0.5 s, leaps (pelvis on a g parabola) and stands 0.5 s,
    sampled at 120 fps and labelled ``fps_label``."""
    stand = int(0.5 * TRUE_FPS)
    t = np.arange(int(flight_s * TRUE_FPS) + 1) / TRUE_FPS
    lift = 0.5 * G * flight_s * t - 0.5 * G * t ** 2           # 0 at take-off and landing
    y = np.concatenate([np.zeros(stand), lift, np.zeros(stand)])
    trans = np.zeros((len(y), 3))
    trans[:, 1] = 0.95 + y
    trans[:, 2] = np.linspace(0.0, 0.3, len(y))
    return MotionClip(fps_label, trans, np.zeros((len(y), 22, 3)), name="jump")


def test_right_rate_measures_gravity_and_is_kept():
    clip = _jump_clip(TRUE_FPS)
    g = flight_gravities(clip)
    assert len(g) == 1 and g[0] == pytest.approx(G, rel=0.05)
    assert time_scale(clip) == 1
    assert fix_time_base(clip) is clip


def test_four_times_too_slow_header_is_found_and_fixed():
    clip = _jump_clip(TRUE_FPS / 4)                              # a 120 fps capture written as 30 fps
    assert flight_gravities(clip)[0] == pytest.approx(G / 16, rel=0.05)
    assert time_scale(clip) == 4
    fixed = fix_time_base(clip)
    assert fixed.fps == pytest.approx(TRUE_FPS) and clip.fps == pytest.approx(TRUE_FPS / 4)
    assert fixed.duration == pytest.approx(clip.duration / 4)


def test_no_flight_or_no_parabola_keeps_the_rate():
    walk = _jump_clip(30.0)
    walk.trans[:, 1] = 0.95                                      # feet never leave the floor
    assert flight_gravities(walk) == [] and time_scale(walk) == 1
    box = _jump_clip(30.0)
    n = len(box.trans)
    box.trans[n // 3:, 1] = 0.95 + 0.3                           # steps onto a box and stays: no parabola
    box.trans[n // 3: n // 3 + 10, 1] = 0.95 + np.linspace(0.0, 0.3, 10)
    assert time_scale(box) == 1
