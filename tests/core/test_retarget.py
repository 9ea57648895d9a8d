"""Retargeting BVH skeletons onto SMPL-22: name mapping, units, tracking, real CMU rigs."""
from __future__ import annotations

import time

import numpy as np
import pytest

from app.core.bvh import parse_bvh, read_bvh
from app.core.errors import MotionFileError
from app.core.motion_io import load_motion
from app.core.retarget import bvh_to_motion, guess_unit_scale, map_joints, split_side
from app.core.rotations import matrix_to_euler, axis_angle_to_matrix
from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS, SMPL22_REST_POSITIONS

MIXAMO = ["Hips", "LeftUpLeg", "RightUpLeg", "Spine", "LeftLeg", "RightLeg", "Spine1", "LeftFoot", "RightFoot",
          "Spine2", "LeftToeBase", "RightToeBase", "Neck", "LeftShoulder", "RightShoulder", "Head", "LeftArm",
          "RightArm", "LeftForeArm", "RightForeArm", "LeftHand", "RightHand"]
KEY_JOINTS = ["left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_shoulder",
              "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "head"]


def _bvh_text(names, n_frames=6, units=100.0, seed=0, heading_deg=90.0, drop=()):
    """A Mixamo-like BVH on SMPL's rest geometry (T-pose, facing +Z), ZXY channels, random motion."""
    rng = np.random.default_rng(seed)
    keep = [j for j in range(22) if j not in drop and all(p not in drop for p in _ancestors(j))]
    children = {j: [c for c in keep if SMPL22_PARENTS[c] == j] for j in keep}
    lines, order = ["HIERARCHY"], []

    def emit(j, depth):
        order.append(j)
        pad = "  " * depth
        off = np.zeros(3) if j == 0 else (SMPL22_REST_POSITIONS[j] - SMPL22_REST_POSITIONS[SMPL22_PARENTS[j]]) * units
        lines.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} mixamorig:{names[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {off[0]:.6f} {off[1]:.6f} {off[2]:.6f}")
        ch = "Zrotation Xrotation Yrotation"
        lines.append(f"{pad}  CHANNELS {6 if j == 0 else 3} {'Xposition Yposition Zposition ' if j == 0 else ''}{ch}")
        for c in children[j]:
            emit(c, depth + 1)
        if not children[j]:
            lines.extend([f"{pad}  End Site", pad + "  {", f"{pad}    OFFSET 0 {0.05 * units:.4f} 0", pad + "  }"])
        lines.append(pad + "}")

    emit(0, 0)
    rows = []
    for t in range(n_frames):
        rot = rng.normal(scale=0.35, size=(22, 3))
        rot[0] = [0, np.radians(heading_deg), 0]
        eul = matrix_to_euler(axis_angle_to_matrix(rot), "ZXY")
        root = np.array([0.1 * t, 0.95, 0.05 * t]) * units
        rows.append(" ".join(f"{v:.6f}" for v in np.concatenate([root] + [eul[j] for j in order])))
    lines += ["MOTION", f"Frames: {n_frames}", "Frame Time: 0.0333333"] + rows
    return "\n".join(lines) + "\n"


def _ancestors(j):
    out = []
    while SMPL22_PARENTS[j] >= 0:
        j = SMPL22_PARENTS[j]
        out.append(j)
    return out


def _tracking_error(bvh, clip, scale, names=KEY_JOINTS):
    m = map_joints(bvh)
    src = bvh.global_transforms()[0] * scale
    idx = [SMPL22_NAMES.index(n) for n in names]
    return np.linalg.norm(clip.joints()[:, idx] - src[:, [m[n] for n in names]], axis=-1)


@pytest.mark.parametrize("name,side,base", [
    ("mixamorig:LeftUpLeg", "left", "upleg"), ("lShldr", "left", "shldr"), ("CC_Base_R_Thigh", "right", "thigh"),
    ("thigh.L", "left", "thigh"), ("lfemur", "left", "femur"), ("lowerback", "", "lowerback"),
    ("rButtock", "right", "buttock"), ("RightHand", "right", "hand"), ("Spine1", "", "spine1")])
def test_split_side(name, side, base):
    assert split_side(name) == (side, base)


def test_mixamo_skeleton_maps_and_tracks_exactly():
    bvh = parse_bvh(_bvh_text(MIXAMO))
    m = map_joints(bvh)
    assert {n: bvh.names[j].split(":")[1] for n, j in m.items()} == dict(zip(SMPL22_NAMES, MIXAMO))
    assert guess_unit_scale(bvh, m) == 0.01
    clip = bvh_to_motion(bvh, face_forward=False, on_ground=False)
    err = _tracking_error(bvh, clip, 0.01, list(SMPL22_NAMES))
    assert err.max() < 1e-6
    np.testing.assert_allclose(clip.skeleton.offsets[1:], (SMPL22_REST_POSITIONS[1:] - SMPL22_REST_POSITIONS[
        list(SMPL22_PARENTS[1:])]), atol=1e-6)


def test_default_pipeline_faces_forward_on_ground_and_resamples():
    bvh = parse_bvh(_bvh_text(MIXAMO, n_frames=9, heading_deg=90.0))
    clip = bvh_to_motion(bvh, fps=60.0)
    assert clip.fps == 60.0 and clip.num_frames == 17
    assert abs(clip.facing_angle(0)) < 1e-6
    j = clip.joints()
    assert abs(j[..., 1].min()) < 1e-9
    assert j[0, SMPL22_NAMES.index("left_hip"), 0] > j[0, SMPL22_NAMES.index("right_hip"), 0]


def test_units_override_and_metre_guess():
    bvh = parse_bvh(_bvh_text(MIXAMO, units=1.0))
    assert guess_unit_scale(bvh, map_joints(bvh)) == 1.0
    clip = bvh_to_motion(parse_bvh(_bvh_text(MIXAMO, units=100.0)), units="m", face_forward=False, on_ground=False)
    assert clip.trans[0, 1] == pytest.approx(95.0)


def test_unknown_skeleton_raises(tmp_path):
    text = _bvh_text(["Bone%d" % i for i in range(22)])
    p = tmp_path / "robot.bvh"
    p.write_text(text)
    with pytest.raises(MotionFileError, match="robot.bvh: unknown skeleton: could not find hips/legs"):
        load_motion(p)
    legless = _bvh_text(MIXAMO, drop=(2,))  # no right leg
    p.write_text(legless)
    with pytest.raises(MotionFileError, match="could not find hips/legs .*right_hip"):
        load_motion(p)


def test_missing_arms_inherit(tmp_path):
    bvh = parse_bvh(_bvh_text(MIXAMO, drop=(13, 14)))  # no collars -> no arms at all
    clip = bvh_to_motion(bvh, face_forward=False, on_ground=False)
    np.testing.assert_allclose(clip.rotations[:, 16:], 0.0, atol=1e-9)
    assert _tracking_error(bvh, clip, 0.01, ["left_ankle", "head"]).max() < 1e-6


# --------------------------------------------------------------------- real CMU files
CMU = [("przestr/02_01.bvh", 0.02), ("przestr/16_01.bvh", 0.04), ("iclone/001_01.bvh", 0.02),
       ("aclstm/indian_04.bvh", 0.02)]


@pytest.mark.parametrize("rel,tol", CMU)
def test_real_cmu_rigs_track_source(rel, tol, shared_dir):
    path = shared_dir / "data/motion/cmu" / rel
    if not path.exists():
        pytest.skip(f"{rel} not in shared data")
    t0 = time.perf_counter()
    bvh = read_bvh(path, max_frames=200)
    clip = bvh_to_motion(bvh, face_forward=False, on_ground=False)
    elapsed = time.perf_counter() - t0
    scale = guess_unit_scale(bvh, map_joints(bvh))
    err = _tracking_error(bvh, clip, scale)
    assert err.mean() < tol, f"mean tracking error {err.mean() * 100:.1f} cm"
    assert elapsed < 5.0
    # the default pipeline: on the ground, upright, facing +Z, left on +X
    clip = bvh_to_motion(bvh)
    j = clip.joints()
    assert abs(j[..., 1].min()) < 1e-6
    assert (j[:, 15, 1] > j[:, 0, 1]).mean() > 0.9
    assert abs(clip.facing_angle(0)) < 1e-3
    assert j[0, 16, 0] > j[0, 17, 0] and j[0, 20, 0] > j[0, 21, 0]
    height = j[0, 15, 1] - j[0, [7, 8, 10, 11], 1].min()
    assert 1.0 < height < 2.0
    assert clip.num_frames == min(200, bvh.total_frames) and clip.fps == 30.0


@pytest.mark.parametrize("rel", ["przestr/02_01.bvh", "przestr/16_01.bvh", "aclstm/salsa_01.bvh"])
def test_source_rest_pose_gives_neutral_torso_and_head(rel, shared_dir):
    """The source's zero pose (upright, T-pose) must map to SMPL's neutral spine, neck and head,
    whatever the rig's joint placement (SMPL's head joint sits far forward of its neck)."""
    path = shared_dir / "data" / "motion" / "cmu" / rel
    if not path.exists():
        pytest.skip(f"{rel} not in ../shared")
    bvh = read_bvh(path, max_frames=3)
    bvh.motion[:] = 0.0  # every channel zero: the rig's rest pose, standing at the origin
    clip = bvh_to_motion(bvh, face_forward=False, on_ground=False)
    for name in ("spine1", "spine2", "spine3", "neck", "head"):
        angle = np.degrees(np.linalg.norm(clip.rotations[0, SMPL22_NAMES.index(name)]))
        assert angle < 12.0, f"{name} is rotated {angle:.1f} degrees in the rig's neutral pose"
