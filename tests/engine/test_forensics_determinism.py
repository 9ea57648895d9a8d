"""The same file inspected twice gives the same calibrated score (pycolmap runs single-threaded
and seeded, and its cues are shown but never scored)."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics import calibration as cal
from app.engine.forensics import synth


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory):
    from app.viewers.video import write_video

    t = 30
    joints = np.zeros((t, 22, 3))
    joints[:, :, 1] = np.linspace(0, 1.7, 22)[None]
    joints[:, :, 0] = np.linspace(0, 0.6, t)[:, None]
    frames, _ = synth.render_video(joints, synth.SceneSpec(width=200, height=150),
                                   cams=synth.camera_path(t, joints, move=1.5))
    path = tmp_path_factory.mktemp("det") / "clip.mp4"
    write_video(frames, path, 20.0)
    return path


def test_same_file_twice_same_score(moving_clip):
    from app.engine.forensics.pipeline import run_inspection

    model = cal.load_model()
    assert model is not None  # committed: models/forensics/calibrated.json
    a = run_inspection(moving_clip, use_colmap=True)
    b = run_inspection(moving_clip, use_colmap=True)
    assert a.verdict.calibrated and b.verdict.calibrated
    assert round(a.verdict.probability, 2) == round(b.verdict.probability, 2)
    assert a.verdict.verdict == b.verdict.verdict
    for name in model.cues:
        va, vb = a.cues[name].value, b.cues[name].value
        assert (va is None) == (vb is None), name
        if va is not None:
            assert va == pytest.approx(vb, rel=1e-6, abs=1e-9), name


def test_scored_cues_never_include_pycolmap():
    scored = {c for names in cal.FAMILY_CUES.values() for c in names}
    assert not scored & set(cal.UNSCORED)


def test_a_real_two_person_clip_twice_same_score(shared_dir):
    """The same on real footage with two people (people search, main-person crop, SfM on):
    a development clip, when ../shared holds the set."""
    from app.engine.forensics.pipeline import run_inspection

    path = shared_dir / "data" / "videos" / "dev" / "real" / "mmhuman3d_multi_person_demo.mp4"
    if not path.is_file():
        pytest.skip("no development set in ../shared")
    a = run_inspection(path, use_colmap=True)
    b = run_inspection(path, use_colmap=True)
    assert a.people is not None and a.people.max_people >= 2
    assert a.verdict.calibrated
    assert round(a.verdict.probability, 2) == round(b.verdict.probability, 2)
    assert a.verdict.verdict == b.verdict.verdict
    for name in a.cues:
        va, vb = a.cues[name].value, b.cues[name].value
        assert (va is None) == (vb is None), name
        if va is not None:
            assert va == pytest.approx(vb, rel=1e-6, abs=1e-9), name
