"""Read DeepMimic motion files (JSON keyframes of its 15-joint humanoid) as SMPL-22 clips.

A DeepMimic frame is 44 numbers: [frame duration, root position (3), root rotation (4),
chest (4), neck (4), right hip (4), right knee (1), right ankle (4), right shoulder (4),
right elbow (1), left hip (4), left knee (1), left ankle (4), left shoulder (4),
left elbow (1)]; quaternions are (w, x, y, z), knees and elbows are hinge angles about
the joint's Z axis. The humanoid (DeepMimic's ``humanoid3d.txt``) is Y up and faces +X
with its right side towards +Z; its rest pose stands with the arms hanging down.

Retargeting: the world is turned by -90 degrees about Y (DeepMimic +X -> our +Z), the
chest rotation is split in halves over SMPL's spine2 and spine3 (DeepMimic's chest joint
sits where SMPL's spine2 does), collars, head, wrists and feet keep their parent's frame,
and the arms get a fixed alignment from SMPL's T-pose to DeepMimic's arms-down rest pose.
Bone lengths are DeepMimic's, so joint positions track the source and feet do not slide.
Clips whose ``Loop`` is ``"wrap"`` can be repeated; each cycle continues from where the
previous one ended (position and heading), as DeepMimic plays them.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .errors import MotionFileError
from .limits import MAX_JSON_BYTES, check_fps, check_joints, check_motion_size, parse_json, read_limited
from .motion import MotionClip
from .rotations import (axis_angle_to_matrix, axis_rotation, matrix_to_axis_angle, matrix_to_quaternion,
                        quaternion_to_matrix, slerp)
from .skeleton import SMPL22_NAMES, SMPL22_PARENTS, Skeleton, global_to_local

log = logging.getLogger(__name__)

FRAME_SIZE = 44
# DeepMimic joint -> (column of its rotation, 4 = quaternion / 1 = hinge about Z)
_DM_LAYOUT = {
    "root": (4, 4), "chest": (8, 4), "neck": (12, 4),
    "right_hip": (16, 4), "right_knee": (20, 1), "right_ankle": (21, 4),
    "right_shoulder": (25, 4), "right_elbow": (29, 1),
    "left_hip": (30, 4), "left_knee": (34, 1), "left_ankle": (35, 4),
    "left_shoulder": (39, 4), "left_elbow": (43, 1),
}
_DM_PARENT = {"chest": "root", "neck": "chest", "right_hip": "root", "right_knee": "right_hip",
              "right_ankle": "right_knee", "right_shoulder": "chest", "right_elbow": "right_shoulder",
              "left_hip": "root", "left_knee": "left_hip", "left_ankle": "left_knee",
              "left_shoulder": "chest", "left_elbow": "left_shoulder"}
# DeepMimic world (forward +X, right +Z) -> ours (forward +Z, left +X): -90 degrees about Y
_C = axis_rotation(np.radians(-90.0), "Y")

# SMPL-22 rest offsets in our axes (metres) from humanoid3d.txt: root->chest 0.236151,
# chest->neck 0.223894, hips +-0.084887 to the side, thigh 0.421546, shin 0.409870,
# chest->shoulder (-0.02405, 0.2435, +-0.18311), upper arm 0.274788, forearm 0.258947.
# Arms point along +-X (SMPL's T-pose); feet and head are not in the file and use
# proportions of its collision shapes (foot box 0.177 long, sole 0.05 below the ankle).
_SPINE2_Y = 0.236151
_SPINE3_DY = 0.06
_DM_OFFSETS = {
    "pelvis": (0.0, 0.0, 0.0),
    "left_hip": (0.084887, 0.0, 0.0), "right_hip": (-0.084887, 0.0, 0.0),
    "spine1": (0.0, 0.45 * _SPINE2_Y, 0.0),
    "left_knee": (0.0, -0.421546, 0.0), "right_knee": (0.0, -0.421546, 0.0),
    "spine2": (0.0, 0.55 * _SPINE2_Y, 0.0),
    "left_ankle": (0.0, -0.409870, 0.0), "right_ankle": (0.0, -0.409870, 0.0),
    "spine3": (0.0, _SPINE3_DY, 0.0),
    "left_foot": (0.0, -0.04, 0.12), "right_foot": (0.0, -0.04, 0.12),
    "neck": (0.0, 0.223894 - _SPINE3_DY, 0.0),
    "left_collar": (0.075, 0.12, -0.02), "right_collar": (-0.075, 0.12, -0.02),
    "head": (0.0051, 0.0654, 0.0513),
    "left_shoulder": (0.18311 - 0.075, 0.2435 - _SPINE3_DY - 0.12, -0.02405 + 0.02),
    "right_shoulder": (-(0.18311 - 0.075), 0.2435 - _SPINE3_DY - 0.12, -0.02405 + 0.02),
    "left_elbow": (0.274788, 0.0, 0.0), "right_elbow": (-0.274788, 0.0, 0.0),
    "left_wrist": (0.258947, 0.0, 0.0), "right_wrist": (-0.258947, 0.0, 0.0),
}
# SMPL T-pose arm (+-X) -> DeepMimic rest arm (down), a rotation about the forward axis
_ARM_ALIGN = {"left": axis_rotation(np.radians(-90.0), "Z"), "right": axis_rotation(np.radians(90.0), "Z")}


def deepmimic_skeleton() -> Skeleton:
    """SMPL-22 tree with DeepMimic's humanoid proportions (T-pose, facing +Z)."""
    return Skeleton(SMPL22_NAMES, SMPL22_PARENTS, np.array([_DM_OFFSETS[n] for n in SMPL22_NAMES]))


def read_deepmimic_frames(path: str | Path) -> tuple[np.ndarray, str, bool]:
    """The raw [T, 44] frames, the loop mode ('wrap' or 'none') and CycleSyncRootRot."""
    path = Path(path)
    data = parse_json(read_limited(path, MAX_JSON_BYTES, "DeepMimic JSON"), path, "DeepMimic motion")
    if not isinstance(data, dict):
        raise MotionFileError(path, "not a DeepMimic motion file (the JSON is not an object)")
    try:
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
        raise MotionFileError(path, f"not a DeepMimic motion file ({type(exc).__name__})") from None
    if frames.ndim != 2 or frames.shape[1] != FRAME_SIZE or len(frames) < 2:
        raise MotionFileError(path, f"expected frames of {FRAME_SIZE} values, got shape {frames.shape}")
    if not np.isfinite(frames).all():
        raise MotionFileError(path, "the motion contains NaN or infinite values")
    durs = frames[:-1, 0]
    dt = float(np.median(durs))
    if not dt > 0 or (durs < 0).any():
        raise MotionFileError(path, "DeepMimic frame durations must be positive")
    check_fps(1.0 / dt, path, f"frame duration {dt:g} s gives a frame rate of")
    n_new = int(min(float(durs.sum()) / dt + 2, 1e15))  # frames after re-timing to the median duration
    check_motion_size(n_new, len(SMPL22_NAMES), path)
    if n_new > 10 * len(frames) + 100:
        raise MotionFileError(path, f"frame durations vary too much ({durs.min():g} to {durs.max():g} s)")
    return frames, str(data.get("Loop", "none")), bool(data.get("CycleSyncRootRot", False))


def _dm_local_rotations(frames: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for name, (col, size) in _DM_LAYOUT.items():
        if size == 4:
            q = frames[:, col:col + 4]
            out[name] = quaternion_to_matrix(q / np.linalg.norm(q, axis=-1, keepdims=True))
        else:
            out[name] = axis_rotation(frames[:, col], "Z")
    return out


def uniform_frames(frames: np.ndarray) -> np.ndarray:
    """Frames re-timed to their median duration when a few durations differ (normalised lerp
    of quaternions, linear elsewhere); uniform input is returned unchanged."""
    durs = frames[:-1, 0]
    dt = float(np.median(durs))
    if not dt > 0 or (durs < 0).any():
        raise ValueError("DeepMimic frame durations must be positive")
    if np.abs(durs - dt).max() <= 0.01 * dt:
        return frames
    times = np.concatenate([[0.0], np.cumsum(durs)])
    t_new = np.arange(0.0, times[-1] + 0.5 * dt, dt)
    t_new = t_new[t_new <= times[-1] + 1e-9]
    i0 = np.clip(np.searchsorted(times, t_new, side="right") - 1, 0, len(frames) - 2)
    w = np.clip((t_new - times[i0]) / np.maximum(times[i0 + 1] - times[i0], 1e-12), 0.0, 1.0)[:, None]
    a, b = frames[i0].copy(), frames[i0 + 1].copy()
    for col, size in _DM_LAYOUT.values():
        if size == 4:  # take the shorter way round
            flip = np.sum(a[:, col:col + 4] * b[:, col:col + 4], axis=1) < 0
            b[flip, col:col + 4] *= -1
    out = a * (1 - w) + b * w
    for col, size in _DM_LAYOUT.values():
        if size == 4:
            out[:, col:col + 4] /= np.linalg.norm(out[:, col:col + 4], axis=1, keepdims=True)
    out[:, 0] = dt
    return out


def frames_to_motion(frames: np.ndarray, name: str = "") -> MotionClip:
    """Retarget raw DeepMimic frames [T, 44] onto SMPL-22 (our world axes, not grounded)."""
    frames = uniform_frames(frames)
    dt = float(frames[0, 0])
    local = _dm_local_rotations(frames)
    glob: dict[str, np.ndarray] = {}
    for joint in _DM_LAYOUT:  # parents come first in the layout
        par = _DM_PARENT.get(joint)
        g = local[joint] if par is None else glob[par] @ local[joint]
        glob[joint] = g
    ours = {k: _C @ g @ _C.T for k, g in glob.items()}
    chest_local = _C @ local["chest"] @ _C.T
    q_chest = matrix_to_quaternion(chest_local)
    half = quaternion_to_matrix(slerp(np.tile([1.0, 0.0, 0.0, 0.0], (len(q_chest), 1)), q_chest, 0.5))
    g = np.empty((len(frames), 22, 3, 3))
    for j, n in enumerate(SMPL22_NAMES):
        side, _, part = n.partition("_") if n.startswith(("left_", "right_")) else ("", "", n)
        if n in ("pelvis", "spine1"):
            g[:, j] = ours["root"]
        elif n == "spine2":
            g[:, j] = ours["root"] @ half
        elif n in ("spine3", "left_collar", "right_collar"):
            g[:, j] = ours["chest"]
        elif n in ("neck", "head"):
            g[:, j] = ours["neck"]
        elif part in ("hip", "knee", "ankle"):
            g[:, j] = ours[n]
        elif part == "foot":
            g[:, j] = ours[f"{side}_ankle"]
        elif part == "shoulder":
            g[:, j] = ours[n] @ _ARM_ALIGN[side]
        else:  # elbow, wrist (DeepMimic's wrist is fixed to the forearm)
            g[:, j] = ours[f"{side}_elbow"] @ _ARM_ALIGN[side]
    rots = matrix_to_axis_angle(global_to_local(g, SMPL22_PARENTS))
    trans = frames[:, 1:4] @ _C.T
    return MotionClip(1.0 / dt, trans, rots, deepmimic_skeleton(), name=name)


def _yaw_of(rot: np.ndarray) -> float:
    """Angle of the rotation about Y closest to ``rot`` (3x3)."""
    return float(np.arctan2(rot[0, 2] - rot[2, 0], rot[0, 0] + rot[2, 2]))


def _blend_towards(rots: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rotate axis-angle frames [m, J, 3] part of the way (weights [m]) towards ``target`` [J, 3]
    by the difference between the last frame and the target."""
    last = axis_angle_to_matrix(rots[-1])
    delta = matrix_to_quaternion(axis_angle_to_matrix(target) @ np.swapaxes(last, -1, -2))  # [J, 4]
    ident = np.tile([1.0, 0.0, 0.0, 0.0], (len(delta), 1))
    out = rots.copy()
    for i, w in enumerate(weights):
        d = quaternion_to_matrix(slerp(ident, delta, np.full(len(delta), w)))
        out[i] = matrix_to_axis_angle(d @ axis_angle_to_matrix(rots[i]))
    return out


def repeat_cycles(clip: MotionClip, cycles: int, sync_rotation: bool = False, blend_s: float = 0.2) -> MotionClip:
    """Repeat a looping clip as DeepMimic plays it: a cycle is frames [0, N-1) and each copy is
    shifted by the horizontal root displacement from frame 0 to frame N-1 (and turned by the
    heading change when ``sync_rotation``). The pose mismatch at each seam is blended out
    over the last ``blend_s`` seconds of every cycle."""
    n = clip.num_frames
    if cycles <= 1 or n < 4:
        return clip.copy()
    yaw = _yaw_of(axis_angle_to_matrix(clip.rotations[-1, 0]) @ axis_angle_to_matrix(clip.rotations[0, 0]).T)
    ry = axis_rotation(np.float64(yaw if sync_rotation else 0.0), "Y")
    p0, p1 = clip.trans[0] * [1, 0, 1], clip.trans[-1] * [1, 0, 1]
    step_t = p1 - ry @ p0  # x -> ry @ x + step_t maps the start of a cycle onto the start of the next
    first_next = clip.rotations[0].copy()
    first_next[0] = matrix_to_axis_angle(ry @ axis_angle_to_matrix(clip.rotations[0, 0]))
    m = int(np.clip(round(blend_s * clip.fps), 1, n - 2))
    body_r = clip.rotations[:-1].copy()
    body_r[-m:] = _blend_towards(body_r[-m:], first_next, (np.arange(1, m + 1) / (m + 1)))
    body_t = clip.trans[:-1]
    trans, rots = [], []
    r_acc, t_acc = np.eye(3), np.zeros(3)
    for k in range(cycles):
        r = body_r.copy()
        r[:, 0] = matrix_to_axis_angle(r_acc @ axis_angle_to_matrix(body_r[:, 0]))
        trans.append(body_t @ r_acc.T + t_acc)
        rots.append(r)
        r_acc, t_acc = ry @ r_acc, ry @ t_acc + step_t
    out = clip.copy()
    out.trans, out.rotations = np.concatenate(trans), np.concatenate(rots)
    out._joints_cache = None
    return out


def loop_cycles(frames: np.ndarray, loop: str, min_duration: float, max_cycles: int = 8) -> int:
    """How many cycles of a clip make at least ``min_duration`` seconds (1 unless it loops)."""
    if loop != "wrap" or min_duration <= 0:
        return 1
    cycle = float(frames[:-1, 0].sum())  # DeepMimic's duration: the time of the last frame
    return int(min(max_cycles, max(1, np.ceil(min_duration / max(cycle, 1e-6) - 1e-9))))


def load_deepmimic(path: str | Path, fps: float | None = None, min_duration: float = 0.0,
                   max_cycles: int = 8, face_forward: bool = True, on_ground: bool = True) -> MotionClip:
    """Read a DeepMimic JSON motion as an SMPL-22 clip (metres, Y up, facing +Z at frame 0).

    Looping clips ('wrap') are repeated until they last at least ``min_duration`` seconds
    (at most ``max_cycles`` cycles); ``fps`` resamples.
    """
    path = Path(path)
    frames, loop, sync_rot = read_deepmimic_frames(path)
    try:
        clip = frames_to_motion(frames, name=path.stem)
        n = loop_cycles(frames, loop, min_duration, max_cycles)
        if n > 1:
            clip = repeat_cycles(clip, n, sync_rotation=sync_rot)
        if fps is not None and abs(fps - clip.fps) > 1e-9:
            clip = clip.resample(fps)
        clip.validate()
        check_joints(clip, path)
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from None
    if face_forward:
        clip = clip.face_forward(0)
    if on_ground:
        clip = clip.on_ground()
    log.info("loaded DeepMimic %s: %d frames at %g fps (%s)", path.name, clip.num_frames, clip.fps, loop)
    return clip
