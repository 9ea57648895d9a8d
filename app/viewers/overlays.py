"""Numpy geometry for the viewport overlays: ground grid, blob shadow, skeleton, contact discs.

Every builder returns plain arrays (float32 positions/normals/RGBA colours,
uint32 triangle or line indices) so the renderer can upload them into buffers it
keeps across frames; per-frame builders keep their topology fixed for a given
joint count, so only vertex data changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import trimesh

GROUND_EPS = 0.002  # lift of ground decals above y = 0 (avoids z-fighting with the grid)


@dataclass
class Geometry:
    positions: np.ndarray                 # [N, 3] float32
    indices: np.ndarray | None = None     # [M, 3] triangles or [M, 2] lines, uint32
    normals: np.ndarray | None = None     # [N, 3] float32
    colors: np.ndarray | None = None      # [N, 4] float32 RGBA


def grid_lines(extent: float = 20.0, step: float = 1.0, color=(0.62, 0.65, 0.70),
               alpha: float = 0.55, fade_start: float = 0.25) -> Geometry:
    """Line segments of a square grid on y = 0 centred on the origin, fading toward the edge.

    Lines are split at every crossing so the per-vertex alpha can fall off
    smoothly from ``fade_start * extent`` to 0 at ``extent``.
    """
    n = int(round(extent / step))
    ticks = np.arange(-n, n + 1, dtype=np.float32) * step
    a, b = np.meshgrid(ticks, ticks[:-1], indexing="ij")       # line coordinate, segment start
    starts_x = np.stack([a, np.zeros_like(a), b], -1).reshape(-1, 3)   # lines of constant x along z
    ends_x = starts_x + np.array([0.0, 0.0, step], np.float32)
    starts_z = starts_x[:, [2, 1, 0]]
    ends_z = ends_x[:, [2, 1, 0]]
    positions = np.concatenate([np.stack([starts_x, ends_x], 1), np.stack([starts_z, ends_z], 1)]).reshape(-1, 3)
    radius = np.linalg.norm(positions[:, [0, 2]], axis=1) / max(extent, 1e-6)
    fade = np.clip((1.0 - radius) / max(1.0 - fade_start, 1e-6), 0.0, 1.0) ** 1.5
    colors = np.empty((len(positions), 4), np.float32)
    colors[:, :3] = color
    colors[:, 3] = alpha * fade
    indices = np.arange(len(positions), dtype=np.uint32).reshape(-1, 2)
    return Geometry(positions.astype(np.float32), indices, None, colors)


def shadow_disc(segments: int = 40, rings: int = 6, softness: float = 2.2) -> Geometry:
    """A unit disc on y = 0 whose alpha falls off like a Gaussian from 1 at the centre to 0 at the rim."""
    radii = np.linspace(0.0, 1.0, rings + 1)[1:]
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    ring_pts = np.stack([np.outer(radii, np.cos(angles)), np.zeros((rings, segments)),
                         np.outer(radii, np.sin(angles))], -1).reshape(-1, 3)
    positions = np.concatenate([[[0.0, 0.0, 0.0]], ring_pts]).astype(np.float32)
    r = np.linalg.norm(positions[:, [0, 2]], axis=1)
    colors = np.zeros((len(positions), 4), np.float32)
    colors[:, 3] = np.exp(-(softness * r) ** 2) * (1.0 - r ** 4)
    tris = []
    for s in range(segments):  # centre fan
        tris.append((0, 1 + (s + 1) % segments, 1 + s))
    for k in range(rings - 1):
        i0, i1 = 1 + k * segments, 1 + (k + 1) * segments
        for s in range(segments):
            s2 = (s + 1) % segments
            tris += [(i0 + s, i0 + s2, i1 + s), (i0 + s2, i1 + s2, i1 + s)]
    indices = np.asarray(tris, np.uint32)  # counter-clockwise seen from above (+Y)
    return Geometry(positions, indices, None, colors)


@lru_cache(maxsize=4)
def _sphere_template(subdivisions: int = 1) -> tuple[np.ndarray, np.ndarray]:
    s = trimesh.creation.icosphere(subdivisions=subdivisions)
    return np.asarray(s.vertices, np.float32), np.asarray(s.faces, np.uint32)


def _bone_template(sides: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit prism ring data: cos/sin per side and triangle indices of a tube (2 rings x sides)."""
    ang = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    tris = []
    for s in range(sides):
        s2 = (s + 1) % sides
        tris += [(s, s2, sides + s), (s2, sides + s2, sides + s)]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32), np.asarray(tris, np.uint32)


@lru_cache(maxsize=8)
def _skeleton_topology(num_joints: int, num_bones: int, sides: int, subdivisions: int) -> np.ndarray:
    sv, sf = _sphere_template(subdivisions)
    _, _, bt = _bone_template(sides)
    bone_block = 2 * sides
    parts = [bt + b * bone_block for b in range(num_bones)]
    offset = num_bones * bone_block
    parts += [sf + offset + j * len(sv) for j in range(num_joints)]
    return np.concatenate(parts).astype(np.uint32) if parts else np.zeros((0, 3), np.uint32)


def skeleton_mesh(joints: np.ndarray, parents, colors: np.ndarray, joint_radius: float = 0.025,
                  bone_radius: float = 0.016, sides: int = 8, subdivisions: int = 1) -> Geometry:
    """Tapered tubes for bones plus small spheres at joints, one mesh (bones first, then joints)."""
    j = np.asarray(joints, np.float32).reshape(-1, 3)
    par = np.asarray(parents, np.int64)
    child = np.flatnonzero(par >= 0)
    start, end = j[par[child]], j[child]
    axis = end - start
    length = np.linalg.norm(axis, axis=1, keepdims=True)
    d = axis / np.maximum(length, 1e-9)
    ref = np.where(np.abs(d[:, 1:2]) < 0.9, np.array([[0.0, 1.0, 0.0]], np.float32),
                   np.array([[1.0, 0.0, 0.0]], np.float32))
    u = np.cross(d, ref)
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-9)
    w = np.cross(d, u)
    cos, sin, _ = _bone_template(sides)
    radial = cos[None, :, None] * u[:, None, :] + sin[None, :, None] * w[:, None, :]   # [B, S, 3]
    r0, r1 = bone_radius, bone_radius * 0.6
    ring0 = start[:, None, :] + r0 * radial
    ring1 = end[:, None, :] + r1 * radial
    bone_pos = np.concatenate([ring0, ring1], axis=1).reshape(-1, 3)
    bone_nrm = np.concatenate([radial, radial], axis=1).reshape(-1, 3)
    bone_col = np.repeat(colors[child], 2 * sides, axis=0)
    sv, _ = _sphere_template(subdivisions)
    sph_pos = (j[:, None, :] + joint_radius * sv[None]).reshape(-1, 3)
    sph_nrm = np.broadcast_to(sv[None], (len(j), len(sv), 3)).reshape(-1, 3)
    sph_col = np.repeat(colors, len(sv), axis=0)
    rgba = np.ones((len(bone_pos) + len(sph_pos), 4), np.float32)
    rgba[:, :3] = np.concatenate([bone_col, sph_col])
    return Geometry(np.concatenate([bone_pos, sph_pos]).astype(np.float32),
                    _skeleton_topology(len(j), len(child), sides, subdivisions),
                    np.concatenate([bone_nrm, sph_nrm]).astype(np.float32), rgba)


def contact_discs(feet_xz: np.ndarray, active: np.ndarray, radius: float = 0.06,
                  segments: int = 20) -> Geometry:
    """Flat discs on the ground under each foot joint; inactive ones collapse to a point (draw nothing)."""
    feet_xz = np.asarray(feet_xz, np.float32).reshape(-1, 2)
    active = np.asarray(active, bool).reshape(-1)
    ang = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], -1).astype(np.float32)
    offsets = np.concatenate([[[0.0, 0.0]], ring])                       # [S+1, 2]
    scale = np.where(active, radius, 0.0).astype(np.float32)[:, None, None]
    xz = feet_xz[:, None, :] + scale * offsets[None]
    pos = np.empty((len(feet_xz), segments + 1, 3), np.float32)
    pos[..., 0], pos[..., 1], pos[..., 2] = xz[..., 0], 2 * GROUND_EPS, xz[..., 1]
    fan = np.array([(0, 1 + (s + 1) % segments, 1 + s) for s in range(segments)], np.uint32)
    indices = np.concatenate([fan + k * (segments + 1) for k in range(len(feet_xz))])
    normals = np.tile(np.array([0.0, 1.0, 0.0], np.float32), (pos.shape[0] * pos.shape[1], 1))
    return Geometry(pos.reshape(-1, 3), indices, normals, None)
