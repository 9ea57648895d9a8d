"""Rotation conversions in numpy (batched over leading dims).

Conventions: rotation matrices act on column vectors (v' = R @ v); quaternions
are (w, x, y, z); axis-angle vectors have the angle as their norm.
"""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def axis_angle_to_matrix(aa: np.ndarray) -> np.ndarray:
    """[..., 3] axis-angle -> [..., 3, 3] rotation matrices (Rodrigues)."""
    aa = np.asarray(aa, dtype=np.float64)
    theta = np.linalg.norm(aa, axis=-1, keepdims=True)
    small = theta < 1e-8
    axis = aa / np.where(small, 1.0, theta)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zeros = np.zeros_like(x)
    k = np.stack([zeros, -z, y, z, zeros, -x, -y, x, zeros], axis=-1).reshape(aa.shape[:-1] + (3, 3))
    th = theta[..., None]
    eye = np.broadcast_to(np.eye(3), k.shape)
    r = eye + np.sin(th) * k + (1.0 - np.cos(th)) * (k @ k)
    # first-order expansion for tiny angles keeps it smooth and exact near 0
    kk = _skew(aa)
    r_small = eye + kk
    return np.where(small[..., None], r_small, r)


def _skew(v: np.ndarray) -> np.ndarray:
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    zeros = np.zeros_like(x)
    return np.stack([zeros, -z, y, z, zeros, -x, -y, x, zeros], axis=-1).reshape(v.shape[:-1] + (3, 3))


def matrix_to_quaternion(m: np.ndarray) -> np.ndarray:
    """[..., 3, 3] -> [..., 4] unit quaternions (w, x, y, z) with w >= 0."""
    m = np.asarray(m, dtype=np.float64)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    q_abs = np.sqrt(np.maximum(0.0, np.stack([
        1.0 + m00 + m11 + m22,
        1.0 + m00 - m11 - m22,
        1.0 - m00 + m11 - m22,
        1.0 - m00 - m11 + m22,
    ], axis=-1)))
    m21_m12 = m[..., 2, 1] - m[..., 1, 2]
    m02_m20 = m[..., 0, 2] - m[..., 2, 0]
    m10_m01 = m[..., 1, 0] - m[..., 0, 1]
    m10p01 = m[..., 1, 0] + m[..., 0, 1]
    m02p20 = m[..., 0, 2] + m[..., 2, 0]
    m12p21 = m[..., 1, 2] + m[..., 2, 1]
    cands = np.stack([
        np.stack([q_abs[..., 0] ** 2, m21_m12, m02_m20, m10_m01], -1),
        np.stack([m21_m12, q_abs[..., 1] ** 2, m10p01, m02p20], -1),
        np.stack([m02_m20, m10p01, q_abs[..., 2] ** 2, m12p21], -1),
        np.stack([m10_m01, m02p20, m12p21, q_abs[..., 3] ** 2], -1),
    ], axis=-2)
    denom = 2.0 * np.maximum(q_abs, 0.1)[..., None]
    cands = cands / denom
    best = np.argmax(q_abs, axis=-1)
    q = np.take_along_axis(cands, best[..., None, None].repeat(4, -1), axis=-2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """[..., 4] (w, x, y, z) -> [..., 3, 3]."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), _EPS)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    r = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return r.reshape(q.shape[:-1] + (3, 3))


def quaternion_to_axis_angle(q: np.ndarray) -> np.ndarray:
    """[..., 4] -> [..., 3]; angle in [0, pi]."""
    q = np.asarray(q, dtype=np.float64)
    q = np.where(q[..., :1] < 0, -q, q)
    v = q[..., 1:]
    s = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    scale = np.where(s > 1e-8, angle / np.maximum(s, _EPS), 2.0 / np.maximum(q[..., :1], _EPS))
    return v * scale


def matrix_to_axis_angle(m: np.ndarray) -> np.ndarray:
    """[..., 3, 3] -> [..., 3]."""
    return quaternion_to_axis_angle(matrix_to_quaternion(m))


def euler_to_matrix(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """Intrinsic Euler angles in degrees (BVH channel order, e.g. 'ZXY') -> matrices.

    BVH applies the channels left to right as R = R_first @ R_second @ R_third.
    """
    angles = np.radians(np.asarray(angles_deg, dtype=np.float64))
    out = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for i, axis in enumerate(order.upper()):
        out = out @ axis_rotation(angles[..., i], axis)
    return out


def matrix_to_euler(m: np.ndarray, order: str) -> np.ndarray:
    """Inverse of :func:`euler_to_matrix` for proper (three distinct axes) orders, degrees."""
    order = order.upper()
    idx = {"X": 0, "Y": 1, "Z": 2}
    i, j, k = (idx[a] for a in order)
    m = np.asarray(m, dtype=np.float64)
    # sign of the permutation (i, j, k)
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    mid = np.arcsin(np.clip(sign * m[..., i, k], -1.0, 1.0))
    cos_mid = np.cos(mid)
    regular = np.abs(cos_mid) > 1e-6
    first = np.arctan2(-sign * m[..., j, k], m[..., k, k])
    last = np.arctan2(-sign * m[..., i, j], m[..., i, i])
    # gimbal lock: put everything in the first angle
    first_lock = np.arctan2(sign * m[..., k, j], m[..., j, j])
    first = np.where(regular, first, first_lock)
    last = np.where(regular, last, 0.0)
    return np.degrees(np.stack([first, mid, last], axis=-1))


def axis_rotation(angle_rad: np.ndarray, axis: str) -> np.ndarray:
    """Rotation matrices about one principal axis."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    one, zero = np.ones_like(c), np.zeros_like(c)
    if axis == "X":
        rows = [one, zero, zero, zero, c, -s, zero, s, c]
    elif axis == "Y":
        rows = [c, zero, s, zero, one, zero, -s, zero, c]
    elif axis == "Z":
        rows = [c, -s, zero, s, c, zero, zero, zero, one]
    else:
        raise ValueError(f"unknown axis {axis!r}")
    return np.stack(rows, axis=-1).reshape(np.shape(angle_rad) + (3, 3))


def matrix_to_rot6d(m: np.ndarray) -> np.ndarray:
    """[..., 3, 3] -> [..., 6]: the first two columns (Zhou et al. 2019)."""
    m = np.asarray(m)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def rot6d_to_matrix(d6: np.ndarray) -> np.ndarray:
    """[..., 6] -> [..., 3, 3] by Gram-Schmidt."""
    d6 = np.asarray(d6, dtype=np.float64)
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / np.maximum(np.linalg.norm(a1, axis=-1, keepdims=True), _EPS)
    b2 = a2 - np.sum(b1 * a2, axis=-1, keepdims=True) * b1
    b2 = b2 / np.maximum(np.linalg.norm(b2, axis=-1, keepdims=True), _EPS)
    b3 = np.cross(b1, b2)
    return np.stack([b1, b2, b3], axis=-1)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction(s) a onto b: [..., 3] -> [..., 3, 3]."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), _EPS)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), _EPS)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1, keepdims=True)
    c = np.sum(a * b, axis=-1, keepdims=True)
    angle = np.arctan2(s, c)
    unit = axis / np.maximum(s, _EPS)
    # opposite vectors: rotate pi about any axis orthogonal to a
    opposite = (s < 1e-8) & (c < 0)
    ortho = np.cross(a, np.array([1.0, 0.0, 0.0]))
    ortho = np.where(np.linalg.norm(ortho, axis=-1, keepdims=True) < 1e-6, np.cross(a, np.array([0.0, 1.0, 0.0])), ortho)
    ortho = ortho / np.maximum(np.linalg.norm(ortho, axis=-1, keepdims=True), _EPS)
    unit = np.where(opposite, ortho, unit)
    return axis_angle_to_matrix(unit * angle)


def frame_from_vectors(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Orthonormal frame whose Y axis is `primary` and X axis is `secondary` made orthogonal."""
    y = np.asarray(primary, dtype=np.float64)
    y = y / np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), _EPS)
    x = np.asarray(secondary, dtype=np.float64)
    x = x - np.sum(x * y, axis=-1, keepdims=True) * y
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), _EPS)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def slerp(q0: np.ndarray, q1: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation between quaternions (shortest path)."""
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_t = np.sin(theta)
    t = t[..., None] if t.ndim == q0.ndim - 1 and t.ndim > 0 else t
    w0 = np.where(sin_t > 1e-6, np.sin((1 - t) * theta) / np.maximum(sin_t, _EPS), 1 - t)
    w1 = np.where(sin_t > 1e-6, np.sin(t * theta) / np.maximum(sin_t, _EPS), t)
    q = w0 * q0 + w1 * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)
