"""Synthetic test footage with real geometry: a textured room seen by a moving camera and a
capsule person driven by motion-capture joints, rendered in numpy (no GL needed), plus
the manipulations the forensic cues must react to.

Used by the tests and by ``scripts/build_forensics_reference.py`` (for the scene and pixel
cues, whose reference comes from rigid renders with a sensor-noise model).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.viewers.camera import Camera

ROOM_LO = np.array([-4.0, 0.0, -4.0])
ROOM_HI = np.array([4.0, 3.0, 4.0])
BONES22 = ((0, 1), (0, 2), (0, 3), (1, 4), (2, 5), (3, 6), (4, 7), (5, 8), (6, 9), (7, 10), (8, 11), (9, 12),
           (9, 13), (9, 14), (12, 15), (13, 16), (14, 17), (16, 18), (17, 19), (18, 20), (19, 21))
SKIN = np.array([0.85, 0.66, 0.55])
SHIRT = np.array([0.20, 0.35, 0.75])
PANTS = np.array([0.25, 0.22, 0.20])


def make_texture(seed: int = 0, size: int = 256) -> np.ndarray:
    """A feature-rich RGB texture in [0, 1]: multi-scale noise plus random rectangles."""
    rng = np.random.default_rng(seed)
    tex = np.zeros((size, size, 3))
    for s in (4, 8, 16, 32, 64):
        small = rng.random((s, s, 3))
        rep = np.kron(small, np.ones((size // s, size // s, 1)))
        tex += rep / (64 / s + 1)
    for _ in range(40):
        x, y = rng.integers(0, size - 20, 2)
        w, h = rng.integers(4, 24, 2)
        tex[y:y + h, x:x + w] = rng.random(3)
    tex = (tex - tex.min()) / np.ptp(tex)
    return tex


@dataclass
class SceneSpec:
    width: int = 160
    height: int = 120
    fov_y_deg: float = 55.0
    noise: float = 2.0 / 255
    seed: int = 0


def camera_path(n: int, joints: np.ndarray | None = None, move: float = 1.0, static: bool = False) -> list[Camera]:
    """A camera dollying sideways (``move`` metres over the clip) and looking at the person."""
    cams = []
    centre = joints[:, 0].mean(0) if joints is not None else np.zeros(3)
    for i in range(n):
        s = 0.0 if static else (i / max(1, n - 1) - 0.5) * move
        eye = np.array([centre[0] + s, 1.5, centre[2] + 3.2])
        cams.append(Camera(eye=tuple(eye), target=(centre[0] + 0.3 * s, 0.9, centre[2]), fov_y_deg=55.0))
    return cams


def _rays(cam: Camera, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    k = cam.intrinsics(w, h)
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    d = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u, float)], -1)
    r = cam.world_to_camera_cv()[:3, :3]
    d = d @ r  # camera -> world (r is orthonormal)
    return np.asarray(cam.eye, float), d / np.linalg.norm(d, axis=-1, keepdims=True)


def render_room(cam: Camera, w: int, h: int, tex: np.ndarray, warp: float = 0.0, phase: float = 0.0,
                lo: np.ndarray = ROOM_LO, hi: np.ndarray = ROOM_HI, tile: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """RGB [h,w,3] and ray distance of the room's inside (box ``lo``..``hi``); ``warp`` > 0
    makes the texture swim non-rigidly over time (phase) - a background that is not a rigid
    3D scene. ``tile``: metres covered by one repeat of the texture."""
    o, d = _rays(cam, w, h)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (np.asarray(lo) - o) / d
        t2 = (np.asarray(hi) - o) / d
    tfar = np.where(np.isfinite(np.maximum(t1, t2)), np.maximum(t1, t2), np.inf)
    axis = np.argmin(tfar, -1)
    t = np.take_along_axis(tfar, axis[..., None], -1)[..., 0]
    p = o + d * t[..., None]
    if warp:
        p = p + warp * np.stack([np.sin(1.7 * p[..., 1] + phase), np.sin(1.3 * p[..., 2] + 1.1 * phase),
                                 np.sin(1.9 * p[..., 0] + 0.7 * phase)], -1)
    uv = np.where(axis[..., None] == 0, p[..., [2, 1]], np.where(axis[..., None] == 1, p[..., [0, 2]], p[..., [0, 1]]))
    size = tex.shape[0]
    ij = (np.floor(uv * size / tile).astype(int) + axis[..., None] * 37) % size
    rgb = tex[ij[..., 1], ij[..., 0]]
    shade = np.where(axis == 1, 0.8, np.where(axis == 0, 0.95, 1.0))
    return rgb * shade[..., None], t


def _limb_colour(a: int, b: int) -> np.ndarray:
    if b in (15, 20, 21) or a in (20, 21):
        return SKIN
    if b in (4, 5, 7, 8, 10, 11) or a in (1, 2):
        return PANTS
    return SHIRT


def render_person(rgb: np.ndarray, depth: np.ndarray, cam: Camera, joints: np.ndarray) -> np.ndarray:
    """Draw capsule limbs and a head (z-buffered against the room) into rgb in place; returns
    the person's mask."""
    h, w = depth.shape
    mask = np.zeros((h, w), bool)
    f = cam.focal_px(h)
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    for a, b in BONES22:
        radius = 0.11 if (a, b) in ((0, 3), (3, 6), (6, 9)) else 0.055
        col = _limb_colour(a, b)
        pts = joints[a] + np.linspace(0, 1, 8)[:, None] * (joints[b] - joints[a])
        uv, z = cam.project(pts, w, h)
        for (x, y), zz in zip(uv, z):
            if not np.isfinite(x) or zz <= 0.1:
                continue
            r = f * radius / zz
            x0, x1 = int(max(0, x - r - 1)), int(min(w, x + r + 2))
            y0, y1 = int(max(0, y - r - 1)), int(min(h, y + r + 2))
            if x0 >= x1 or y0 >= y1:
                continue
            du, dv = u[y0:y1, x0:x1] - x, v[y0:y1, x0:x1] - y
            inside = du * du + dv * dv <= r * r
            closer = zz < depth[y0:y1, x0:x1]
            m = inside & closer
            light = 0.75 + 0.25 * np.clip(-dv / max(r, 1e-3), -1, 1)
            rgb[y0:y1, x0:x1][m] = (col * light[..., None])[m]
            depth[y0:y1, x0:x1][m] = zz
            mask[y0:y1, x0:x1] |= m
    uv, z = cam.project(joints[15] + np.array([0, 0.08, 0]), w, h)
    if np.isfinite(uv[0]) and z > 0.1:
        r = f * 0.11 / z
        m = ((u - uv[0]) ** 2 + (v - uv[1]) ** 2 <= r * r) & (z < depth)
        rgb[m] = SKIN
        mask |= m
    return mask


def render_video(joints: np.ndarray, spec: SceneSpec = SceneSpec(), *, cams: list[Camera] | None = None,
                 warp: float = 0.0, paste_from_first: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Frames uint8 [T,h,w,3] and person masks [T,h,w] of `joints` [T,22,3] in the room.
    ``paste_from_first`` renders the person as seen by the first camera on every frame
    (a subject pasted in without parallax)."""
    rng = np.random.default_rng(spec.seed)
    tex = make_texture(spec.seed)
    cams = cams or camera_path(len(joints), joints)
    frames, masks = [], []
    for i, cam in enumerate(cams):
        rgb, depth = render_room(cam, spec.width, spec.height, tex, warp=warp, phase=0.35 * i)
        if paste_from_first:
            prgb, pdepth = rgb.copy(), np.full_like(depth, np.inf)
            m = render_person(prgb, pdepth, cams[0], joints[i])
            rgb[m] = prgb[m]
        else:
            m = render_person(rgb, depth, cam, joints[i])
        rgb = rgb + rng.normal(0, spec.noise, rgb.shape)
        frames.append(np.clip(rgb * 255, 0, 255).astype(np.uint8))
        masks.append(m)
    return np.stack(frames), np.stack(masks)


# ----------------------------------------------------------------------------- manipulations
def drift_bones(joints: np.ndarray, amount: float = 0.35) -> np.ndarray:
    """Left arm and left leg grow linearly over the clip by up to `amount` (fraction)."""
    out = joints.copy()
    t = joints.shape[0]
    for chain in ((1, 4, 7, 10), (16, 18, 20)):
        for i in range(t):
            s = 1.0 + amount * i / max(1, t - 1)
            for k in range(1, len(chain)):
                par, ch = chain[k - 1], chain[k]
                off = joints[i, ch] - joints[i, par]
                shift = out[i, par] + s * off - out[i, ch]
                out[i, ch] += shift
    return out


def jitter_joints(joints: np.ndarray, sigma: float = 0.03, seed: int = 0) -> np.ndarray:
    """Independent per-frame jitter of every joint (m): temporally incoherent bodies."""
    rng = np.random.default_rng(seed)
    return joints + rng.normal(0, sigma, joints.shape)


def interpolate_frames(frames: np.ndarray) -> np.ndarray:
    """Every odd frame replaced by the blend of its neighbours (naive frame interpolation)."""
    out = frames.astype(np.float32).copy()
    out[1:-1:2] = 0.5 * (out[0:-2:2] + out[2::2])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def boil_texture(frames: np.ndarray, amplitude: float = 12.0, seed: int = 0) -> np.ndarray:
    """Add independent low-frequency blotches to every frame: detail that changes in place
    from frame to frame (a 'boiling' texture that no motion explains)."""
    import cv2

    rng = np.random.default_rng(seed)
    t, h, w = frames.shape[:3]
    out = frames.astype(np.float32)
    for i in range(t):
        small = rng.normal(0, 1, (max(2, h // 12), max(2, w // 12), 1)).astype(np.float32)
        blot = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        out[i] += amplitude * blot[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def resample_joints(joints: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    t = joints.shape[0]
    n = int(round((t - 1) * dst_fps / src_fps)) + 1
    x = np.linspace(0, t - 1, n)
    i0 = np.floor(x).astype(int)
    i1 = np.minimum(i0 + 1, t - 1)
    a = (x - i0)[:, None, None]
    return joints[i0] * (1 - a) + joints[i1] * a


__all__ = ["SceneSpec", "render_video", "camera_path", "drift_bones", "jitter_joints", "interpolate_frames",
           "resample_joints", "make_texture", "boil_texture"]
