"""Rotation conversions: Euler (all orders), axis-angle, 6D, quaternions, slerp."""
from __future__ import annotations

import numpy as np
import pytest

from app.core import rotations as R


def _random_rotmats(rng, n=50):
    return R.axis_angle_to_matrix(rng.normal(size=(n, 3)))


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_round_trip_all_orders(order, rng):
    m = _random_rotmats(rng)
    eul = R.matrix_to_euler(m, order)
    np.testing.assert_allclose(R.euler_to_matrix(eul, order), m, atol=1e-9)


def test_euler_matches_bvh_channel_convention():
    m = R.euler_to_matrix(np.array([30.0, 40.0, 50.0]), "ZXY")
    expect = R.axis_rotation(np.radians(30), "Z") @ R.axis_rotation(np.radians(40), "X") @ R.axis_rotation(np.radians(50), "Y")
    np.testing.assert_allclose(m, expect, atol=1e-12)


def test_axis_angle_quaternion_and_6d_round_trips(rng):
    aa = rng.normal(size=(100, 3))
    aa *= (np.minimum(np.linalg.norm(aa, axis=-1), 3.0) / np.linalg.norm(aa, axis=-1))[:, None]
    m = R.axis_angle_to_matrix(aa)
    np.testing.assert_allclose(R.matrix_to_axis_angle(m), aa, atol=1e-8)
    np.testing.assert_allclose(R.quaternion_to_matrix(R.matrix_to_quaternion(m)), m, atol=1e-9)
    np.testing.assert_allclose(R.rot6d_to_matrix(R.matrix_to_rot6d(m)), m, atol=1e-9)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-9)


def test_small_and_zero_angles():
    aa = np.array([[0.0, 0.0, 0.0], [1e-10, 0.0, 0.0]])
    np.testing.assert_allclose(R.axis_angle_to_matrix(aa)[0], np.eye(3))
    np.testing.assert_allclose(R.matrix_to_axis_angle(R.axis_angle_to_matrix(aa)), aa, atol=1e-12)


def test_slerp_endpoints_and_midpoint():
    q0 = R.matrix_to_quaternion(np.eye(3))
    q1 = R.matrix_to_quaternion(R.axis_rotation(np.array(np.pi / 2), "Y"))
    np.testing.assert_allclose(R.slerp(q0, q1, 0.0), q0, atol=1e-12)
    np.testing.assert_allclose(R.slerp(q0, q1, 1.0), q1, atol=1e-12)
    mid = R.quaternion_to_axis_angle(R.slerp(q0, q1, 0.5))
    np.testing.assert_allclose(mid, [0.0, np.pi / 4, 0.0], atol=1e-9)


def test_rotation_between_and_frames(rng):
    a, b = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    m = R.rotation_between(a, b)
    got = np.einsum("nij,nj->ni", m, a / np.linalg.norm(a, axis=-1, keepdims=True))
    np.testing.assert_allclose(got, b / np.linalg.norm(b, axis=-1, keepdims=True), atol=1e-9)
    opp = R.rotation_between(np.array([0.0, 1.0, 0.0]), np.array([0.0, -1.0, 0.0]))
    np.testing.assert_allclose(opp @ [0, 1, 0], [0, -1, 0], atol=1e-9)
    f = R.frame_from_vectors(np.array([0.0, 2.0, 0.0]), np.array([1.0, 0.5, 0.0]))
    np.testing.assert_allclose(f, np.eye(3), atol=1e-12)
