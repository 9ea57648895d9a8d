"""Scene helpers: vertex normals, foot contacts and overlay geometry."""
from __future__ import annotations

import time

import numpy as np
import pytest
import trimesh

from app.core.skeleton import SMPL22_PARENTS, SMPL22_REST_POSITIONS
from app.viewers import overlays
from app.viewers.scene import FrameScene, compute_vertex_normals, foot_contacts


def test_normals_of_a_sphere_point_outward():
    s = trimesh.creation.icosphere(subdivisions=3)
    n = compute_vertex_normals(s.vertices, s.faces)
    assert n.shape == (len(s.vertices), 3) and n.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-5)
    assert np.einsum("ij,ij->i", n, s.vertices).min() > 0.99


def test_normals_of_a_flat_quad_and_unused_vertex():
    v = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [5, 5, 5]], np.float32)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    n = compute_vertex_normals(v, f)
    np.testing.assert_allclose(n[:4], np.tile([0.0, 0.0, 1.0], (4, 1)), atol=1e-6)
    np.testing.assert_allclose(n[4], [0.0, 1.0, 0.0])  # unused vertex gets a valid unit normal
    np.testing.assert_allclose(compute_vertex_normals(v, f[:, ::-1])[:4, 2], -1.0)  # winding flips


def test_normals_are_area_weighted_and_fast_on_a_body_sized_mesh():
    c = trimesh.creation.capsule(height=1.2, radius=0.25, count=[118, 118])  # ~13.9k verts, 27.8k faces
    v, f = np.asarray(c.vertices, np.float32), np.asarray(c.faces)
    ref = np.zeros_like(c.vertices)
    np.add.at(ref, c.faces, np.repeat(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])[:, None], 3, 1))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    np.testing.assert_allclose(compute_vertex_normals(v, f), ref, atol=1e-5)
    times = []
    for _ in range(7):
        t = time.perf_counter()
        compute_vertex_normals(v, f)
        times.append(time.perf_counter() - t)
    assert np.median(times) < 0.010  # ~1 ms on an idle core; loose bound for shared CI machines


def _standing_clip(frames: int = 30) -> np.ndarray:
    j = SMPL22_REST_POSITIONS.copy()
    j[:, 1] -= j[:, 1].min()
    return np.repeat(j[None], frames, axis=0)


def test_foot_contacts_standing_still():
    c = foot_contacts(_standing_clip(), fps=30)
    assert c.shape == (30, 4) and c.dtype == bool
    assert c.all()


def test_foot_contacts_lifted_or_sliding_feet_are_not_in_contact():
    clip = _standing_clip()
    clip[:, [8, 11], 1] += 0.3                                   # right foot lifted 30 cm
    clip[:, [7, 10], 2] += np.arange(30)[:, None] * 0.05          # left foot slides at 1.5 m/s
    c = foot_contacts(clip, fps=30)
    assert not c.any()
    slow = _standing_clip()
    slow[:, [7, 10], 2] += np.arange(30)[:, None] * 0.002         # 6 cm/s creep still counts
    assert foot_contacts(slow, fps=30)[:, :2].all()
    with pytest.raises(ValueError):
        foot_contacts(clip[:, :5], fps=30)


def test_frame_scene_defaults_and_colours():
    j = SMPL22_REST_POSITIONS
    s = FrameScene(joints=j, parents=SMPL22_PARENTS)
    assert s.has_skeleton() and not s.has_body()
    colors = s.resolved_joint_colors()
    assert colors.shape == (22, 3)
    assert colors[1, 2] > colors[1, 0] and colors[2, 0] > colors[2, 2]   # left blue, right red
    np.testing.assert_allclose(s.ground_anchor(), j[0, [0, 2]])


def test_overlay_geometry_shapes():
    j = SMPL22_REST_POSITIONS
    g = overlays.skeleton_mesh(j, SMPL22_PARENTS, np.ones((22, 3), np.float32))
    assert g.positions.shape == g.normals.shape and g.colors.shape == (len(g.positions), 4)
    assert g.indices.max() < len(g.positions)
    grid = overlays.grid_lines(5.0)
    assert np.all(grid.positions[:, 1] == 0) and grid.colors[:, 3].max() <= 1.0
    assert np.all(np.abs(grid.positions[:, [0, 2]]) <= 5.0)
    disc = overlays.contact_discs(np.zeros((4, 2)), [True, False, False, True])
    spans = np.ptp(disc.positions.reshape(4, -1, 3)[..., 0], axis=1)
    assert spans[0] > 0.1 and spans[1] == 0 and spans[3] > 0.1
