"""Calibration footage for the body-cue references: real motion capture on the studio's
textured Anny body, composited (depth-tested) into a textured room, seen by plausible
cameras (fixed, handheld, panning, dolly/tracking), with sensor noise; the caller encodes
it as H.264 and runs the same decode + BlazePose + flow stages the inspector runs.

Used only by ``scripts/build_forensics_reference.py`` (the Anny body needs its one-time
preparation and a GL context, so tests do not use it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from app.viewers.camera import Camera

from . import synth

log = logging.getLogger(__name__)

CAMERA_KINDS = ("fixed", "handheld", "pan", "dolly")
APPEARANCES = (("medium", "denim"), ("light", "sport"), ("dark", "casual"), ("tan", "denim"), ("light", "casual"),
               ("dark", "sport"))


@dataclass
class CalibShot:
    """One calibration clip's setup (recorded in the cache so the build is reproducible)."""

    window: int
    fps: float
    width: int
    height: int
    camera: str
    seed: int
    seconds: float = 4.0


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or len(x) < 2:
        return x.copy()
    ker = np.ones(k) / k
    pad = k // 2
    return np.stack([np.convolve(np.pad(x[:, d], (pad, k - 1 - pad), mode="edge"), ker, "valid")
                     for d in range(x.shape[1])], 1)


def _shake(rng: np.random.Generator, n: int, fps: float, sigma: float) -> np.ndarray:
    """Smooth random camera shake [n,3] (about 1-2 Hz), standard deviation `sigma` metres."""
    k = max(1, int(round(fps / 3)))
    raw = rng.normal(0, 1, (n + 2 * k, 3))
    sm = _smooth(raw, k)[k:k + n]
    return sigma * sm / max(float(sm.std()), 1e-9)


def cameras(kind: str, joints: np.ndarray, fps: float, rng: np.random.Generator) -> list[Camera]:
    """Per-frame cameras around SMPL-22 joints [T,22,3]: 2.5-5 m away (plus the motion's
    extent for fixed cameras), 0.8-1.8 m high, vertical fov 35-60 deg."""
    n = len(joints)
    pelvis = joints[:, 0]
    centre = pelvis.mean(0)
    extent = float(np.ptp(pelvis[:, [0, 2]], axis=0).max())
    yaw = rng.uniform(-np.pi, np.pi)
    fov = float(rng.uniform(35, 60))
    dist = rng.uniform(2.5, 5.0) + (0.6 * extent if kind in ("fixed", "handheld", "pan") else 0.0)
    height = rng.uniform(0.8, 1.8)
    offset = np.array([np.sin(yaw) * dist, 0.0, np.cos(yaw) * dist])
    follow = _smooth(pelvis, max(1, int(fps * 0.6)))
    follow[:, 1] = 0.9
    cams = []
    if kind == "fixed":
        eye = centre + offset
        eye[1] = height
        return [Camera(eye=tuple(eye), target=(centre[0], 0.9, centre[2]), fov_y_deg=fov)] * n
    if kind == "handheld":
        eye0 = centre + offset
        eye0[1] = height
        eyes = eye0 + _shake(rng, n, fps, 0.02)
        tgt = np.array([centre[0], 0.9, centre[2]]) + 0.3 * (follow - follow.mean(0)) + _shake(rng, n, fps, 0.03)
        return [Camera(eye=tuple(e), target=tuple(t), fov_y_deg=fov) for e, t in zip(eyes, tgt)]
    if kind == "pan":
        eye = centre + offset
        eye[1] = height
        return [Camera(eye=tuple(eye), target=tuple(t), fov_y_deg=fov) for t in follow]
    # dolly / tracking shot: the camera travels with the person and slides sideways
    side = np.array([np.cos(yaw), 0.0, -np.sin(yaw)])
    slide = np.linspace(-0.5, 0.5, n)[:, None] * rng.uniform(0.5, 2.0) * side
    for i in range(n):
        eye = follow[i] + offset + slide[i]
        eye[1] = height
        cams.append(Camera(eye=tuple(eye), target=tuple(follow[i]), fov_y_deg=fov))
    return cams


class CalibRenderer:
    """Anny body (loaded once) + textured renderer; :meth:`render` makes one shot's frames."""

    def __init__(self) -> None:
        from app.engine.jobs import run_task
        from app.engine.tasks.body_tasks import load_body

        self.body = run_task(load_body, "anny")
        self._renderers: dict = {}
        self._textures: dict = {}

    def _renderer(self, w: int, h: int, appearance: tuple[str, str]):
        from app.engine.avatar.appearance import Appearance, body_texture
        from app.viewers.textured import TexturedMeshRenderer

        if appearance not in self._textures:
            self._textures[appearance] = body_texture(self.body, Appearance(*appearance))
        key = (w, h)
        if key not in self._renderers:
            r = TexturedMeshRenderer(w, h)
            r.set_lights("studio")
            self._renderers[key] = [r, None]
        entry = self._renderers[key]
        if entry[1] != appearance:
            tex = self._textures[appearance]
            entry[0].set_texture(tex.texture, tex.uv, tex.uv_faces, tex.vertex_index)
            entry[1] = appearance
        return entry[0]

    def render(self, clip, shot: CalibShot) -> tuple[np.ndarray, np.ndarray]:
        """Frames uint8 [T,h,w,3] of `clip` (already at shot.fps) and the body's SMPL-22 joints."""
        from app.engine.jobs import run_task
        from app.engine.tasks.body_tasks import skin_clip
        from app.viewers.textured import Backdrop

        rng = np.random.default_rng(shot.seed)
        appearance = APPEARANCES[shot.seed % len(APPEARANCES)]
        verts = run_task(skin_clip, self.body, clip)
        joints = np.asarray(self.body.joints_smpl22(clip) if hasattr(self.body, "joints_smpl22") else clip.joints())
        lift = -float(verts[..., 1].min())          # stand on the room's floor (y = 0)
        verts = verts + np.array([0.0, lift, 0.0], np.float32)
        joints = joints + np.array([0.0, lift, 0.0])
        cams = cameras(shot.camera, joints, shot.fps, rng)
        renderer = self._renderer(shot.width, shot.height, appearance)
        tex = synth.make_texture(shot.seed % 7, 256)
        c = joints[:, 0].mean(0)
        lo, hi = np.array([c[0] - 10.0, 0.0, c[2] - 10.0]), np.array([c[0] + 10.0, 3.5 + rng.uniform(0, 1.5), c[2] + 10.0])
        noise = rng.uniform(1.0, 3.0) / 255
        tile = float(rng.uniform(8.0, 20.0))       # texture repeat (m): texels of 3-8 cm
        gain = rng.uniform(0.8, 1.1)
        w, h = shot.width, shot.height
        frames = np.empty((len(cams), h, w, 3), np.uint8)
        for i, cam in enumerate(cams):
            rgb, depth, mask = renderer.render_frame(verts[i], self.body.faces, cam, Backdrop("color"), shadow=False)
            room, dist = synth.render_room(cam, w, h, tex, lo=lo, hi=hi, tile=tile)
            k = cam.intrinsics(w, h)
            u, v = np.meshgrid((np.arange(w) - k[0, 2]) / k[0, 0], (np.arange(h) - k[1, 2]) / k[1, 1])
            body_dist = depth * np.sqrt(1 + u * u + v * v)
            m = mask & (body_dist < dist)
            img = np.where(m[..., None], rgb.astype(np.float64) / 255.0, room * gain)
            img = img + rng.normal(0, noise, img.shape)
            frames[i] = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
        return frames, joints

    def close(self) -> None:
        for r, _ in self._renderers.values():
            r.close()
        self._renderers.clear()
