"""`main.py edit`: a span of a motion file redrawn from text, headless (the studio's Regenerate span),
through the same engine task with a tiny random-weight ATOM (as the prompt panel's tests)."""
from __future__ import annotations

import numpy as np
import pytest

from app.cli.main import EXIT_BAD_INPUT, main
from app.core.motion_io import load_motion, save_motion
from app.engine.tasks import generate_task as gt
from t2m_fakes import tiny_pipeline


@pytest.fixture(scope="module")
def tiny_pipe():
    return tiny_pipeline()


@pytest.fixture
def motion(tmp_path, tiny_pipe):
    gt.register_pipeline("atom", tiny_pipe)
    clip = tiny_pipe.generate("a person walks forward", 4.0, seed=2)[0]
    path = tmp_path / "walk.npz"
    save_motion(clip, path)
    yield load_motion(path), path
    gt.register_pipeline("atom", None)


def test_edit_npz_keeps_outside_frames_and_replaces_segments(motion, tmp_path, capsys):
    clip, path = motion
    out = tmp_path / "edited.npz"
    assert main(["edit", str(path), "--frames", "20", "50", "--text", "the person jumps", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    new = load_motion(out)
    assert new.num_frames == clip.num_frames
    assert np.allclose(new.trans[:20], clip.trans[:20]) and np.allclose(new.trans[50:], clip.trans[50:])
    assert not np.allclose(new.rotations[25:45], clip.rotations[25:45])
    assert [(round(s.start * 20), round(s.end * 20)) for s in new.segments if s.text == "the person jumps"] == [(20, 50)]


def test_edit_in_seconds_of_a_30_fps_bvh(motion, tmp_path):
    clip, _ = motion
    bvh = tmp_path / "walk30.bvh"
    save_motion(clip.resample(30.0), bvh)
    src = load_motion(bvh)
    out = tmp_path / "edited.bvh"
    assert main(["edit", str(bvh), "--seconds", "1", "2.5", "--text", "the person squats", "--out", str(out)]) == 0
    new = load_motion(out)
    assert new.fps == 30.0 and new.num_frames == src.num_frames
    j0, j1 = src.joints(), new.joints()
    assert np.allclose(j1[:30], j0[:30], atol=1e-3) and np.allclose(j1[75:], j0[75:], atol=1e-3)
    assert not np.allclose(j1[40:70], j0[40:70], atol=1e-2)


@pytest.mark.parametrize("args", [
    ["--frames", "50", "20"], ["--frames", "0", "1"], ["--frames", "0", "500"], ["--seconds", "3", "9"],
])
def test_bad_span_exits_2(motion, tmp_path, args, capsys):
    _, path = motion
    out = tmp_path / "x.npz"
    assert main(["edit", str(path), *args, "--text", "jump", "--out", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "span" in err[-1] and not out.exists()


def test_bad_input_exits_2(motion, tmp_path, capsys):
    _, path = motion
    bad = tmp_path / "bad.bvh"
    bad.write_text("not a bvh")
    for args in ([str(bad), "--frames", "0", "10", "--text", "jump"], [str(path), "--frames", "0", "10", "--text", " "],
                 [str(path), "--frames", "0", "10", "--text", "jump", "--model", "nope"]):
        code = main(["edit", *args, "--out", str(tmp_path / "x.npz")])
        assert code == EXIT_BAD_INPUT
        assert capsys.readouterr().err.strip().splitlines()[-1].startswith(("error:", "usage:"))
