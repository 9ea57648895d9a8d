"""Rendered clips for the RGB route: single-atom windows of corpus motions on the Anny body.

:func:`atom_windows` lists the atom segments of corpus motions (train motions for train,
test-split motions for test).  :func:`sample_spec` draws one clip's recipe from a seeded
generator: the window, skin and clothing colours, body phenotype, camera (following the
pelvis, varied yaw / pitch / distance) and the scene (biased by the atom's family, see
:mod:`.scenes`).  :class:`SoarRenderer` renders a recipe with the numpy vertex splatter
(:mod:`app.viewers.vertex_splat`): per-vertex colours sampled from the composed body
texture, Lambert shading, z-buffered splats on the scene background.
"""
from __future__ import annotations

import colorsys
import logging
from dataclasses import asdict, dataclass

import numpy as np

from app.core.motion import MotionClip

from .scenes import draw_scene, scene_background

log = logging.getLogger(__name__)

STRIDE = 2                      # 20 fps corpus -> 10 fps clips
MIN_SEGMENT = 16                # corpus frames (0.8 s)
SKIN_RGB = [(0.93, 0.80, 0.70), (0.80, 0.62, 0.48), (0.68, 0.50, 0.36), (0.45, 0.31, 0.22)]


@dataclass
class Window:
    """One atom segment of a corpus motion (corpus frames [start, end))."""

    motion: str
    atom: str
    family: str
    start: int
    end: int


@dataclass
class SoarSpec:
    """Everything that fixes one rendered clip (JSON-able)."""

    motion: str
    atom: str
    family: str
    frames: list
    scene: int
    aligned: bool
    bg_seed: int
    skin: tuple
    top: tuple | None
    bottom: tuple | None
    phenotype: dict
    yaw: float
    pitch: float
    distance_scale: float
    split: str


def atom_windows(items, min_frames: int = MIN_SEGMENT) -> list[Window]:
    """Atom segments of at least ``min_frames`` frames in corpus ``items`` (procedural only)."""
    from app.engine.corpus.registry import ATOMS

    out = []
    for it in items:
        if it.source != "procedural":
            continue
        fps = it.clip.fps
        for seg in it.clip.segments:
            a, b = int(round(seg.start * fps)), min(int(round(seg.end * fps)), it.clip.num_frames)
            if seg.label in ATOMS and b - a >= min_frames:
                out.append(Window(it.id, seg.label, ATOMS[seg.label].family, a, b))
    return out


def window_frames(rng: np.random.Generator, win: Window, frames: int) -> list[int]:
    """``frames`` corpus frame indices inside the window: every STRIDE frames from a random start,
    or spread evenly over a window too short for that."""
    span = frames * STRIDE
    if win.end - win.start >= span:
        s = int(rng.integers(win.start, win.end - span + 1))
        return [s + STRIDE * i for i in range(frames)]
    return [int(v) for v in np.rint(np.linspace(win.start, win.end - 1, frames))]


def _colour(rng: np.random.Generator, val=(0.25, 0.95)) -> tuple:
    r, g, b = colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(*val))
    return round(r, 4), round(g, 4), round(b, 4)


def sample_spec(rng: np.random.Generator, win: Window, frames: int, split: str, p_aligned: float,
                aligned: bool | None = None) -> SoarSpec:
    """One clip's recipe (see the module notes)."""
    idx = window_frames(rng, win, frames)
    scene, is_aligned = draw_scene(rng, win.family, split, p_aligned, aligned)
    skin = tuple(float(x) for x in np.asarray(SKIN_RGB[int(rng.integers(4))]) * rng.uniform(0.9, 1.1))
    dressed = rng.uniform() > 0.08
    phen = {k: round(float(rng.uniform(0.15, 0.85)), 3)
            for k in ("gender", "age", "muscle", "weight", "height", "proportions")}
    return SoarSpec(win.motion, win.atom, win.family, idx, scene, is_aligned, int(rng.integers(2 ** 31)), skin,
                    _colour(rng) if dressed else None, _colour(rng, (0.15, 0.8)) if dressed else None, phen,
                    float(rng.uniform(-60, 60)), float(rng.uniform(0, 20)), float(rng.uniform(0.85, 1.0)), split)


def spec_dict(spec: SoarSpec) -> dict:
    return asdict(spec)


class SoarRenderer:
    """Renders :class:`SoarSpec` recipes at ``size`` x ``size`` with one body model."""

    def __init__(self, body, size: int, supersample: int = 2) -> None:
        from app.engine.avatar.appearance import face_labels
        from app.engine.idol.render_data import _skin_detail

        self.body, self.size, self.supersample = body, size, supersample
        self.labels = face_labels(body)
        self.detail = _skin_detail(body.texture_path())
        self.uv = body.uv()
        self.faces = np.asarray(body.faces)
        self.basis: tuple[np.ndarray, np.ndarray] | None = None

    def _per_vertex(self, tex: np.ndarray) -> np.ndarray:
        from app.viewers.textured import sample_texture

        cols = sample_texture(tex, self.uv.uv)
        out = np.zeros((self.body.num_vertices, 3), np.float32)
        count = np.zeros(self.body.num_vertices, np.float32)
        np.add.at(out, self.uv.vertex_index, cols)
        np.add.at(count, self.uv.vertex_index, 1.0)
        return out / np.maximum(count, 1.0)[:, None]

    def _colour_basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Once per body: per-vertex skin shading [V] (the texture's detail map) and clothing
        weights [V, 3] (top, bottom, shoes; soft at seams) from two texture compositions."""
        from app.viewers.textured import compose_albedo

        grey = compose_albedo(self.detail, self.uv.uv, self.uv.uv_faces, self.labels, (0.5, 0.5, 0.5), size=256)
        parts = compose_albedo(self.detail, self.uv.uv, self.uv.uv_faces, self.labels, (0.0, 0.0, 0.0),
                               (0.5, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.5), size=256)
        return 2.0 * self._per_vertex(grey)[:, 0], np.clip(2.0 / 0.92 * self._per_vertex(parts), 0.0, 1.0)

    def vertex_colours(self, spec: SoarSpec) -> np.ndarray:
        """Per-vertex colours [V, 3] of the recipe's skin tone and clothing (the body texture's
        detail shading on the skin, flat colours on the clothes)."""
        from app.viewers.textured import SHOE_COLOR

        if self.basis is None:
            self.basis = self._colour_basis()
        shade, w = self.basis
        skin = shade[:, None] * np.asarray(spec.skin, np.float32)
        if spec.top is None:
            return np.clip(skin, 0, 1)
        cloth = np.asarray([spec.top, spec.bottom, SHOE_COLOR], np.float32)        # [3, 3]
        return np.clip(np.clip(1.0 - w.sum(1, keepdims=True), 0, 1) * skin + w @ cloth, 0, 1)

    def cameras(self, spec: SoarSpec, joints: np.ndarray) -> list:
        from dataclasses import replace

        from app.viewers.camera import follow, preset

        base = preset("follow", joints, aspect=1.0, padding=0.08)
        base = replace(base, yaw=spec.yaw, pitch=spec.pitch, distance=base.distance * spec.distance_scale)
        return [follow(base, joints[i, 0]).to_camera() for i in range(len(joints))]

    def render(self, spec: SoarSpec, motion: MotionClip) -> dict:
        """RGB uint8 [T, S, S, 3] and person masks [T, S, S] of one clip, plus its background."""
        from app.viewers.vertex_splat import splat_clip

        self.body.set_phenotype(**spec.phenotype)
        idx = np.asarray(spec.frames)
        clip = MotionClip(motion.fps / STRIDE, motion.trans[idx].copy(), motion.rotations[idx].copy(),
                          motion.skeleton, name=motion.name)
        verts, joints = self.body.pose_with_joints(clip)
        bg = scene_background(spec.scene, np.random.default_rng(spec.bg_seed), self.size)
        rgb, mask = splat_clip(np.asarray(verts), self.vertex_colours(spec), self.cameras(spec, np.asarray(joints)),
                               bg, faces=self.faces, supersample=self.supersample)
        return {"rgb": rgb, "mask": mask, "background": bg}
