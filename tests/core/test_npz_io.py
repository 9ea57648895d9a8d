"""npz: our format round trip, SMPL/AMASS import/export, refusal of pickles and bad arrays."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import MotionFileError
from app.core.motion import MotionClip, Segment
from app.core.motion_io import load_motion, save_motion
from app.core.npz_io import load_npz, save_npz, save_smpl_npz


def _clip(n=10):
    rng = np.random.default_rng(3)
    clip = MotionClip(20.0, rng.normal(size=(n, 3)), rng.normal(scale=0.5, size=(n, 22, 3)),
                      betas=rng.normal(size=10), gender="female",
                      segments=[Segment(0.0, 0.25, "wave", "wave"), Segment(0.25, 0.5, "sit down")],
                      name="demo", text="a person waves and sits")
    return clip


def test_our_npz_round_trip_is_lossless(tmp_path):
    clip = _clip()
    p = tmp_path / "c.npz"
    save_npz(clip, p)
    with np.load(p, allow_pickle=False) as data:
        assert data["joints"].dtype == np.float32 and data["joints"].shape == (10, 22, 3)
        assert data["poses"].shape == (10, 66) and data["segments"].dtype.kind == "U"
        assert not any(data[k].dtype == object for k in data.files)
    back = load_npz(p)
    np.testing.assert_allclose(back.rotations, clip.rotations, atol=1e-12)
    np.testing.assert_allclose(back.trans, clip.trans, atol=1e-12)
    np.testing.assert_allclose(back.joints(), clip.joints(), atol=1e-5)
    np.testing.assert_allclose(back.skeleton.offsets, clip.skeleton.offsets)
    np.testing.assert_allclose(back.betas, clip.betas)
    assert (back.fps, back.gender, back.name, back.text) == (20.0, "female", "demo", clip.text)
    assert [s.to_dict() for s in back.segments] == [s.to_dict() for s in clip.segments]


@pytest.mark.parametrize("z_up", [True, False])
def test_smpl_npz_round_trip(z_up, tmp_path):
    clip = _clip()
    p = tmp_path / "s.npz"
    save_smpl_npz(clip, p, z_up=z_up)
    with np.load(p) as data:
        assert data["poses"].shape == (10, 72) and float(data["mocap_framerate"]) == 20.0
    back = load_motion(p)
    np.testing.assert_allclose(back.joints(), clip.joints(), atol=1e-5)


def test_amass_file_is_treated_as_z_up(tmp_path):
    poses = np.zeros((4, 156))
    poses[:, 0] = np.pi / 2  # AMASS root orientation standing the Y-up template up in a Z-up world
    trans = np.zeros((4, 3))
    trans[:, 2] = 0.9  # 0.9 m above the floor in Z-up
    p = tmp_path / "amass.npz"
    np.savez(p, poses=poses, trans=trans, betas=np.zeros(16), gender=np.array("male"),
             mocap_framerate=np.array(120.0))
    clip = load_npz(p)
    assert clip.num_frames == 4 and clip.fps == 120.0 and clip.gender == "male"
    # pelvis = R_zup_to_yup @ (trans + template pelvis (-0.0018, -0.2233, 0.0282))
    np.testing.assert_allclose(clip.trans[0], [-0.0018, 0.9282, 0.2233], atol=1e-6)
    np.testing.assert_allclose(clip.rotations[:, 0], 0.0, atol=1e-9)  # standing upright in Y-up
    head = clip.joints()[0, 15]
    assert head[1] > clip.trans[0, 1]


def test_pickled_npz_is_refused(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, poses=np.zeros((2, 66)), trans=np.zeros((2, 3)), mocap_framerate=np.array(30.0),
             meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(MotionFileError, match="contains pickled objects; refusing to load"):
        load_motion(p)


@pytest.mark.parametrize("case", ["shape", "nan", "zero", "missing", "garbage", "fps"])
def test_bad_npz(case, tmp_path):
    p = tmp_path / f"{case}.npz"
    arrays = dict(poses=np.zeros((3, 66)), trans=np.zeros((3, 3)), mocap_framerate=np.array(30.0))
    if case == "shape":
        arrays["trans"] = np.zeros((3, 2))
    elif case == "nan":
        arrays["poses"][1, 4] = np.nan
    elif case == "zero":
        arrays = dict(poses=np.zeros((0, 66)), trans=np.zeros((0, 3)), mocap_framerate=np.array(30.0))
    elif case == "missing":
        del arrays["poses"]
    elif case == "fps":
        arrays["mocap_framerate"] = np.array(-1.0)
    if case == "garbage":
        p.write_bytes(b"PK\x03\x04 this is not a zip")
    else:
        np.savez(p, **arrays)
    with pytest.raises(MotionFileError) as err:
        load_motion(p)
    assert str(err.value).startswith(f"{case}.npz: ") and "\n" not in str(err.value)


def test_save_motion_dispatch_and_unknown_extension(tmp_path):
    clip = _clip()
    save_motion(clip, tmp_path / "a.npz", flavor="smpl")
    with np.load(tmp_path / "a.npz") as data:
        assert "format" not in data.files and "poses" in data.files
    with pytest.raises(MotionFileError, match="unsupported file type"):
        save_motion(clip, tmp_path / "a.fbx")
    (tmp_path / "b.txt").write_text("x")
    with pytest.raises(MotionFileError, match="unsupported file type"):
        load_motion(tmp_path / "b.txt")
    with pytest.raises(MotionFileError, match="does not exist"):
        load_motion(tmp_path / "none.npz")
