"""Per-frame inputs of the two streams, computed from any SMPL-22 motion (numpy only).

* **pose stream** (``POSE_DIM`` = 190): pelvis height (1); joints 1..21 relative to the pelvis
  in the body's heading frame (63); local rotations of joints 1..21 as 6D (126).  Invariant to
  where the body stands and which way it faces.  The rotations are solved from the joint
  positions (least-twist IK onto the reference skeleton, :func:`ik_local_rotations`), not taken
  from the file: retargeted mocap rigs put collars, head and wrists in other rest conventions,
  which made every real walk look like a punch to a model trained on the corpus's own rotations.
* **motion stream** (``MOTION_DIM`` = 133): root velocity in the heading frame (3, m/s) and
  yaw rate (1, rad/s) -- zero when ``root_motion`` is off; velocities (63) and accelerations (63)
  of the body-centred joints; root acceleration (3).

Every motion is resampled to 20 fps and scaled uniformly so its leg length matches the
reference SMPL-22 skeleton's (joint positions come from its own skeleton, whose bone directions
may differ from the reference's on retargeted mocap rigs), so mocap of other proportions gives
comparable numbers to the corpus.  T frames in give T feature frames (forward differences,
last one repeated).
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip
from app.core.rotations import frame_from_vectors, rotation_between
from app.core.skeleton import smpl22_skeleton

FPS = 20.0
POSE_DIM = 1 + 21 * 3 + 21 * 6
MOTION_DIM = 3 + 1 + 21 * 3 + 21 * 3 + 3
FEATURE_VERSION = 4          # 4: joints from the clip's rotations on the reference bones (was: own bones)
POSE_GROUPS = (slice(0, 1), slice(1, 64), slice(64, 190))              # height, positions, rotations
MOTION_GROUPS = (slice(0, 3), slice(3, 4), slice(4, 67), slice(67, 130), slice(130, 133))
HEADING_SMOOTH = 9          # frames of the moving average on the unwrapped heading
_LEG = (1, 4, 7)            # left hip -> knee -> ankle
_REF = smpl22_skeleton()


def _leg_length(offsets: np.ndarray) -> float:
    return float(sum(np.linalg.norm(offsets[j]) for j in _LEG[1:]))


def to_reference(clip: MotionClip) -> MotionClip:
    """The clip at 20 fps, scaled uniformly to the reference skeleton's leg length."""
    if not clip.is_smpl22():
        raise ValueError("recognition needs an SMPL-22 motion")
    if abs(clip.fps - FPS) > 1e-6:
        clip = clip.resample(FPS)
    scale = _leg_length(_REF.offsets) / max(_leg_length(clip.skeleton.offsets), 1e-3)
    if abs(scale - 1.0) < 1e-6:
        return clip
    return MotionClip(FPS, clip.trans * scale, clip.rotations, clip.skeleton.scaled(scale), name=clip.name,
                      text=clip.text, segments=list(clip.segments))


def _moving_average(x: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average over an odd window ``k``, edges held."""
    if len(x) < 2 or k < 2:
        return x
    k += 1 - k % 2
    pad = k // 2
    xp = np.concatenate([np.repeat(x[:1], pad), x, np.repeat(x[-1:], pad)])
    c = np.cumsum(np.concatenate([[0.0], xp]))
    return (c[k:] - c[:-k]) / k


def heading(joints: np.ndarray) -> np.ndarray:
    """Smoothed, unwrapped heading yaw [T] (radians from +Z towards +X) from hips and shoulders."""
    across = (joints[:, 1] - joints[:, 2]) + (joints[:, 16] - joints[:, 17])
    forward = np.stack([-across[:, 2], np.zeros(len(across)), across[:, 0]], axis=-1)  # across x up
    yaw = np.unwrap(np.arctan2(forward[:, 0], forward[:, 2]))
    return _moving_average(yaw, HEADING_SMOOTH)


def _rotate_y(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate vectors [T, ..., 3] by -yaw about +Y (world -> heading frame)."""
    c, s = np.cos(yaw), np.sin(yaw)
    shape = (len(yaw),) + (1,) * (v.ndim - 2)
    c, s = c.reshape(shape), s.reshape(shape)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([c * x - s * z, y, s * x + c * z], axis=-1)


def _diff(x: np.ndarray, fps: float) -> np.ndarray:
    if len(x) < 2:
        return np.zeros_like(x)
    d = np.diff(x, axis=0) * fps
    return np.concatenate([d, d[-1:]], axis=0)


def rodrigues(aa: np.ndarray) -> np.ndarray:
    """Axis-angle [..., 3] -> rotation matrices [..., 3, 3], written out element-wise (fast)."""
    theta = np.linalg.norm(aa, axis=-1)
    small = theta < 1e-8
    safe = np.where(small, 1.0, theta)
    x, y, z = (aa[..., i] / safe for i in range(3))
    c, s = np.cos(theta), np.sin(theta)
    c = np.where(small, 1.0, c)
    s = np.where(small, 0.0, s)
    v = 1.0 - c
    r = np.empty(aa.shape[:-1] + (3, 3))
    r[..., 0, 0], r[..., 0, 1], r[..., 0, 2] = c + x * x * v, x * y * v - z * s, x * z * v + y * s
    r[..., 1, 0], r[..., 1, 1], r[..., 1, 2] = y * x * v + z * s, c + y * y * v, y * z * v - x * s
    r[..., 2, 0], r[..., 2, 1], r[..., 2, 2] = z * x * v - y * s, z * y * v + x * s, c + z * z * v
    return r


def _fk(rotmats: np.ndarray, trans: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """World joint positions [T, 22, 3] of an SMPL-22 skeleton with ``offsets``."""
    glob_r = np.empty_like(rotmats)
    pos = np.empty(rotmats.shape[:2] + (3,))
    for k, p in enumerate(_REF.parents):
        if p < 0:
            glob_r[:, k], pos[:, k] = rotmats[:, k], trans
        else:
            glob_r[:, k] = np.matmul(glob_r[:, p], rotmats[:, k])
            pos[:, k] = pos[:, p] + np.matmul(glob_r[:, p], offsets[k])
    return pos


_CHILDREN = {p: [c for c, q in enumerate(_REF.parents) if q == p] for p in range(22)}
_TWO_VECTOR = {0: (3, (1, 2)), 9: (12, (16, 17))}   # joint: (up child, (left, right) for "across")


def ik_local_rotations(joints: np.ndarray) -> np.ndarray:
    """Local rotation matrices [T, 22, 3, 3] that put the reference skeleton's bones along the
    observed ones (least twist; pelvis and spine3 also match the hip / shoulder line; leaf
    joints keep their parent's frame)."""
    t = len(joints)
    rest = _REF.rest_positions()
    glob = np.empty((t, 22, 3, 3))
    eye = np.broadcast_to(np.eye(3), (t, 3, 3))
    for p, parent in enumerate(_REF.parents):
        parent_g = eye if parent < 0 else glob[:, parent]
        kids = _CHILDREN[p]
        if not kids:
            glob[:, p] = parent_g
        elif p in _TWO_VECTOR:
            up, (left, right) = _TWO_VECTOR[p]
            f_rest = frame_from_vectors(_REF.offsets[up], rest[left] - rest[right])
            f_obs = frame_from_vectors(joints[:, up] - joints[:, p], joints[:, left] - joints[:, right])
            glob[:, p] = f_obs @ f_rest.T
        else:
            rest_dir = np.matmul(parent_g, _REF.offsets[kids[0]])
            glob[:, p] = rotation_between(rest_dir, joints[:, kids[0]] - joints[:, p]) @ parent_g
    local = glob.copy()
    for k, parent in enumerate(_REF.parents):
        if parent >= 0:
            local[:, k] = np.swapaxes(glob[:, parent], -1, -2) @ glob[:, k]
    return local


def stream_features(trans: np.ndarray, rotations: np.ndarray, fps: float = FPS, root_motion: bool = True,
                    offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(pose [T, POSE_DIM], motion [T, MOTION_DIM]) float32 of SMPL-22 arrays (``offsets``:
    the skeleton's bone offsets, default the reference skeleton's)."""
    rotmats = rodrigues(np.asarray(rotations, dtype=np.float64))
    joints = _fk(rotmats, np.asarray(trans, dtype=np.float64), _REF.offsets if offsets is None else offsets)
    yaw = heading(joints)
    root = joints[:, 0]
    rel = joints[:, 1:] - root[:, None]
    body = _rotate_y(rel, yaw)                                            # [T, 21, 3]
    ik = ik_local_rotations(joints)
    rot6d = np.concatenate([ik[:, 1:, :, 0], ik[:, 1:, :, 1]], axis=-1)  # [T, 21, 6]
    pose = np.concatenate([root[:, 1:2], body.reshape(len(body), -1), rot6d.reshape(len(body), -1)], axis=1)
    root_vel = _rotate_y(_diff(root, fps), yaw)
    yaw_rate = _diff(yaw, fps)[:, None]
    if not root_motion:
        root_vel[:, [0, 2]] = 0.0
        yaw_rate = np.zeros_like(yaw_rate)
    vel = _diff(body, fps)
    acc = _diff(vel, fps)
    root_acc = _diff(root_vel, fps)
    motion = np.concatenate([root_vel, yaw_rate, vel.reshape(len(vel), -1), acc.reshape(len(acc), -1), root_acc],
                            axis=1)
    return pose.astype(np.float32), motion.astype(np.float32)


def clip_features(clip: MotionClip, root_motion: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Both streams' inputs for any SMPL-22 clip (at 20 fps, root path scaled to the reference leg length).

    Joint positions come from the clip's rotations on the *reference* skeleton's bones, not the
    clip's own: real mocap skeletons differ in proportions (CMU's two retargets put the head 0.46-0.49
    or 0.58 m above the pelvis; the corpus, on the reference skeleton, 0.57 m) and the recogniser
    should read the motion, not the performer's build or the retarget's bone lengths."""
    ref = to_reference(clip)
    return stream_features(ref.trans, ref.rotations, FPS, root_motion)


def frame_atoms(clip: MotionClip, index: dict[str, int], fps: float = FPS) -> np.ndarray:
    """Atom index (in ``index``) of every frame from the clip's segments, -1 where none [T]."""
    out = np.full(clip.num_frames, -1, dtype=np.int16)
    t = (np.arange(clip.num_frames) + 0.5) / fps
    for seg in clip.segments:
        if seg.label in index:
            out[(t >= seg.start) & (t < seg.end)] = index[seg.label]
    return out
