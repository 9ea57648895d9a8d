"""What the viewport draws at one frame, Qt-free and renderer-agnostic, plus numpy helpers.

A :class:`FrameScene` holds the body mesh (vertices change per frame, faces are
set once and reused), an optional skeleton overlay, the ground grid on y = 0, a
soft blob shadow, foot-contact markers and the background colour. The renderer
(:mod:`app.viewers.mesh_renderer`) turns it into GL draws; the geometry builders
for overlays live in :mod:`app.viewers.overlays`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.skeleton import FOOT_JOINTS, SMPL22_NAMES

WALL_Z = -2.5   # the scene backdrop's back wall (z, metres): the renderer draws it, IDOL's depth uses it

Color = tuple[float, float, float]

BODY_COLOR: Color = (0.80, 0.76, 0.72)       # light warm grey, a neutral "clay" skin
BACKGROUND: Color = (0.30, 0.33, 0.38)       # neutral grey-blue studio backdrop
LEFT_COLOR: Color = (0.30, 0.62, 0.95)       # skeleton: body's left side
RIGHT_COLOR: Color = (0.95, 0.42, 0.32)      # skeleton: body's right side
CENTRE_COLOR: Color = (0.92, 0.90, 0.86)     # skeleton: spine and head
CONTACT_COLOR: Color = (1.00, 0.72, 0.18)    # foot contact discs
GRID_COLOR: Color = (0.62, 0.65, 0.70)


@dataclass
class FrameScene:
    """Everything drawn at one frame. Arrays are world coordinates (metres, Y up).

    ``faces`` should be the same array object every frame: the renderer keeps the
    topology on the GPU and only re-uploads positions and normals. ``contacts`` is
    one flag per foot joint of :data:`app.core.skeleton.FOOT_JOINTS` (left ankle,
    left toe, right ankle, right toe), drawn under ``joints`` when given.
    """

    vertices: np.ndarray | None = None          # [V, 3] float32
    faces: np.ndarray | None = None             # [F, 3] int
    normals: np.ndarray | None = None           # [V, 3], computed when missing
    body_color: Color = BODY_COLOR
    show_body: bool = True
    joints: np.ndarray | None = None            # [J, 3]
    parents: tuple[int, ...] | None = None      # [J], -1 for the root
    show_skeleton: bool = True                  # drawn when joints and parents are given
    skeleton_on_top: bool = True                # x-ray: visible through the body
    joint_colors: np.ndarray | None = None      # [J, 3]; default left/right/centre for SMPL-22
    joint_radius: float = 0.025
    bone_radius: float = 0.016
    show_grid: bool = True
    grid_color: Color = GRID_COLOR
    grid_extent: float = 20.0                   # half-size in metres; squares are 1 m
    show_shadow: bool = True
    shadow_opacity: float = 0.45
    body_splits: tuple[int, ...] = ()           # vertex counts when `vertices` holds several bodies (a shadow each)
    contacts: np.ndarray | None = None          # [4] bool, FOOT_JOINTS order
    contact_color: Color = CONTACT_COLOR
    background: Color = BACKGROUND

    def has_body(self) -> bool:
        return self.show_body and self.vertices is not None and self.faces is not None

    def has_skeleton(self) -> bool:
        return self.show_skeleton and self.joints is not None and self.parents is not None

    def ground_anchor(self) -> np.ndarray | None:
        """x, z of the point the shadow and grid centre follow (pelvis, else the body centre)."""
        if self.joints is not None and len(self.joints):
            return np.asarray(self.joints[0], dtype=np.float64)[[0, 2]]
        if self.vertices is not None and len(self.vertices):
            v = np.asarray(self.vertices)
            return ((v.min(axis=0) + v.max(axis=0)) / 2.0)[[0, 2]].astype(np.float64)
        return None

    def resolved_joint_colors(self) -> np.ndarray:
        """Per-joint RGB: the given colours, else left blue / right red / centre ivory."""
        assert self.joints is not None
        n = len(self.joints)
        if self.joint_colors is not None:
            return np.asarray(self.joint_colors, dtype=np.float32).reshape(n, 3)
        colors = np.tile(np.asarray(CENTRE_COLOR, np.float32), (n, 1))
        if n == len(SMPL22_NAMES):
            for j, name in enumerate(SMPL22_NAMES):
                if name.startswith("left_"):
                    colors[j] = LEFT_COLOR
                elif name.startswith("right_"):
                    colors[j] = RIGHT_COLOR
        return colors


_TOPOLOGY_CACHE: list[tuple[np.ndarray, tuple[np.ndarray, ...]]] = []  # (faces object, indices)


def _topology(faces: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-corner vertex index columns and their corner-major concatenation, cached per faces object."""
    for cached, value in _TOPOLOGY_CACHE:
        if cached is faces:
            return value
    f = np.asarray(faces, dtype=np.intp)
    cols = tuple(np.ascontiguousarray(f[:, k]) for k in range(3))
    value = (*cols, np.concatenate(cols))
    _TOPOLOGY_CACHE.insert(0, (faces, value))
    del _TOPOLOGY_CACHE[4:]
    return value


def compute_vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit area-weighted vertex normals [V, 3] float32 (vectorised; unused vertices get +Y).

    About 1 ms for a 13.7k-vertex / 27k-face body on one core. Pass the same
    ``faces`` object every frame to reuse its cached index arrays.
    """
    f0, f1, f2, corners = _topology(faces)
    vt = np.ascontiguousarray(np.asarray(vertices, dtype=np.float32).T)  # [3, V]: row-wise maths is fastest
    a, b, c = vt.take(f0, axis=1), vt.take(f1, axis=1), vt.take(f2, axis=1)
    b -= a
    c -= a
    nf = len(f0)
    fn = np.empty((3, 3 * nf), dtype=np.float32)  # face normals, repeated once per corner
    np.multiply(b[1], c[2], out=fn[0, :nf])
    fn[0, :nf] -= b[2] * c[1]
    np.multiply(b[2], c[0], out=fn[1, :nf])
    fn[1, :nf] -= b[0] * c[2]
    np.multiply(b[0], c[1], out=fn[2, :nf])
    fn[2, :nf] -= b[1] * c[0]
    fn[:, nf:2 * nf] = fn[:, :nf]
    fn[:, 2 * nf:] = fn[:, :nf]
    nv = vt.shape[1]
    n = np.empty((3, nv), dtype=np.float64)
    for k in range(3):
        n[k] = np.bincount(corners, weights=fn[k], minlength=nv)
    length = np.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2])
    bad = length < 1e-20
    length[bad] = 1.0
    n /= length
    n[1, bad] = 1.0
    return np.ascontiguousarray(n.T, dtype=np.float32)


def foot_contacts(joints: np.ndarray, fps: float, *, height_threshold: float = 0.05,
                  speed_threshold: float = 0.3, ankle_offset: float = 0.06,
                  floor: float | None = 0.0, foot_joints: tuple[int, ...] = FOOT_JOINTS) -> np.ndarray:
    """Foot contact flags [T, 4] for SMPL-22 joints [T, J, 3] (order: FOOT_JOINTS = 7, 10, 8, 11).

    A foot joint is in contact when it is within ``height_threshold`` of the floor
    (ankles, which sit higher than the toes, get ``ankle_offset`` more) and moves
    slower than ``speed_threshold`` m/s. ``floor=None`` takes the lowest foot height
    of the clip as the floor instead of y = 0.
    """
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[-1] != 3 or j.shape[1] <= max(foot_joints):
        raise ValueError(f"expected SMPL-22 joints [T, J, 3], got shape {j.shape}")
    if fps <= 0:
        raise ValueError("fps must be positive")
    feet = j[:, list(foot_joints), :]
    ground = float(feet[..., 1].min()) if floor is None else float(floor)
    limit = np.array([height_threshold + (ankle_offset if k % 2 == 0 else 0.0)
                      for k in range(len(foot_joints))])
    low = (feet[..., 1] - ground) < limit
    if len(j) < 2:
        return low
    vel = np.zeros(feet.shape[:2])
    step = np.linalg.norm(np.diff(feet, axis=0), axis=-1) * fps
    vel[1:-1] = 0.5 * (step[:-1] + step[1:])
    vel[0], vel[-1] = step[0], step[-1]
    return low & (vel < speed_threshold)
