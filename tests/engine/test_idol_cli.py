"""`main.py idol`: bad input and an untrained or mismatched model exit 2 with one line, nothing written."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main as cli_main
from app.core.motion import MotionClip
from app.core.motion_io import save_motion
from app.core.skeleton import smpl22_skeleton


def _motion(tmp_path: Path) -> Path:
    path = tmp_path / "clip.npz"
    trans = np.tile([0.0, 0.93, 0.0], (4, 1))
    save_motion(MotionClip(fps=20.0, trans=trans, rotations=np.zeros((4, 22, 3)), skeleton=smpl22_skeleton()), path)
    return path


def _run(tmp_path: Path, capsys, *extra: str, motion: str | None = None) -> tuple[int, str]:
    code = cli_main(["idol", motion or str(_motion(tmp_path)), "--out", str(tmp_path / "o"),
                     "--model", str(tmp_path / "no_model"), *extra])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("extra,needle", [
    (["--frames", "0"], "--frames"), (["--frames", "500"], "--frames"), (["--steps", "0"], "--steps"),
    (["--sampler", "euler"], "--sampler"), (["--precision", "fp8"], "--precision"),
    (["--size", "3"], "--size"), (["--appearance", "purple-robe"], "appearance"),
    (["--background", "no-such-thing"], "background"),
])
def test_bad_options_exit_2(tmp_path, capsys, extra, needle):
    code, err = _run(tmp_path, capsys, *extra)
    assert code == 2 and needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_motion_and_unreadable_images(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, motion=str(tmp_path / "nope.npz"))
    assert code == 2 and "nope.npz" in err
    bad = tmp_path / "person.png"
    bad.write_bytes(b"not an image")
    code, err = _run(tmp_path, capsys, "--appearance", str(bad))
    assert code == 2 and "person.png" in err and "appearance" in err
    code, err = _run(tmp_path, capsys, "--background", str(bad))
    assert code == 2 and "background" in err


def test_untrained_model_says_how_to_train(tmp_path, capsys):
    code, err = _run(tmp_path, capsys)
    assert code == 2 and "IDOL model not trained yet: run scripts/train_idol.py" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "o").exists()


def test_size_the_model_does_not_make_exits_2(tmp_path, capsys):
    pytest.importorskip("diffusers")
    from app.engine.idol.config import IDOL_TINY
    from app.engine.idol.pipeline import IdolPipeline

    IdolPipeline.from_config(IDOL_TINY).save_pretrained(tmp_path / "no_model")
    code, err = _run(tmp_path, capsys, "--size", "64")
    assert code == 2 and "not supported" in err and f"{IDOL_TINY.size}x{IDOL_TINY.size}" in err


def test_generates_the_output_folder_and_the_task_cancels(tmp_path, capsys):
    """End to end on a tiny random-weight model (16 px, 3 frames) and the real body (skipped when unprepared)."""
    pytest.importorskip("diffusers")
    from app.engine.body import is_anny_prepared
    from app.engine.idol.config import IDOL_TINY
    from app.engine.idol.pipeline import IdolPipeline
    from app.engine.jobs import Job, JobState, drive
    from app.engine.tasks.idol_task import IdolOptions, generate_idol
    from app.viewers.depth import read_depth_png

    if not is_anny_prepared():
        pytest.skip("the Anny body is not prepared on this machine")
    import json

    import cv2

    model = tmp_path / "no_model"
    IdolPipeline.from_config(IDOL_TINY).save_pretrained(model, info={"steps": 0})
    code = cli_main(["idol", str(_motion(tmp_path)), "--out", str(tmp_path / "o"), "--model", str(model),
                     "--frames", "3", "--steps", "2", "--seed", "5", "--background", "scene", "--precision", "bf16"])
    assert code == 0, capsys.readouterr().err
    out = tmp_path / "o"
    assert {p.name for p in out.iterdir()} == {"rgb.mp4", "depth_vis.mp4", "depth", "mask", "meta.json"}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 5 and meta["steps"] == 2 and meta["frames"] == 3 and len(meta["world_to_camera"]) == 3
    assert meta["sampler"] == "ddim"                      # the model's; --sampler dpm is the fast one
    assert meta["precision"] == "bf16"
    depth = read_depth_png(out / "depth" / "000002.png")
    assert depth.shape == (IDOL_TINY.size, IDOL_TINY.size)
    assert cv2.imread(str(out / "mask" / "000000.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint8
    # the engine task stops at the next step when cancelled, leaving nothing behind
    job = Job("idol", generate_idol, (MotionClip(20.0, np.tile([0.0, 0.93, 0.0], (4, 1)), np.zeros((4, 22, 3)),
                                                 smpl22_skeleton()), tmp_path / "c",
                                      IdolOptions(frames=3, steps=50, model_dir=str(model))))
    seen = []

    def listen(j, event):
        seen.append(event)
        if event == "progress" and (j.fraction or 0) > 0.3:
            j.cancel()

    drive(job, listen)
    assert job.state == JobState.CANCELLED and not (tmp_path / "c").exists()
    assert not list(tmp_path.glob(".c.partial-*"))
