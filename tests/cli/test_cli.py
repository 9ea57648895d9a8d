"""Headless twins: info, convert and render exit 0 on success and 2 with one line on bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main as cli_main
from app.core.motion import MotionClip, Segment, rest_clip

REPO = Path(__file__).resolve().parents[2]


def small_clip(frames: int = 12) -> MotionClip:
    clip = rest_clip(frames, fps=20.0)
    t = np.linspace(0, 1, frames)
    clip.rotations[:, 16, 2] = 1.2 * t  # left shoulder lowers the arm over time
    clip.trans[:, 2] = 0.5 * t
    clip.segments = [Segment(0.0, frames / 40, "lower the left arm", "arm")]
    clip.name = "test clip"
    return clip


@pytest.fixture()
def npz_file(tmp_path: Path) -> Path:
    from app.core.motion_io import save_motion

    path = tmp_path / "clip.npz"
    save_motion(small_clip(), path)
    return path


def test_info_prints_summary(npz_file: Path, capsys):
    assert cli_main(["info", str(npz_file)]) == 0
    out = capsys.readouterr().out
    assert "frames: 12" in out and "lower the left arm" in out


def test_convert_npz_to_bvh_and_back(npz_file: Path, tmp_path: Path):
    from app.core.motion_io import load_motion

    bvh = tmp_path / "clip.bvh"
    assert cli_main(["convert", str(npz_file), "--out", str(bvh)]) == 0
    back = tmp_path / "back.npz"
    assert cli_main(["convert", str(bvh), "--out", str(back)]) == 0
    a, b = load_motion(npz_file), load_motion(back)
    assert np.abs(a.joints() - b.joints()).max() < 1e-4


@pytest.mark.parametrize("args, needle", [
    (["info", "/nonexistent/file.bvh"], "file.bvh"),
    (["convert", "{bad}", "--out", "{tmp}/o.npz"], "bad.bvh"),
    (["convert", "{npz}", "--out", "{tmp}/o.txt"], "o.txt"),
    (["render", "{npz}", "--out", "{tmp}/o.mp4", "--width", "0"], "resolution"),
])
def test_bad_input_exits_2_with_one_line(args, needle, npz_file: Path, tmp_path: Path, capsys):
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT hip\n{\n OFFSET 0 0\n")
    args = [a.format(bad=bad, tmp=tmp_path, npz=npz_file) for a in args]
    assert cli_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_main_py_subprocess_help_and_bad_command():
    ok = subprocess.run([sys.executable, str(REPO / "main.py"), "--help"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "info" in ok.stdout
    bad = subprocess.run([sys.executable, str(REPO / "main.py"), "info"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.anny
@pytest.mark.gl
def test_render_writes_video_of_the_body(npz_file: Path, tmp_path: Path):
    """`render` poses the Anny body offscreen and writes an MP4 whose frames show the body."""
    import imageio.v3 as iio

    from app.viewers.mesh_renderer import GLUnavailableError  # noqa: F401 - GL must import

    out = tmp_path / "clip.mp4"
    assert cli_main(["render", str(npz_file), "--out", str(out), "--width", "160", "--height", "120",
                     "--camera", "front"]) == 0
    frames = iio.imread(out)
    assert frames.shape == (12, 120, 160, 3)
    centre = frames[0, 30:90, 60:100].astype(float)
    corner = frames[0, :10, :10].astype(float)
    # the light body differs clearly from the dark background
    assert centre.max() - corner.mean() > 60
    assert not (tmp_path / "clip.mp4.tmp").exists()


@pytest.mark.anny
@pytest.mark.gl
def test_video_export_follows_viewport_flags_and_cameras(tmp_path: Path):
    """The GUI export passes its grid toggle and per-frame cameras; the video must honour both."""
    import imageio.v3 as iio

    from app.engine.jobs import run_task
    from app.engine.tasks.render_video import render_clip_video
    from app.viewers.camera import Camera

    clip = small_clip(4)
    cams = [Camera(eye=(0.0, 1.0, 4.0), target=(0.0, 1.0, 0.0))] * 4
    outs = {}
    for grid in (True, False):
        out = tmp_path / f"grid_{grid}.mp4"
        run_task(render_clip_video, clip, out, width=160, height=120, cameras=cams, show_grid=grid)
        outs[grid] = iio.imread(out).astype(float)
    floor = (slice(100, 120), slice(0, 160))  # lower band: ground with or without grid lines
    assert np.abs(outs[True][0][floor] - outs[False][0][floor]).mean() > 1.0
    with pytest.raises(Exception):
        run_task(render_clip_video, clip, tmp_path / "bad.mp4", width=160, height=120, cameras=cams[:2])
    assert not (tmp_path / "bad.mp4").exists()
