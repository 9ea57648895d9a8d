"""Headless exports: glTF from `convert` and `generate`, and a playable MP4 from the shipped ATOM model."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import EXIT_BAD_INPUT, main
from app.core.motion_io import load_motion
from app.engine.repr.normalizer import Normalizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from gltf_reader import Gltf  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CLIP = REPO / "assets" / "motions" / "default.npz"


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory) -> Path:
    from app.core.motion_io import save_motion

    path = tmp_path_factory.mktemp("clips") / "small.npz"
    save_motion(load_motion(DEFAULT_CLIP).slice(0, 30), path)
    return path


def test_convert_to_glb_positional_and_gltf_without_mesh(small_npz, tmp_path, capsys):
    clip = load_motion(small_npz)
    glb = tmp_path / "m.glb"
    assert main(["convert", str(small_npz), str(glb)]) == 0
    g = Gltf(glb)
    assert len(g.doc["animations"][0]["channels"]) >= 23
    if not g.doc.get("meshes"):  # the body model is not prepared here: a note says so
        assert "skeleton only" in capsys.readouterr().err
        assert np.abs(g.joint_positions(12 / clip.fps) - clip.joints()[12]).max() < 1e-3
    gltf = tmp_path / "m.gltf"
    assert main(["convert", str(small_npz), "--out", str(gltf), "--no-mesh"]) == 0
    doc = json.loads(gltf.read_text())
    assert "meshes" not in doc and doc["buffers"][0]["uri"].startswith("data:application/octet-stream;base64,")
    assert np.abs(Gltf(gltf).joint_positions(29 / clip.fps) - clip.joints()[29]).max() < 1e-3


def test_convert_rejects_bad_outputs(small_npz, tmp_path):
    assert main(["convert", str(small_npz), str(tmp_path / "x.obj")]) == EXIT_BAD_INPUT
    assert main(["convert", str(small_npz)]) == EXIT_BAD_INPUT
    assert main(["convert", str(small_npz), str(tmp_path / "a.glb"), "--out", str(tmp_path / "b.glb")]) \
        == EXIT_BAD_INPUT


def test_generate_glb_with_tiny_model(tmp_path):
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import export_model

    cfg = dict(model_type="atom", d_model=32, enc_layers=1, dec_layers=1, heads=2, ff=64, codebook_size=16)
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    pipe = TextToMotionPipeline.from_config(cfg, norm, device="cpu")
    model_dir = export_model(pipe.model, norm, tmp_path / "tiny")
    out = tmp_path / "g.glb"
    assert main(["generate", "a person walks", "--seconds", "1.5", "--samples", "2", "--out", str(out),
                 "--model", str(model_dir)]) == 0
    for k in (1, 2):
        g = Gltf(tmp_path / f"g_{k}.glb")
        times = g.accessor(g.doc["animations"][0]["samplers"][0]["input"])
        assert len(times) == 30 and times[-1] == pytest.approx(29 / 20.0)


@pytest.mark.slow
def test_generate_mp4_with_shipped_atom_is_playable(tmp_path):
    """`main.py generate "walk forward" --seconds 2 --out X.mp4` with the committed checkpoint (~15 s)."""
    import imageio.v3 as iio
    out = tmp_path / "walk.mp4"
    proc = subprocess.run([sys.executable, "main.py", "generate", "walk forward", "--seconds", "2", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"wrote {out}" in proc.stdout
    frames = iio.imread(out)  # decoded back through ffmpeg
    assert frames.ndim == 4 and frames.shape[0] == 40 and frames.shape[-1] == 3  # 2 s at 20 fps
    assert frames.std() > 5 and np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.5  # it moves
