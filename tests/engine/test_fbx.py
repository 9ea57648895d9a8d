"""FBX export, checked by Blender itself: the FBX and the glTF re-imported with bpy (in a subprocess).

Blender's importers convert both files to its own Z-up world, so a studio point (x, y, z) (Y up,
facing +Z) must come back at (x, -z, y). Skips where bpy is not installed.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.motion import MotionClip
from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS
from app.engine.body import is_anny_prepared
from app.engine.body.gltf_export import NO_MESH_NOTE, export_gltf
from app.engine.export import fbx as fbx_mod
from app.engine.export.fbx import FbxUnavailableError, bpy_available, export_fbx_task
from app.engine.jobs import run_task

PROBE = Path(__file__).with_name("bpy_probe.py")
J = {n: i for i, n in enumerate(SMPL22_NAMES)}
FPS, FRAMES = 20.0, 24  # HumanML3D's frame rate, a short clip
CHECK_FRAMES = [0, 7, 15, 23]
LIMBS = [("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("right_hip", "right_knee"),
         ("right_knee", "right_ankle"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
         ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist")]  # (Anny's spine and neck rest bent)
needs_bpy = pytest.mark.skipif(not bpy_available(), reason="bpy (Blender as a module) is not installed")


def walk_wave(frames: int = FRAMES) -> MotionClip:
    """A walk that turns, with the right arm waving: every limb moves, the root travels."""
    t = np.arange(frames) / FPS
    s = lambda a, ph=0.0: a * np.sin(2 * np.pi * t + ph)  # noqa: E731
    rot = np.zeros((frames, 22, 3))
    rot[:, J["left_hip"], 0], rot[:, J["right_hip"], 0] = s(0.6), s(0.6, np.pi)
    rot[:, J["left_knee"], 0], rot[:, J["right_knee"], 0] = 0.5 + s(0.4), 0.5 + s(0.4, np.pi)
    rot[:, J["left_shoulder"], 2], rot[:, J["right_shoulder"], 2] = -1.1 + s(0.3), 2.0 + s(0.4)
    rot[:, J["right_elbow"], 1] = 1.2 + s(0.6)
    rot[:, J["spine1"], 1], rot[:, J["neck"], 0] = s(0.2), s(0.3)
    rot[:, 0, 1] = 0.6 * t
    trans = np.stack([0.3 * t, 0.92 + 0.02 * np.sin(4 * np.pi * t), 1.1 * t], 1)
    return MotionClip(FPS, trans, rot, name="walk wave")


def to_blender(p: np.ndarray) -> np.ndarray:
    """Studio world (Y up) -> Blender world (Z up), as Blender's glTF and FBX importers map it."""
    p = np.asarray(p, dtype=np.float64)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


def probe(*paths: Path, fps: float | None = None) -> list[dict]:
    """What Blender sees in each file (imported in one Blender subprocess)."""
    cmd = [sys.executable, str(PROBE), *map(str, paths), "--frames", ",".join(map(str, CHECK_FRAMES))]
    if fps:
        cmd += ["--fps", str(fps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = [ln[6:] for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
    assert proc.returncode == 0 and len(lines) == len(paths), (proc.stdout + proc.stderr)[-3000:]
    return [json.loads(ln) for ln in lines]


def directions(joints: np.ndarray) -> np.ndarray:
    d = np.stack([joints[..., J[c], :] - joints[..., J[p], :] for p, c in LIMBS], axis=-2)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def body():
    if not is_anny_prepared():
        pytest.skip("the Anny body model is not prepared (main.py prepare-body)")
    from app.engine.body import get_body

    return get_body("anny")


@pytest.fixture(scope="module")
def exported(body, tmp_path_factory):
    """The clip exported as FBX (through the engine task) and as glTF, and what Blender sees in each."""
    if not bpy_available():
        pytest.skip("bpy (Blender as a module) is not installed")
    tmp = tmp_path_factory.mktemp("fbx")
    clip = walk_wave()
    result = run_task(export_fbx_task, clip, tmp / "walk.fbx", body)
    export_gltf(clip, tmp / "walk.glb", body)
    fbx_seen, glb_seen = probe(result.path, tmp / "walk.glb", fps=clip.fps)
    return clip, result, {"fbx": fbx_seen, "glb": glb_seen}


@pytest.mark.anny
def test_fbx_result_and_file_conventions(exported):
    clip, result, seen = exported
    assert result.with_mesh and result.note == "" and result.path.read_bytes()[:18] == b"Kaydara FBX Binary"
    assert result.blender["frames"] == FRAMES and result.blender["armature"] == "SMPL22"
    h = seen["fbx"]["header"]
    assert (h["UpAxis"], h["UpAxisSign"], h["FrontAxis"], h["FrontAxisSign"]) == (1, 1, 2, 1)  # Y up, faces +Z
    assert h["UnitScaleFactor"] == pytest.approx(100.0)  # 1 unit = 1 m
    assert h["CustomFrameRate"] == pytest.approx(FPS)
    for node in ("SMPL22", "Body"):  # root nodes untransformed: no -90 degree turn, no 100x scale
        assert np.allclose(h[f"{node} Lcl Rotation"], 0.0, atol=1e-3)
        assert np.allclose(h[f"{node} Lcl Scaling"], 1.0, atol=1e-5)


@pytest.mark.anny
@pytest.mark.parametrize("kind", ["fbx", "glb"])
def test_skeleton_animation_and_joints_in_blender(exported, body, kind):
    clip, _, seen = exported
    s = seen[kind]
    assert sorted(s["bones"]) == sorted(SMPL22_NAMES) and len(s["armatures"]) == 1
    if kind == "fbx":
        assert s["armatures"] == ["SMPL22"] and s["actions"] == ["SMPL22|walk_wave"]
    assert s["fps"] == pytest.approx(FPS)
    assert s["frame_range"][1] - s["frame_range"][0] + 1 == FRAMES and s["keys"] == [FRAMES, FRAMES]
    order = [J[name] for name in s["bones"]]
    studio = to_blender(body.joints_smpl22(clip))  # the exported body's own skeleton
    expected_dirs = directions(to_blender(clip.joints()))  # the clip's own joints
    for f in CHECK_FRAMES:
        got = np.zeros((22, 3))
        got[order] = np.asarray(s["joints"][str(f)])
        err = np.linalg.norm(got - studio[f], axis=1)
        assert err.max() < 1e-3, (kind, f, SMPL22_NAMES[int(err.argmax())], err.max())
        cos = np.sum(directions(got) * expected_dirs[f], axis=-1)
        assert cos.min() > np.cos(np.radians(2.0)), (kind, f, np.degrees(np.arccos(cos.clip(-1, 1))).round(1))
        up = got[J["head"]] - got[J["pelvis"]]
        assert up[2] > 0.4 and up[2] > 2 * np.hypot(up[0], up[1])  # upright along Blender's Z


@pytest.mark.anny
@pytest.mark.parametrize("kind", ["fbx", "glb"])
def test_skinned_textured_life_size_body_in_blender(exported, body, kind):
    clip, _, seen = exported
    skinned = [m for m in seen[kind]["meshes"] if m["armature"] is not None]
    assert len(skinned) == 1
    m = skinned[0]
    assert m["armature"] == seen[kind]["armatures"][0] and sorted(m["groups"]) == sorted(SMPL22_NAMES)
    assert m["vertices"] >= body.num_vertices and m["uv_layers"] >= 1
    assert len(m["images"]) == 1 and m["images"][0]["has_data"] and m["images"][0]["size"] == [1024, 1024]
    height = m["rest_max"][2] - m["rest_min"][2]
    assert 1.5 < height < 1.9 and abs(m["rest_min"][2]) < 0.01  # life-size T-pose, soles on the floor
    assert abs(m["rest_max"][0] + m["rest_min"][0]) < 0.05 and m["rest_max"][0] - m["rest_min"][0] > 1.2  # arms along X
    root = to_blender(body.joints_smpl22(clip)[0, 0])  # the posed mesh (frame 0) surrounds the root joint
    assert all(m["posed_min"][k] < root[k] < m["posed_max"][k] for k in range(3))
    assert 1.4 < m["posed_max"][2] - m["posed_min"][2] < 1.9


@needs_bpy
def test_skeleton_only_fbx_from_the_command_line(tmp_path):
    from app.cli.main import main
    from app.core.motion_io import save_motion

    clip = walk_wave()
    save_motion(clip, tmp_path / "walk.npz")
    out = tmp_path / "walk.fbx"
    assert main(["convert", str(tmp_path / "walk.npz"), str(out), "--no-mesh"]) == 0
    (s,) = probe(out)
    assert sorted(s["bones"]) == sorted(SMPL22_NAMES) and not [m for m in s["meshes"] if m["armature"]]
    assert s["fps"] == pytest.approx(FPS) and s["keys"] == [FRAMES, FRAMES]
    order = [J[name] for name in s["bones"]]
    joints = to_blender(clip.joints())
    for f in CHECK_FRAMES:
        got = np.zeros((22, 3))
        got[order] = np.asarray(s["joints"][str(f)])
        assert np.linalg.norm(got - joints[f], axis=1).max() < 1e-3


@needs_bpy
def test_skeleton_only_task_notes_it_and_cancel_kills_blender(tmp_path, monkeypatch):
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(fbx_mod.subprocess, "Popen", recording_popen)
    out = tmp_path / "c.fbx"
    gen = export_fbx_task(walk_wave(6), out, None, None)
    while not started:
        next(gen)
    assert started[0].poll() is None  # Blender is running
    gen.close()  # what a cancelled job does
    assert started[0].poll() is not None and not out.exists()
    result = run_task(export_fbx_task, walk_wave(6), out, None, None)
    assert not result.with_mesh and result.note == NO_MESH_NOTE and out.is_file()


@needs_bpy
def test_generate_out_fbx_with_tiny_model(tmp_path, monkeypatch):
    from app.cli.main import main
    from app.engine.body import prepare
    from app.engine.repr.normalizer import Normalizer
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import export_model

    monkeypatch.setattr(prepare, "is_anny_prepared", lambda: False)  # skeleton only: no body load in this test
    cfg = dict(model_type="atom", d_model=32, enc_layers=1, dec_layers=1, heads=2, ff=64, codebook_size=16)
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    model_dir = export_model(TextToMotionPipeline.from_config(cfg, norm, device="cpu").model, norm, tmp_path / "tiny")
    out = tmp_path / "g.fbx"
    assert main(["generate", "a person walks", "--seconds", "1.5", "--out", str(out), "--model", str(model_dir)]) == 0
    (s,) = probe(out)
    assert sorted(s["bones"]) == sorted(SMPL22_NAMES) and s["fps"] == pytest.approx(20.0) and s["keys"] == [30, 30]


def test_missing_bpy_is_a_clear_error(tmp_path, monkeypatch):
    from app.cli.main import EXIT_BAD_INPUT, main
    from app.core.motion_io import save_motion

    real_find_spec = fbx_mod.importlib.util.find_spec
    monkeypatch.setattr(fbx_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "bpy" else real_find_spec(name, *a))
    assert not bpy_available() and "pip install bpy==4.2.0" in fbx_mod.fbx_unavailable_reason()
    with pytest.raises(FbxUnavailableError, match=r"pip install bpy==4\.2\.0"):
        run_task(export_fbx_task, walk_wave(4), tmp_path / "x.fbx")
    save_motion(walk_wave(4), tmp_path / "w.npz")
    assert main(["convert", str(tmp_path / "w.npz"), str(tmp_path / "w.fbx")]) == EXIT_BAD_INPUT
    assert main(["generate", "a person walks", "--out", str(tmp_path / "g.fbx")]) == EXIT_BAD_INPUT
    assert not (tmp_path / "w.fbx").exists() and not (tmp_path / "g.fbx").exists()


def test_blender_failure_is_one_line_naming_the_users_file(tmp_path, monkeypatch):
    from app.core.errors import MotionFileError

    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nprint('Traceback (most recent call last):')\nprint('RuntimeError: no armature')\n"
                       "sys.exit(1)\n")
    monkeypatch.setattr(fbx_mod, "SCRIPT", failing)
    monkeypatch.setattr(fbx_mod, "bpy_available", lambda: True)
    with pytest.raises(MotionFileError, match=r"^out\.fbx: Blender could not write the FBX \(RuntimeError: no armature\)$"):
        run_task(export_fbx_task, walk_wave(4), tmp_path / "out.fbx")
    assert not (tmp_path / "out.fbx").exists()


def test_rejects_other_suffixes(tmp_path):
    from app.core.errors import MotionFileError

    with pytest.raises(MotionFileError, match="use .fbx"):
        run_task(export_fbx_task, walk_wave(4), tmp_path / "x.obj")
