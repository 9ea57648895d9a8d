"""`main.py render2p5d` and `main.py multiview`: outputs, and clear errors for bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main as cli_main
from app.core.motion import MotionClip
from app.core.motion_io import save_motion
from app.core.skeleton import smpl22_skeleton


def _clip_file(tmp_path: Path, frames: int = 3) -> Path:
    rot = np.zeros((frames, 22, 3))
    rot[:, 16, 2] = np.linspace(0.0, -0.8, frames)
    trans = np.tile([0.0, 0.93, 0.0], (frames, 1))
    path = tmp_path / "clip.npz"
    save_motion(MotionClip(fps=30.0, trans=trans, rotations=rot, skeleton=smpl22_skeleton()), path)
    return path


@pytest.mark.parametrize("extra,needle", [
    (["--width", "0"], "out of range"), (["--width", "100000"], "out of range"),
    (["--background", "no-such-thing"], "background"),
])
def test_render2p5d_rejects_bad_options(tmp_path, capsys, extra, needle):
    code = cli_main(["render2p5d", str(_clip_file(tmp_path)), "--out", str(tmp_path / "o"), *extra])
    assert code == 2 and needle in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unwritable_or_missing_output_folder(tmp_path, capsys):
    clip = _clip_file(tmp_path)
    assert cli_main(["render2p5d", str(clip), "--out", str(tmp_path / "missing" / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        assert cli_main(["multiview", str(clip), "--out", str(locked / "o")]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_empty_clip_is_rejected(tmp_path, capsys):
    src = np.load(_clip_file(tmp_path), allow_pickle=False)
    data = {k: src[k] for k in src.files}
    for key, value in data.items():
        if value.ndim >= 1 and value.shape[0] == 3:
            data[key] = value[:0]
    np.savez(tmp_path / "empty.npz", **data)
    for cmd in ("render2p5d", "multiview"):
        assert cli_main([cmd, str(tmp_path / "empty.npz"), "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    assert cli_main(["multiview", str(_clip_file(tmp_path)), "--out", str(tmp_path / "m"), "--views", "0"]) == 2
    assert "views" in capsys.readouterr().err


def test_failed_render_leaves_nothing_complete(tmp_path):
    from app.engine.jobs import run_task
    from app.engine.tasks.render2p5d import Render2p5dOptions, render_2p5d

    clip = MotionClip(fps=30.0, trans=np.tile([0.0, 0.9, 0.0], (2, 1)), rotations=np.zeros((2, 22, 3)),
                      skeleton=smpl22_skeleton())

    class Broken:
        faces = np.zeros((1, 3), np.int32)
        name = "broken"

        def uv(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_task(render_2p5d, clip, tmp_path / "o", Render2p5dOptions(32, 32), body=Broken(),
                 vertices=np.zeros((2, 3, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anny
@pytest.mark.gl
def test_render2p5d_end_to_end(tmp_path):
    from app.engine.body import is_anny_prepared
    from app.engine.body.prepare import resolve_anny_cache_dir
    from app.viewers.depth import read_depth_png

    if not is_anny_prepared(resolve_anny_cache_dir()):
        pytest.skip("Anny body model not prepared")
    out = tmp_path / "o"
    code = cli_main(["render2p5d", str(_clip_file(tmp_path)), "--out", str(out), "--width", "64", "--height", "48",
                     "--background", "scene", "--camera", "orbit"])
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["camera.json", "depth", "depth_vis.mp4", "mask", "rgb.mp4"]
    cam = json.loads((out / "camera.json").read_text())
    assert cam["width"] == 64 and len(cam["world_to_camera"]) == 3
    assert cam["world_to_camera"][0] != cam["world_to_camera"][2]  # the orbit moves
    depth = read_depth_png(out / "depth" / "000001.png")
    import cv2
    mask = cv2.imread(str(out / "mask" / "000001.png"), cv2.IMREAD_UNCHANGED) > 0
    assert depth.shape == (48, 64) and mask.any() and (depth[mask] > 0.5).all()
    assert (depth > 0).sum() > mask.sum()  # ground and wall have depth too
    assert not list(tmp_path.glob(".*partial*"))


def test_multiview_cli_defaults_match_the_task_options():
    """The CLI keeps literal defaults (no torch import at start-up); they must track MultiviewOptions."""
    from app.cli.view_commands import MULTIVIEW_DEFAULTS
    from app.engine.tasks.multiview import MultiviewOptions

    opts = MultiviewOptions()
    assert vars(MULTIVIEW_DEFAULTS) == {k: getattr(opts, k) for k in ("views", "fit_steps", "size", "gaussians",
                                                                            "threads")}


@pytest.mark.anny
@pytest.mark.gl
def test_multiview_end_to_end_writes_views_ply_and_metrics(tmp_path):
    """A tiny fit: grid video, one standard 3DGS .ply per frame and held-out metrics."""
    import json

    import imageio.v3 as iio

    from app.cli.main import main as cli_main
    from app.core.motion import rest_clip
    from app.core.motion_io import save_motion

    clip = rest_clip(3, fps=10.0)
    clip.rotations[:, 16, 2] = [0.0, 0.5, 1.0]
    src = tmp_path / "clip.npz"
    save_motion(clip, src)
    out = tmp_path / "views"
    assert cli_main(["multiview", str(src), "--out", str(out), "--views", "2", "--fit-steps", "3",
                     "--size", "64", "--gaussians", "800"]) == 0
    videos = sorted(out.rglob("*.mp4"))
    plys = sorted(out.rglob("*.ply"))
    assert videos and len(plys) == 3
    assert iio.imread(videos[0]).shape[0] == 3
    header = plys[0].read_bytes()[:2000].decode("latin-1")
    for prop in ("property float f_dc_0", "property float opacity", "property float scale_0", "property float rot_3"):
        assert prop in header
    metrics = json.loads(next(out.rglob("metrics.json")).read_text())
    held = metrics["held_out_views_train_frames"]  # cameras not used in fitting
    assert held["images"] > 0 and held["psnr"] > 12.0 and 0.0 < held["ssim"] <= 1.0
