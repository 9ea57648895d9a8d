"""HumanML3D-style 263-dim motion features (Guo et al. 2022) for SMPL-22 `MotionClip`s.

Layout of one feature frame (indices into the 263 dims, see the slice constants):

====================  ======  ===============================================================
part                  dims    meaning (frame i of T-1; "heading frame" = world rotated by -yaw_i)
====================  ======  ===============================================================
ROOT_ROT_VEL          1       -(yaw_{i+1} - yaw_i) / 2: HumanML3D's arcsin of the y component
                              of the relative root quaternion, i.e. HALF the yaw change, sign
                              flipped (yaw = heading angle from +Z towards +X about +Y).
ROOT_LIN_VEL          2       x, z of (root_{i+1} - root_i) in the heading frame of frame i+1.
ROOT_Y                1       root (pelvis) height y_i, world metres (no floor shift).
RIC                   21*3    joints 1..21 minus the root in x and z (y kept absolute), in the
                              heading frame of frame i.
ROT6D                 21*6    LOCAL (parent-relative) rotations of joints 1..21, exactly those
                              of the MotionClip, as the first two matrix columns (Zhou et al.).
LOCAL_VEL             22*3    joint displacement (p_{i+1} - p_i), per frame, heading frame of i.
FOOT_CONTACT          4       left ankle, left foot, right ankle, right foot (SMPL 7, 10, 8, 11).
====================  ======  ===============================================================

Heading: as HumanML3D, across = (r_hip - l_hip) + (r_shoulder - l_shoulder), forward =
up x across, Gaussian-smoothed over time (HumanML3D: sigma 20 frames at 20 fps; here
``smooth_s`` seconds, default 1 s) and normalised.  The root's own rotation is not stored (as
in HumanML3D); :func:`features_to_clip` recovers it exactly by fitting the rest offsets of the
pelvis' children (hips, spine1) to their RIC positions (Kabsch), then adds the heading back.

Frames: T input frames give T-1 feature frames (as HumanML3D); feature frame i describes
pose i plus the motion i -> i+1, so the clip's last frame is dropped.  The features are
invariant to yaw about Y and to horizontal translation: the recovery starts at root x = z = 0
with yaw 0, i.e. it reproduces :func:`canonicalize` (clip) rather than the clip itself.

Foot contacts (deviation from HumanML3D, which tests speed only): a joint is in contact when
its speed is below HumanML3D's threshold (squared step < 0.002 m^2 at 20 fps, i.e. 0.894 m/s)
AND it is within ``CONTACT_MARGIN`` of its rest-pose height above the floor; the floor is
y = 0 or the clip's lowest joint if that is lower.
Velocities are per frame (as HumanML3D), so features are tied to one frame rate (use 20 fps).
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip
from app.core.rotations import (frame_from_vectors, matrix_to_axis_angle, matrix_to_rot6d, rot6d_to_matrix,
                                rotation_between)
from app.core.skeleton import FOOT_JOINTS, SMPL22_NAMES, Skeleton, smpl22_skeleton

NUM_JOINTS = 22
FEATURE_DIM = 263
ROOT_ROT_VEL = slice(0, 1)
ROOT_LIN_VEL = slice(1, 3)
ROOT_Y = slice(3, 4)
RIC = slice(4, 4 + 21 * 3)
ROT6D = slice(RIC.stop, RIC.stop + 21 * 6)
LOCAL_VEL = slice(ROT6D.stop, ROT6D.stop + 22 * 3)
FOOT_CONTACT = slice(LOCAL_VEL.stop, LOCAL_VEL.stop + 4)
assert FOOT_CONTACT.stop == FEATURE_DIM

# HumanML3D face_joint_indx: r_hip, l_hip, r_shoulder, l_shoulder
FACE_JOINTS = (2, 1, 17, 16)
ROOT_CHILDREN = (1, 2, 3)
HEADING_SMOOTH_S = 1.0           # HumanML3D: gaussian sigma 20 frames at 20 fps
CONTACT_SPEED = float(np.sqrt(0.002) * 20.0)  # m/s, HumanML3D's per-frame threshold at 20 fps
CONTACT_MARGIN = 0.05            # m above the joint's rest height over the floor


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """1-D Gaussian filter along axis 0 with edge padding (scipy's mode='nearest', truncate 4)."""
    if sigma <= 0 or len(x) < 2:
        return x
    radius = int(4.0 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.concatenate([np.repeat(x[:1], radius, 0), x, np.repeat(x[-1:], radius, 0)], 0)
    return np.stack([np.convolve(padded[:, c], k, mode="valid") for c in range(x.shape[1])], -1)


def heading_angles(joints: np.ndarray, fps: float, smooth_s: float = HEADING_SMOOTH_S) -> np.ndarray:
    """Per-frame yaw [T] of the body's forward direction (0 = facing +Z, +pi/2 = facing +X)."""
    r_hip, l_hip, r_sh, l_sh = FACE_JOINTS
    across = joints[:, r_hip] - joints[:, l_hip] + joints[:, r_sh] - joints[:, l_sh]
    across = across / np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-9)
    # forward = up x across = (across_z, 0, -across_x)
    forward = np.stack([across[:, 2], -across[:, 0]], -1)  # (x, z)
    forward = _gaussian_smooth(forward, smooth_s * fps)
    return np.arctan2(forward[:, 0], forward[:, 1])


def _rot_y(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate vectors [..., 3] about +Y by yaw (broadcast over leading dims of v)."""
    c, s = np.cos(yaw), np.sin(yaw)
    x, z = v[..., 0], v[..., 2]
    return np.stack([c * x + s * z, v[..., 1], -s * x + c * z], -1)


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2 * np.pi) - np.pi


def _check_clip(clip: MotionClip) -> None:
    if clip.skeleton.names != SMPL22_NAMES:
        raise ValueError("HumanML3D features need an SMPL-22 skeleton")
    if clip.num_frames < 2:
        raise ValueError("HumanML3D features need at least 2 frames")


def foot_contacts(joints: np.ndarray, fps: float, skeleton: Skeleton | None = None) -> np.ndarray:
    """Contacts [T-1, 4] for FOOT_JOINTS (l ankle, l foot, r ankle, r foot), float32 0/1."""
    skel = skeleton or smpl22_skeleton()
    feet = joints[:, list(FOOT_JOINTS)]
    speed = np.linalg.norm(feet[1:] - feet[:-1], axis=-1) * fps
    rest = skel.rest_positions()[list(FOOT_JOINTS), 1]
    rest_height = rest - rest.min()
    floor = min(0.0, float(joints[..., 1].min()))
    low = (feet[:-1, :, 1] - floor) < rest_height + CONTACT_MARGIN
    return ((speed < CONTACT_SPEED) & low).astype(np.float32)


def clip_to_features(clip: MotionClip, smooth_s: float = HEADING_SMOOTH_S) -> np.ndarray:
    """[T-1, 263] float32 HumanML3D-style features of an SMPL-22 clip (see module doc)."""
    _check_clip(clip)
    joints = clip.joints()                                   # [T, 22, 3]
    yaw = heading_angles(joints, clip.fps, smooth_s)         # [T]
    root = joints[:, 0]
    t1 = clip.num_frames - 1
    out = np.empty((t1, FEATURE_DIM), dtype=np.float64)
    out[:, 0] = -_wrap(yaw[1:] - yaw[:-1]) / 2.0
    out[:, ROOT_LIN_VEL] = _rot_y(root[1:] - root[:-1], -yaw[1:])[:, [0, 2]]
    out[:, 3] = root[:-1, 1]
    rel = joints[:-1, 1:] - root[:-1, None] * np.array([1.0, 0.0, 1.0])
    out[:, RIC] = _rot_y(rel, -yaw[:-1, None]).reshape(t1, -1)
    out[:, ROT6D] = matrix_to_rot6d(clip.rotmats()[:-1, 1:]).reshape(t1, -1)
    out[:, LOCAL_VEL] = _rot_y(joints[1:] - joints[:-1], -yaw[:-1, None]).reshape(t1, -1)
    out[:, FOOT_CONTACT] = foot_contacts(joints, clip.fps, clip.skeleton)
    return out.astype(np.float32)


def canonicalize(clip: MotionClip, smooth_s: float = HEADING_SMOOTH_S) -> MotionClip:
    """The clip moved so that at frame 0 the root is at x = z = 0 and the (smoothed) heading is +Z.

    This is the frame in which :func:`features_to_joints` returns joints.
    """
    _check_clip(clip)
    yaw0 = heading_angles(clip.joints(), clip.fps, smooth_s)[0]
    moved = clip.copy()
    moved.trans = clip.trans - clip.trans[0] * np.array([1.0, 0.0, 1.0])
    return moved.rotated_about_y(-float(yaw0))


def recover_root(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw [..., T] (relative to frame 0) and root positions [..., T, 3] (HumanML3D recover_root_rot_pos)."""
    feats = np.asarray(feats, dtype=np.float64)
    rot_vel = feats[..., 0]
    half = np.concatenate([np.zeros_like(rot_vel[..., :1]), np.cumsum(rot_vel[..., :-1], -1)], -1)
    yaw = -2.0 * half
    step = np.zeros(feats.shape[:-1] + (3,))
    step[..., 1:, 0] = feats[..., :-1, 1]
    step[..., 1:, 2] = feats[..., :-1, 2]
    pos = np.cumsum(_rot_y(step, yaw), axis=-2)
    pos[..., 1] = feats[..., 3]
    return yaw, pos


def features_to_joints(feats: np.ndarray) -> np.ndarray:
    """[..., T, 263] -> joint positions [..., T, 22, 3] (HumanML3D recover_from_ric), canonical frame."""
    feats = np.asarray(feats, dtype=np.float64)
    yaw, root = recover_root(feats)
    ric = feats[..., RIC].reshape(feats.shape[:-1] + (21, 3))
    pos = _rot_y(ric, yaw[..., None])
    pos[..., 0] += root[..., None, 0]
    pos[..., 2] += root[..., None, 2]
    return np.concatenate([root[..., None, :], pos], axis=-2)


def _kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rotations [T, 3, 3] minimising sum_j |R src_j - dst_j|^2; src [J, 3], dst [T, J, 3]."""
    h = np.einsum("ja,tjb->tab", src, dst)                   # sum_j src_j dst_j^T
    u, _, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, -1, -2)
    d = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))
    v[..., :, 2] *= d[:, None]
    return v @ np.swapaxes(u, -1, -2)


LEG_JOINTS = frozenset((1, 2, 4, 5, 7, 8, 10, 11))   # hips, knees, ankles, feet (SMPL-22)


def align_bones(rotmats: np.ndarray, positions: np.ndarray, skel: Skeleton,
                skip: frozenset = frozenset()) -> np.ndarray:
    """Local rotations [T, J, 3, 3] whose bones point along ``positions`` [T, J, 3] (same frame as
    the root rotation ``rotmats[:, 0]``), each changed by the smallest rotation that does it, so
    the rotations' twist is kept.  Joints with one child align that bone; spine3 (three children)
    aligns its neck and collar line; the pelvis and leaf joints keep their rotations."""
    parents = list(skel.parents)
    kids = {p: [c for c, q in enumerate(parents) if q == p] for p in range(len(parents))}
    glob = rotmats.copy()
    local = rotmats.copy()
    for p, parent in enumerate(parents):
        if parent >= 0:
            glob[:, p] = glob[:, parent] @ rotmats[:, p]
        ch = [] if parent < 0 or p in skip else kids[p]
        if len(ch) == 1:
            cur = glob[:, p] @ skel.offsets[ch[0]]
            glob[:, p] = rotation_between(cur, positions[:, ch[0]] - positions[:, p]) @ glob[:, p]
        elif len(ch) == 3:          # spine3: neck up, collars across
            up, left, right = ch
            across = skel.offsets[left] - skel.offsets[right]
            f_cur = frame_from_vectors(glob[:, p] @ skel.offsets[up], glob[:, p] @ across)
            f_obs = frame_from_vectors(positions[:, up] - positions[:, p], positions[:, left] - positions[:, right])
            glob[:, p] = f_obs @ np.swapaxes(f_cur, -1, -2) @ glob[:, p]
        if parent >= 0:
            local[:, p] = np.swapaxes(glob[:, parent], -1, -2) @ glob[:, p]
    return local


def features_to_clip(feats: np.ndarray, fps: float, skeleton: Skeleton | None = None,
                     limbs: str = "rotations") -> MotionClip:
    """[T, 263] -> MotionClip of T frames in the canonical frame (see module doc).

    Root translation comes from the integrated root velocities and height; joints 1..21 take
    the ROT6D local rotations (Gram-Schmidt, so un-normalised model output is fine); the root's
    rotation is the Kabsch fit of the skeleton's hip/spine1 rest offsets to their RIC positions,
    turned by the recovered heading.  Pass the clip's skeleton for an exact inverse.
    """
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[1] != FEATURE_DIM:
        raise ValueError(f"expected [T, {FEATURE_DIM}] features, got {feats.shape}")
    skel = skeleton or smpl22_skeleton()
    if skel.names != SMPL22_NAMES:
        raise ValueError("HumanML3D features need an SMPL-22 skeleton")
    t = len(feats)
    yaw, root = recover_root(feats)
    ric = feats[:, RIC].reshape(t, 21, 3)
    children = ric[:, [c - 1 for c in ROOT_CHILDREN]].copy()
    children[..., 1] -= feats[:, None, 3]                    # heights -> root-relative
    root_local = _kabsch(skel.offsets[list(ROOT_CHILDREN)], children)
    c, s = np.cos(yaw), np.sin(yaw)
    zero, one = np.zeros_like(c), np.ones_like(c)
    ry = np.stack([c, zero, s, zero, one, zero, -s, zero, c], -1).reshape(t, 3, 3)
    rotmats = np.empty((t, NUM_JOINTS, 3, 3))
    rotmats[:, 0] = root_local
    rotmats[:, 1:] = rot6d_to_matrix(feats[:, ROT6D].reshape(t, 21, 6))
    if limbs in ("positions", "upper"):  # bone directions from the RIC positions, twist from the rotations
        heading_pos = np.concatenate([np.stack([np.zeros(t), feats[:, 3], np.zeros(t)], -1)[:, None], ric], 1)
        rotmats = align_bones(rotmats, heading_pos, skel, LEG_JOINTS if limbs == "upper" else frozenset())
    elif limbs != "rotations":
        raise ValueError(f"limbs must be 'rotations', 'positions' or 'upper', got {limbs!r}")
    rotmats[:, 0] = ry @ rotmats[:, 0]
    return MotionClip(float(fps), root, matrix_to_axis_angle(rotmats), skel)
