"""IDOL's conditions and modalities in pixels (numpy, no torch): the pose image, depth as a colour
map, and person masks seen in RGB and in depth.

* Pose: the SMPL-22 skeleton projected into the camera and drawn as coloured limbs (one colour per
  bone, left/right distinct) on black, at the frame size.
* Depth: metric camera depth encoded with the turbo colour map (``app.viewers.depth``) over a
  per-clip range fixed by the pelvis distance (``depth_bounds``), so RGB and depth share one
  pixel space; 0 (no geometry) is black. ``decode`` inverts it to metres.
* Masks: the person in RGB is where a frame differs from the known background; the person in
  depth is where depth is closer than the background's depth (0 for flat backdrops, the analytic
  ground and wall of the renderer's "scene" otherwise).
"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS
from app.viewers.depth import colorize_depth, decode_depth
from app.viewers.scene import WALL_Z

DEPTH_NEAR_OFFSET = 1.0   # metres in front of the pelvis covered by the colour map
DEPTH_FAR_OFFSET = 1.5    # metres behind it (nearer floor and wall of the scene backdrop; farther: clipped)
BONES = [(j, int(p)) for j, p in enumerate(SMPL22_PARENTS) if p >= 0]


def _bone_colour(j: int) -> tuple[int, int, int]:
    name = SMPL22_NAMES[j]
    hue = (37 * j) % 180
    sat, val = (255, 255) if name.startswith("left") else (200, 170) if name.startswith("right") else (90, 255)
    rgb = cv2.cvtColor(np.uint8([[[hue, sat, val]]]), cv2.COLOR_HSV2RGB)[0, 0]
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


BONE_COLOURS = [_bone_colour(j) for j, _ in BONES]


def project(joints: np.ndarray, cameras: list, size: int) -> np.ndarray:
    """World joints [T, J, 3] seen by one camera per frame -> [T, J, 3] (u, v pixels; camera depth m)."""
    out = np.zeros(joints.shape[:2] + (3,), np.float32)
    for t, cam in enumerate(cameras):
        uv, z = cam.project(joints[t], size, size)
        out[t, :, :2], out[t, :, 2] = uv, z
    return out


def draw_pose(keypoints: np.ndarray, size: int) -> np.ndarray:
    """Keypoints [T, 22, 3] (u, v, depth) -> pose images uint8 [T, size, size, 3]; nearer bones on top."""
    keypoints = np.asarray(keypoints, np.float32)
    thick = max(1, int(round(size / 40)))
    shift = 4
    out = np.zeros((len(keypoints), size, size, 3), np.uint8)
    for t, kp in enumerate(keypoints):
        depth = np.array([kp[j, 2] + kp[p, 2] for j, p in BONES])
        for b in np.argsort(-depth):     # far bones first
            j, p = BONES[b]
            if not (np.isfinite(kp[[j, p], :2]).all() and kp[j, 2] > 0 and kp[p, 2] > 0):
                continue
            a = tuple(int(v) for v in np.rint(kp[p, :2] * (1 << shift)))
            c = tuple(int(v) for v in np.rint(kp[j, :2] * (1 << shift)))
            cv2.line(out[t], a, c, BONE_COLOURS[b], thick, cv2.LINE_AA, shift)
    return out


def depth_bounds(keypoints: np.ndarray) -> tuple[float, float]:
    """(near, far) metres of the clip's depth colour map from the pelvis depth (median over frames)."""
    z = float(np.median(np.asarray(keypoints)[:, 0, 2]))
    return max(0.05, z - DEPTH_NEAR_OFFSET), z + DEPTH_FAR_OFFSET


def encode_depth(depth: np.ndarray, near: float, far: float) -> np.ndarray:
    """Metric depth [..., H, W] -> turbo colour map uint8 [..., H, W, 3] (0 -> black)."""
    d = np.asarray(depth, np.float32)
    flat = d.reshape((-1,) + d.shape[-2:])
    return np.stack([colorize_depth(x, near, far) for x in flat]).reshape(d.shape + (3,))


def decode(rgb: np.ndarray, near: float, far: float, black: float = 40.0) -> np.ndarray:
    """Colour-mapped depth uint8/float [..., H, W, 3] -> metres [..., H, W]; near-black pixels -> 0."""
    img = np.asarray(rgb, np.float32)
    flat = img.reshape((-1,) + img.shape[-3:])
    out = np.stack([decode_depth(x, near, far) for x in flat]).reshape(img.shape[:-1]).astype(np.float32)
    out[img.max(-1) < black] = 0.0
    return out


def environment_depth(camera, size: int) -> np.ndarray:
    """Depth [size, size] of the renderer's scene backdrop (ground y=0, wall z=WALL_Z); inf elsewhere."""
    k = camera.intrinsics(size, size)
    c2w = np.linalg.inv(camera.world_to_camera_cv())
    xn = ((np.arange(size) - k[0, 2]) / k[0, 0])[None, :]
    yn = ((np.arange(size) - k[1, 2]) / k[1, 1])[:, None]
    r, eye = c2w[:3, :3], c2w[:3, 3]
    env = np.full((size, size), np.inf)
    for axis, plane in ((1, 0.0), (2, WALL_Z)):
        d = r[axis, 0] * xn + r[axis, 1] * yn + r[axis, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (plane - eye[axis]) / d
        env = np.where(t > 0, np.minimum(env, t), env)
    return env.astype(np.float32)


def depth_person_mask(depth: np.ndarray, env_depth: np.ndarray | None = None, margin: float = 0.08) -> np.ndarray:
    """Person pixels in depth [..., H, W]: any depth on flat backdrops, else nearer than the backdrop."""
    d = np.asarray(depth, np.float32)
    if env_depth is None:
        return d > 0
    return (d > 0) & (d < np.asarray(env_depth) - margin)


def rgb_person_mask(rgb: np.ndarray, background: np.ndarray, threshold: float = 40.0) -> np.ndarray:
    """Person pixels in RGB [..., H, W, 3]: colour distance to the background frame above ``threshold``."""
    diff = np.abs(np.asarray(rgb, np.float32) - np.asarray(background, np.float32)).sum(-1)
    return diff > threshold


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)
