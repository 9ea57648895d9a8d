"""IDOL training clips from the studio's 2.5D renderer: the renderer is the teacher.

:func:`sample_spec` draws one clip's recipe from a seeded generator: a motion window, clothing
colours and skin tone, body phenotype, background (plain colour, a procedural room image, or the
renderer's ground + wall scene) and camera (following or fixed, varied yaw, pitch and distance).
The test split draws from held-out hue bands for clothing and backgrounds, and from held-out
motions (the corpus test split). :class:`ClipRenderer` renders the recipe: RGB, metric depth,
person mask, projected SMPL-22 keypoints (the pose condition), a reference image of the same
person (rest pose or another frame, on grey) and the background alone.
"""
from __future__ import annotations

import colorsys
import logging
from dataclasses import asdict, dataclass, replace

import numpy as np

from app.core.motion import MotionClip
from app.engine.idol.conditions import depth_bounds, project

log = logging.getLogger(__name__)

STRIDE = 2                       # 20 fps corpus -> 10 fps clips
SKIN_RGB = [(0.93, 0.80, 0.70), (0.80, 0.62, 0.48), (0.68, 0.50, 0.36), (0.45, 0.31, 0.22)]
HELD_OUT_CLOTH_HUES = ((40, 70), (200, 230))      # degrees; test clothing only
HELD_OUT_BG_HUES = ((100, 130), (280, 310))       # test backgrounds only
REF_BG = (0.5, 0.5, 0.5)
FAR_AWAY = 1.0e4                 # metres: beyond the camera's far plane (renders the background alone)


@dataclass
class ClipSpec:
    """Everything that fixes one rendered clip (JSON-able)."""

    motion: str
    start: int
    skin: tuple
    top: tuple | None
    bottom: tuple | None
    phenotype: dict
    bg_kind: str                 # color | room | scene
    bg_color: tuple
    room: dict
    camera: str                  # follow | static
    yaw: float
    pitch: float
    distance_scale: float
    ref_kind: str                # rest | frame
    ref_frame: int
    split: str


def _hue(rng: np.random.Generator, held_out: tuple, test: bool) -> float:
    """A hue in degrees inside the held-out bands (test) or outside them (train)."""
    while True:
        h = float(rng.uniform(0, 360))
        if any(a <= h < b for a, b in held_out) == test:
            return h


def _colour(rng: np.random.Generator, held_out: tuple, test: bool, sat=(0.35, 0.9), val=(0.25, 0.95)) -> tuple:
    r, g, b = colorsys.hsv_to_rgb(_hue(rng, held_out, test) / 360.0, rng.uniform(*sat), rng.uniform(*val))
    return round(r, 4), round(g, 4), round(b, 4)


def sample_spec(rng: np.random.Generator, motion_id: str, motion_frames: int, frames: int, split: str) -> ClipSpec:
    """One clip's recipe (see the module notes); ``motion_frames`` at the corpus rate."""
    test = split == "test"
    span = frames * STRIDE
    start = int(rng.integers(0, max(1, motion_frames - span + 1)))
    a, b = rng.uniform(0, 1, 2)
    skin = tuple(float(x) for x in np.asarray(SKIN_RGB[int(rng.integers(4))]) * (0.9 + 0.2 * a))
    top = _colour(rng, HELD_OUT_CLOTH_HUES, test) if b > 0.08 else None
    bottom = _colour(rng, HELD_OUT_CLOTH_HUES, test, val=(0.15, 0.8)) if b > 0.08 else None
    phen = {k: round(float(rng.uniform(0.15, 0.85)), 3) for k in ("gender", "age", "muscle", "weight", "height",
                                                                  "proportions")}
    kind = ("color", "room", "scene")[int(rng.choice(3, p=(0.4, 0.35, 0.25)))]
    bg = _colour(rng, HELD_OUT_BG_HUES, test, sat=(0.0, 0.7), val=(0.2, 0.9))
    room = {"wall": _colour(rng, HELD_OUT_BG_HUES, test, sat=(0.0, 0.5), val=(0.4, 0.95)),
            "floor": _colour(rng, HELD_OUT_BG_HUES, test, sat=(0.0, 0.6), val=(0.2, 0.7)),
            "horizon": float(rng.uniform(0.45, 0.8)), "stripes": int(rng.integers(0, 6)),
            "door": bool(rng.uniform() < 0.5)}
    follow = rng.uniform() < 0.7
    ref_kind = "rest" if rng.uniform() < 0.5 else "frame"
    ref_frame = int(rng.integers(0, motion_frames))
    return ClipSpec(motion_id, start, skin, top, bottom, phen, kind, bg, room, "follow" if follow else "static",
                    float(rng.uniform(-70, 70)), float(rng.uniform(0, 25)), float(rng.uniform(0.75, 0.95)),
                    ref_kind, ref_frame, split)


def room_image(room: dict, size: int) -> np.ndarray:
    """A simple procedural room: wall above a horizon, floor below, optional stripes and a door."""
    img = np.zeros((size, size, 3), np.float32)
    hz = int(room["horizon"] * size)
    img[:hz], img[hz:] = room["wall"], room["floor"]
    ramp = np.linspace(0.85, 1.1, size - hz, dtype=np.float32)[:, None, None]
    img[hz:] *= ramp
    for k in range(room["stripes"]):
        x = int((k + 0.5) * size / max(room["stripes"], 1))
        img[:hz, max(0, x - size // 64):x + max(1, size // 64)] *= 0.8
    if room["door"]:
        x0 = int(0.68 * size)
        img[int(hz * 0.35):hz, x0:x0 + size // 6] = np.asarray(room["wall"], np.float32) * 0.55
    return np.rint(np.clip(img, 0, 1) * 255).astype(np.uint8)


def window_clip(clip: MotionClip, start: int, frames: int) -> MotionClip:
    """``frames`` frames from ``start`` every STRIDE corpus frames (padded with the last frame)."""
    idx = np.minimum(start + STRIDE * np.arange(frames), clip.num_frames - 1)
    return MotionClip(clip.fps / STRIDE, clip.trans[idx].copy(), clip.rotations[idx].copy(), clip.skeleton,
                      name=clip.name)


def make_cameras(spec: ClipSpec, joints: np.ndarray) -> list:
    """One camera per frame for ``joints`` [T, 22, 3] (body joints in world metres)."""
    from app.viewers.camera import follow, preset

    base = preset("follow" if spec.camera == "follow" else "front", joints, aspect=1.0)
    base = replace(base, yaw=spec.yaw, pitch=spec.pitch, distance=base.distance * spec.distance_scale)
    if spec.camera == "follow":
        return [follow(base, joints[i, 0]).to_camera() for i in range(len(joints))]
    return [base.to_camera()] * len(joints)


def _skin_detail(path) -> np.ndarray:
    """The body's grey skin detail map (flat grey when it is missing or unreadable)."""
    if path is not None:
        try:
            from PIL import Image

            with Image.open(path) as img:
                return np.asarray(img.convert("RGB"))
        except OSError as exc:
            log.warning("skin detail %s unavailable: %s", path, exc)
    return np.full((8, 8, 3), 128, np.uint8)


class ClipRenderer:
    """Renders :class:`ClipSpec` recipes with one body model and one offscreen renderer."""

    def __init__(self, body, size: int) -> None:
        from app.engine.avatar.appearance import face_labels
        from app.viewers.textured import TexturedMeshRenderer

        self.body, self.size = body, size
        self.labels = face_labels(body)
        self.detail = _skin_detail(body.texture_path())
        self.uv = body.uv()
        self.renderer = TexturedMeshRenderer(size, size)

    def close(self) -> None:
        self.renderer.close()

    def set_appearance(self, spec: ClipSpec) -> None:
        """Texture the body with the recipe's skin tone and clothing colours."""
        from app.viewers.textured import SHOE_COLOR, compose_albedo

        tex = compose_albedo(self.detail, self.uv.uv, self.uv.uv_faces, self.labels, spec.skin, spec.top,
                             spec.bottom, SHOE_COLOR if spec.top is not None else None, size=256)
        self.renderer.set_texture(tex, self.uv.uv, self.uv.uv_faces, self.uv.vertex_index)

    def backdrop(self, spec: ClipSpec):
        from app.viewers.textured import Backdrop

        if spec.bg_kind == "color":
            return Backdrop("color", color=tuple(spec.bg_color))
        if spec.bg_kind == "room":
            return Backdrop("image", image=room_image(spec.room, self.size))
        return Backdrop("scene")

    def render(self, spec: ClipSpec, motion: MotionClip, frames: int) -> dict:
        """Arrays of one clip: rgb, depth (m, float16), mask, keypoints, reference, background, cameras."""
        from app.viewers.textured import Backdrop

        self.body.set_phenotype(**spec.phenotype)
        self.set_appearance(spec)
        clip = window_clip(motion, spec.start, frames)
        verts, joints = self.body.pose_with_joints(clip)
        cams = make_cameras(spec, np.asarray(joints))
        backdrop = self.backdrop(spec)
        if backdrop.kind == "scene":
            backdrop.ground_center = (float(joints[0, 0, 0]), float(joints[0, 0, 2]))
        s = self.size
        rgb = np.zeros((frames, s, s, 3), np.uint8)
        bg = np.zeros_like(rgb)
        depth = np.zeros((frames, s, s), np.float32)
        mask = np.zeros((frames, s, s), bool)
        far = np.full_like(verts[0], FAR_AWAY)
        for i in range(frames):
            rgb[i], depth[i], mask[i] = self.renderer.render_frame(verts[i], self.body.faces, cams[i], backdrop)
            if backdrop.kind == "scene" or i == 0:
                bg[i] = self.renderer.render_frame(far, self.body.faces, cams[i], backdrop, shadow=False)[0]
            else:
                bg[i] = bg[0]
        kp = project(np.asarray(joints), cams, s)
        ref = self.reference(spec, motion, Backdrop("color", color=REF_BG))
        k = cams[0].intrinsics(s, s)
        return {"rgb": rgb, "depth": depth.astype(np.float16), "mask": mask, "keypoints": kp, "reference": ref,
                "background": bg, "near_far": np.asarray(depth_bounds(kp), np.float32), "K": k.astype(np.float32),
                "world_to_camera": np.stack([c.world_to_camera_cv() for c in cams]).astype(np.float32)}

    def reference(self, spec: ClipSpec, motion: MotionClip, backdrop) -> np.ndarray:
        """The same person on grey: rest T-pose from the front, or another frame with the clip's camera."""
        from app.viewers.camera import preset

        if spec.ref_kind == "frame":
            verts, joints = self.body.pose_with_joints(window_clip(motion, spec.ref_frame, 1))
            camera = make_cameras(replace(spec, camera="follow"), np.asarray(joints))[0]
        else:
            one = MotionClip(10.0, np.zeros((1, 3)), np.zeros((1, 22, 3)), motion.skeleton)
            verts = self.body.pose(one)
            camera = preset("front", verts[0], aspect=1.0, padding=0.05).to_camera()
        return self.renderer.render_frame(verts[0], self.body.faces, camera, backdrop, shadow=False)[0]


def spec_dict(spec: ClipSpec) -> dict:
    return asdict(spec)

