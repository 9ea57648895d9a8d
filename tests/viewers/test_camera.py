"""Camera maths: projection, intrinsics, view matrices, orbit controls and framing presets."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.skeleton import SMPL22_REST_POSITIONS
from app.viewers.camera import Camera, OrbitCamera, follow, preset


@pytest.fixture
def joints() -> np.ndarray:
    j = SMPL22_REST_POSITIONS.copy()
    j[:, 1] -= j[:, 1].min()
    return j


def test_project_known_points():
    cam = Camera(eye=(0.0, 0.0, 5.0), target=(0.0, 0.0, 0.0), fov_y_deg=90.0)
    uv, depth = cam.project(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), 101, 101)
    f = 50.5  # (H / 2) / tan(45 deg)
    np.testing.assert_allclose(uv[0], [50.0, 50.0], atol=1e-9)
    np.testing.assert_allclose(uv[1], [50.0 + f / 5.0, 50.0], atol=1e-9)
    np.testing.assert_allclose(uv[2], [50.0, 50.0 - f / 5.0], atol=1e-9)  # +Y is up: smaller row
    np.testing.assert_allclose(depth, [5.0, 5.0, 5.0])
    uv_behind, depth_behind = cam.project(np.array([0.0, 0.0, 6.0]), 101, 101)
    assert depth_behind < 0 and np.all(np.isnan(uv_behind))


def test_intrinsics_match_projection_matrix():
    cam = Camera(eye=(0.3, 1.4, 3.0), target=(0.1, 0.9, -0.2), fov_y_deg=37.0)
    w, h = 320, 200
    pts = np.array([[0.2, 1.1, 0.1], [-0.4, 0.5, 0.3], [0.5, 1.6, -0.5]])
    k = cam.intrinsics(w, h)
    assert k.shape == (3, 3) and k[0, 0] == pytest.approx(k[1, 1])
    assert k[0, 2] == pytest.approx((w - 1) / 2) and k[1, 2] == pytest.approx((h - 1) / 2)
    clip = (cam.projection_matrix(w / h) @ cam.view_matrix() @ np.c_[pts, np.ones(3)].T).T
    ndc = clip[:, :3] / clip[:, 3:]
    u = (ndc[:, 0] + 1) * w / 2 - 0.5
    v = (1 - ndc[:, 1]) * h / 2 - 0.5
    uv, depth = cam.project(pts, w, h)
    np.testing.assert_allclose(uv, np.c_[u, v], atol=1e-6)
    cv = (cam.world_to_camera_cv() @ np.c_[pts, np.ones(3)].T).T
    np.testing.assert_allclose(cv[:, 2], depth)
    np.testing.assert_allclose((k @ cv[:, :3].T).T[:, :2] / depth[:, None], uv, atol=1e-6)


def test_view_matrix_puts_eye_at_origin_and_target_ahead():
    cam = Camera(eye=(1.0, 2.0, 3.0), target=(0.0, 1.0, 0.0))
    view = cam.view_matrix()
    np.testing.assert_allclose(view @ [1.0, 2.0, 3.0, 1.0], [0, 0, 0, 1], atol=1e-12)
    ahead = view @ [0.0, 1.0, 0.0, 1.0]
    assert ahead[2] < 0 and abs(ahead[0]) < 1e-12 and abs(ahead[1]) < 1e-12
    np.testing.assert_allclose(cam.camera_to_world() @ view, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(view[:3, :3] @ view[:3, :3].T, np.eye(3), atol=1e-12)


def test_straight_down_camera_is_well_defined():
    cam = Camera(eye=(0.0, 5.0, 0.0), target=(0.0, 0.0, 0.0))
    view = cam.view_matrix()
    assert np.all(np.isfinite(view))
    np.testing.assert_allclose(view[:3, :3] @ view[:3, :3].T, np.eye(3), atol=1e-9)


def test_orbit_pitch_clamped_and_yaw_moves_toward_plus_x():
    orbit = OrbitCamera(target=(0.0, 1.0, 0.0), yaw=0.0, pitch=0.0, distance=3.0)
    np.testing.assert_allclose(orbit.eye(), [0.0, 1.0, 3.0], atol=1e-12)
    orbit.orbit(90.0, 0.0)
    np.testing.assert_allclose(orbit.eye(), [3.0, 1.0, 0.0], atol=1e-9)
    orbit.orbit(0.0, 500.0)
    assert orbit.pitch == pytest.approx(89.0)
    orbit.orbit(0.0, -1000.0)
    assert orbit.pitch == pytest.approx(-89.0)


def test_pan_moves_target_in_view_plane_and_zoom_scales_distance():
    orbit = OrbitCamera(target=(0.0, 1.0, 0.0), yaw=30.0, pitch=20.0, distance=4.0)
    eye0, t0 = orbit.eye(), np.asarray(orbit.target)
    forward = orbit.to_camera().basis()[2]
    orbit.pan(0.5, -0.25)
    shift = np.asarray(orbit.target) - t0
    assert np.linalg.norm(shift) == pytest.approx(math.hypot(0.5, 0.25))
    assert abs(shift @ forward) < 1e-9
    np.testing.assert_allclose(orbit.eye() - eye0, shift, atol=1e-9)
    orbit.zoom(2.0)
    assert orbit.distance == pytest.approx(2.0)
    orbit.zoom(1e-6)
    assert orbit.distance == orbit.max_distance
    with pytest.raises(ValueError):
        orbit.zoom(0.0)


def test_presets_look_from_the_right_side(joints):
    front, side, top = preset("front", joints), preset("side", joints), preset("top", joints)
    assert front.eye()[2] > front.target[2] + 1.0          # in front of the face (+Z)
    assert side.eye()[0] > side.target[0] + 1.0            # from the body's left (+X)
    assert top.eye()[1] > top.target[1] + 1.0              # from above
    assert abs(front.eye()[0] - front.target[0]) < 1e-9
    with pytest.raises(ValueError):
        preset("back-flip", joints)


@pytest.mark.parametrize("name", ["front", "side", "top", "follow"])
def test_presets_frame_the_whole_body(joints, name):
    w, h = 320, 180
    cam = preset(name, joints, aspect=w / h).to_camera()
    uv, depth = cam.project(joints, w, h)
    assert np.all(depth > 0)
    assert np.all((uv[:, 0] > 0) & (uv[:, 0] < w - 1) & (uv[:, 1] > 0) & (uv[:, 1] < h - 1))
    # framed, not lost in the distance: the body spans a good part of the image
    span = max((uv[:, 0].max() - uv[:, 0].min()) / w, (uv[:, 1].max() - uv[:, 1].min()) / h)
    assert span > 0.4


def test_follow_tracks_pelvis_on_the_ground_plane(joints):
    clip = np.stack([joints + [0.0, 0.0, 0.5 * t] for t in range(10)])  # walks toward +Z
    orbit = preset("follow", clip)
    assert orbit.eye()[2] > orbit.target[2]
    moved = follow(orbit, clip[9, 0])
    assert moved.target[0] == pytest.approx(clip[9, 0, 0]) and moved.target[2] == pytest.approx(clip[9, 0, 2])
    assert moved.target[1] == pytest.approx(orbit.target[1])     # no vertical bobbing by default
    assert moved.distance == orbit.distance and moved.yaw == orbit.yaw
    assert orbit.target != moved.target                          # the original is untouched
    # the follow preset frames one body, not the whole 4.5 m walk
    assert orbit.distance < preset("front", clip).distance
