"""Cameras: a look-at pinhole camera, an orbit camera for the viewport, and framing presets.

Conventions (world: metres, Y up, the body faces +Z):

* :meth:`Camera.view_matrix` / :meth:`Camera.world_to_camera` use the OpenGL
  camera frame (x right, y up, looking down -z); :meth:`Camera.world_to_camera_cv`
  the OpenCV frame (x right, y down, z forward).
* Pixel coordinates follow OpenCV: the centre of pixel (column i, row j) is at
  (i, j), rows grow downward, so ``K = [[f, 0, (W-1)/2], [0, f, (H-1)/2], [0, 0, 1]]``
  and ``np.round(uv)`` indexes the rendered image. Depth is the distance along the
  viewing axis (what :meth:`MeshRenderer.render_with_depth` returns).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

_CV_FROM_GL = np.diag([1.0, -1.0, -1.0, 1.0])
PITCH_LIMIT_DEG = 89.0
PRESETS = ("front", "side", "top", "follow")


def _normalize(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


@dataclass
class Camera:
    """A perspective look-at camera; ``fov_y_deg`` is the full vertical field of view."""

    eye: tuple[float, float, float] = (0.0, 1.0, 4.0)
    target: tuple[float, float, float] = (0.0, 1.0, 0.0)
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)
    fov_y_deg: float = 40.0
    znear: float = 0.05
    zfar: float = 200.0

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World-space (right, up, forward) unit vectors of the camera."""
        eye, target = np.asarray(self.eye, float), np.asarray(self.target, float)
        forward = _normalize(target - eye)
        up = np.asarray(self.up, float)
        right = np.cross(forward, up)
        if np.linalg.norm(right) < 1e-9:  # looking along `up`: pick any perpendicular
            right = np.cross(forward, np.array([0.0, 0.0, -1.0]) if abs(forward[2]) < 0.9
                             else np.array([1.0, 0.0, 0.0]))
        right = _normalize(right)
        true_up = np.cross(right, forward)
        return right, true_up, forward

    def view_matrix(self) -> np.ndarray:
        """4x4 world -> OpenGL camera (x right, y up, -z forward)."""
        right, up, forward = self.basis()
        eye = np.asarray(self.eye, float)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = right, up, -forward
        m[:3, 3] = -m[:3, :3] @ eye
        return m

    world_to_camera = view_matrix

    def camera_to_world(self) -> np.ndarray:
        """4x4 pose of the OpenGL camera in the world (pyrender's camera node pose)."""
        right, up, forward = self.basis()
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, -forward, np.asarray(self.eye, float)
        return m

    def world_to_camera_cv(self) -> np.ndarray:
        """4x4 world -> OpenCV camera (x right, y down, z forward)."""
        return _CV_FROM_GL @ self.view_matrix()

    def focal_px(self, height: int) -> float:
        return 0.5 * height / math.tan(math.radians(self.fov_y_deg) / 2.0)

    def intrinsics(self, width: int, height: int) -> np.ndarray:
        """3x3 pinhole K (square pixels, OpenCV pixel-centre convention)."""
        f = self.focal_px(height)
        return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])

    def projection_matrix(self, aspect: float) -> np.ndarray:
        """4x4 OpenGL perspective projection (aspect = width / height)."""
        t = 1.0 / math.tan(math.radians(self.fov_y_deg) / 2.0)
        n, f = self.znear, self.zfar
        p = np.zeros((4, 4))
        p[0, 0], p[1, 1] = t / aspect, t
        p[2, 2], p[2, 3] = (f + n) / (n - f), 2.0 * f * n / (n - f)
        p[3, 2] = -1.0
        return p

    def project(self, points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Project world points [..., 3] to pixels [..., 2] (OpenCV convention) and depth [...].

        Depth is positive in front of the camera; points behind it get NaN pixels.
        """
        pts = np.asarray(points, dtype=np.float64)
        cam = pts @ self.world_to_camera_cv()[:3, :3].T + self.world_to_camera_cv()[:3, 3]
        depth = cam[..., 2]
        k = self.intrinsics(width, height)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = k[0, 0] * cam[..., 0] / depth + k[0, 2]
            v = k[1, 1] * cam[..., 1] / depth + k[1, 2]
        uv = np.stack([u, v], axis=-1)
        uv[depth <= 0] = np.nan
        return uv, depth


@dataclass
class OrbitCamera:
    """A camera orbiting ``target``: yaw 0 / pitch 0 puts the eye at +Z (in front of the body).

    Positive yaw moves the eye toward +X (the body's left), positive pitch raises it.
    """

    target: tuple[float, float, float] = (0.0, 0.9, 0.0)
    yaw: float = 0.0
    pitch: float = 10.0
    distance: float = 4.0
    fov_y_deg: float = 40.0
    znear: float = 0.05
    zfar: float = 200.0
    min_distance: float = 0.2
    max_distance: float = 500.0

    def __post_init__(self) -> None:
        self.target = tuple(float(x) for x in self.target)
        self.pitch = float(np.clip(self.pitch, -PITCH_LIMIT_DEG, PITCH_LIMIT_DEG))
        self.distance = float(np.clip(self.distance, self.min_distance, self.max_distance))

    def direction(self) -> np.ndarray:
        """Unit vector from the target to the eye."""
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        return np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), math.cos(pitch) * math.cos(yaw)])

    def eye(self) -> np.ndarray:
        return np.asarray(self.target, float) + self.distance * self.direction()

    def orbit(self, dx_deg: float, dy_deg: float) -> None:
        """Rotate around the target: yaw by ``dx_deg``, pitch by ``dy_deg`` (clamped to ±89°)."""
        self.yaw = (self.yaw + dx_deg + 180.0) % 360.0 - 180.0
        self.pitch = float(np.clip(self.pitch + dy_deg, -PITCH_LIMIT_DEG, PITCH_LIMIT_DEG))

    def pan(self, dx: float, dy: float) -> None:
        """Move the target (and the eye with it) by ``dx`` metres right and ``dy`` metres up in the view plane."""
        right, up, _ = self.to_camera().basis()
        self.target = tuple(float(x) for x in np.asarray(self.target) + dx * right + dy * up)

    def zoom(self, factor: float) -> None:
        """Zoom in by ``factor`` (> 1 moves closer, < 1 farther); distance stays in its limits."""
        if factor <= 0:
            raise ValueError("zoom factor must be positive")
        self.distance = float(np.clip(self.distance / factor, self.min_distance, self.max_distance))

    def to_camera(self) -> Camera:
        return Camera(eye=tuple(self.eye()), target=self.target, up=(0.0, 1.0, 0.0),
                      fov_y_deg=self.fov_y_deg, znear=self.znear, zfar=self.zfar)


def _bounds(bounds_or_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pts = np.asarray(bounds_or_points, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        raise ValueError("no finite points to frame")
    return pts.min(axis=0), pts.max(axis=0)


def frame_distance(lo: np.ndarray, hi: np.ndarray, orbit: OrbitCamera, aspect: float, margin: float) -> float:
    """Distance at which the box [lo, hi] fits the view of ``orbit`` (keeping its angles) with ``margin``."""
    centre = (lo + hi) / 2.0
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    probe = replace(orbit, target=tuple(centre), distance=1.0)
    right, up, forward = probe.to_camera().basis()
    rel = corners - centre
    tan_y = math.tan(math.radians(orbit.fov_y_deg) / 2.0)
    need_y = np.abs(rel @ up).max() / tan_y
    need_x = np.abs(rel @ right).max() / (tan_y * aspect)
    depth = np.abs(rel @ forward).max()
    return float(max(need_x, need_y) * margin + depth)


def preset(name: str, bounds_or_joints: np.ndarray, *, aspect: float = 16 / 9, margin: float = 1.15,
           fov_y_deg: float = 40.0, padding: float = 0.12) -> OrbitCamera:
    """An :class:`OrbitCamera` framing the body from a named viewpoint.

    ``bounds_or_joints``: any array of points [..., 3] (joints [J,3], a clip's joints
    [T,J,3], vertices, or bounds [[min], [max]]). ``front`` looks at the face (eye at
    +Z), ``side`` from the body's left (+X), ``top`` from above; ``follow`` is a front
    view framing a single frame's extent around the pelvis (the first point of each
    frame when joints are given); move it along with :func:`follow`.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown camera preset {name!r}; expected one of {', '.join(PRESETS)}")
    pts = np.asarray(bounds_or_joints, dtype=np.float64)
    if name == "follow" and pts.ndim == 3:
        rel = pts - pts[:, :1, :]  # frame-relative extents around each frame's pelvis
        lo, hi = _bounds(rel)
        lo, hi = lo + pts[0, 0], hi + pts[0, 0]
    else:
        lo, hi = _bounds(pts)
    lo, hi = lo - padding, hi + padding
    centre = (lo + hi) / 2.0
    yaw, pitch = {"front": (0.0, 10.0), "follow": (0.0, 10.0), "side": (90.0, 10.0), "top": (0.0, 89.0)}[name]
    orbit = OrbitCamera(target=tuple(centre), yaw=yaw, pitch=pitch, fov_y_deg=fov_y_deg)
    orbit.distance = float(np.clip(frame_distance(lo, hi, orbit, aspect, margin),
                                   orbit.min_distance, orbit.max_distance))
    return orbit


def follow(orbit: OrbitCamera, pelvis_position: np.ndarray, *, follow_height: bool = False) -> OrbitCamera:
    """A copy of ``orbit`` whose target tracks the pelvis on the ground plane (x, z; y too if asked)."""
    p = np.asarray(pelvis_position, dtype=np.float64).reshape(3)
    t = np.asarray(orbit.target, dtype=np.float64)
    new_target = (p[0], p[1] if follow_height else t[1], p[2])
    return replace(orbit, target=tuple(float(x) for x in new_target))
