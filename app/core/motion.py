"""MotionClip: a body motion on the SMPL-22 skeleton, with labelled time segments.

World convention: metres, Y up, the body faces +Z at frame 0, ground at y = 0.
`trans` is the world position of the root joint (pelvis) per frame; `rotations`
are parent-relative joint rotations as axis-angle vectors (SMPL's `poses`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .rotations import (axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion,
                        quaternion_to_axis_angle, quaternion_to_matrix, slerp)
from .skeleton import SMPL22_NAMES, Skeleton, forward_kinematics, smpl22_skeleton


@dataclass
class Segment:
    """A labelled time span [start, end) in seconds."""

    start: float
    end: float
    text: str
    label: str = ""  # short machine label, e.g. an atomic action name

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end

    def to_dict(self) -> dict:
        return {"start": float(self.start), "end": float(self.end), "text": self.text, "label": self.label}

    @staticmethod
    def from_dict(d: dict) -> "Segment":
        return Segment(float(d["start"]), float(d["end"]), str(d.get("text", "")), str(d.get("label", "")))


@dataclass
class MotionClip:
    """A motion: fps, root translation [T,3], local rotations [T,22,3] (axis-angle)."""

    fps: float
    trans: np.ndarray
    rotations: np.ndarray
    skeleton: Skeleton = field(default_factory=smpl22_skeleton)
    betas: np.ndarray | None = None
    gender: str = "neutral"
    segments: list[Segment] = field(default_factory=list)
    name: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        self.trans = np.asarray(self.trans, dtype=np.float64).reshape(-1, 3)
        self.rotations = np.asarray(self.rotations, dtype=np.float64).reshape(len(self.trans), -1, 3)
        if self.rotations.shape[1] != self.skeleton.num_joints:
            raise ValueError(f"rotations have {self.rotations.shape[1]} joints, skeleton {self.skeleton.num_joints}")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.betas is not None:
            self.betas = np.asarray(self.betas, dtype=np.float64).reshape(-1)
        self._joints_cache: tuple[int, np.ndarray] | None = None

    # --- basic facts -------------------------------------------------
    @property
    def num_frames(self) -> int:
        return int(self.trans.shape[0])

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self.skeleton.names

    def is_smpl22(self) -> bool:
        return self.skeleton.names == SMPL22_NAMES

    def validate(self) -> None:
        """Raise ValueError on empty clips or non-finite values."""
        if self.num_frames == 0:
            raise ValueError("the motion has zero frames")
        if not (np.isfinite(self.trans).all() and np.isfinite(self.rotations).all()):
            raise ValueError("the motion contains NaN or infinite values")

    def segment_at(self, frame: int) -> Segment | None:
        t = frame / self.fps
        for seg in self.segments:
            if seg.contains(t):
                return seg
        return None

    # --- kinematics --------------------------------------------------
    def rotmats(self) -> np.ndarray:
        """Local rotation matrices [T, J, 3, 3]."""
        return axis_angle_to_matrix(self.rotations)

    def global_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """World joint positions [T, J, 3] and world rotations [T, J, 3, 3]."""
        return forward_kinematics(self.rotmats(), self.trans, self.skeleton)

    def joints(self) -> np.ndarray:
        """World joint positions [T, J, 3] in metres (cached until the arrays change)."""
        key = hash((self.trans.tobytes(), self.rotations.tobytes()))
        if self._joints_cache is None or self._joints_cache[0] != key:
            self._joints_cache = (key, self.global_transforms()[0])
        return self._joints_cache[1]

    # --- editing helpers (all return new clips) ----------------------
    def copy(self) -> "MotionClip":
        clip = copy.deepcopy(self)
        clip._joints_cache = None
        return clip

    def slice(self, start: int, stop: int) -> "MotionClip":
        """Frames [start, stop); segments are clipped and shifted."""
        start, stop = max(0, start), min(self.num_frames, stop)
        t0, t1 = start / self.fps, stop / self.fps
        segs = [Segment(max(s.start, t0) - t0, min(s.end, t1) - t0, s.text, s.label)
                for s in self.segments if s.end > t0 and s.start < t1]
        return MotionClip(self.fps, self.trans[start:stop].copy(), self.rotations[start:stop].copy(),
                          self.skeleton, None if self.betas is None else self.betas.copy(), self.gender,
                          segs, self.name, self.text)

    def resample(self, fps: float) -> "MotionClip":
        """Resample to another frame rate (linear translation, slerp rotations)."""
        if abs(fps - self.fps) < 1e-9 or self.num_frames < 2:
            out = self.copy()
            out.fps = float(fps)
            return out
        n_out = max(1, int(round((self.num_frames - 1) * fps / self.fps)) + 1)
        src_t = np.arange(n_out) * self.fps / fps
        i0 = np.clip(np.floor(src_t).astype(int), 0, self.num_frames - 1)
        i1 = np.clip(i0 + 1, 0, self.num_frames - 1)
        w = (src_t - i0)[:, None]
        trans = self.trans[i0] * (1 - w) + self.trans[i1] * w
        q = matrix_to_quaternion(self.rotmats())
        qi = slerp(q[i0], q[i1], np.broadcast_to(w[:, None, :], q[i0].shape[:-1] + (1,)))
        rots = quaternion_to_axis_angle(qi)
        return MotionClip(float(fps), trans, rots, self.skeleton,
                          None if self.betas is None else self.betas.copy(), self.gender,
                          [copy.copy(s) for s in self.segments], self.name, self.text)

    def rotated_about_y(self, angle_rad: float) -> "MotionClip":
        """Rotate the whole motion about the world Y axis through the origin."""
        c, s = np.cos(angle_rad), np.sin(angle_rad)
        ry = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        out = self.copy()
        out.trans = self.trans @ ry.T
        root = axis_angle_to_matrix(self.rotations[:, 0])
        out.rotations[:, 0] = matrix_to_axis_angle(ry @ root)
        return out

    def facing_angle(self, frame: int = 0) -> float:
        """Heading of the body (angle of its forward direction from +Z about +Y), radians."""
        j = self.joints()[frame]
        names = self.skeleton.names
        if "left_hip" in names and "right_hip" in names:
            across = j[names.index("left_hip")] - j[names.index("right_hip")]
        else:
            across = quaternion_to_matrix(matrix_to_quaternion(axis_angle_to_matrix(self.rotations[frame, 0])))[:, 0]
        forward = np.cross(across, np.array([0.0, 1.0, 0.0]))  # left x up = forward
        return float(np.arctan2(forward[0], forward[2]))

    def face_forward(self, frame: int = 0) -> "MotionClip":
        """Rotate about Y through the root's start position so the body faces +Z at `frame`."""
        out = self.rotated_about_y(-self.facing_angle(frame))
        return out

    def on_ground(self) -> "MotionClip":
        """Shift vertically so the lowest joint over the clip touches y = 0 (skin thickness ignored)."""
        out = self.copy()
        out.trans[:, 1] -= self.joints()[..., 1].min()
        return out

    def info(self) -> dict:
        """A short summary for `main.py info` and the status bar."""
        j = self.joints()
        return {
            "name": self.name, "frames": self.num_frames, "fps": self.fps,
            "duration_s": round(self.duration, 3), "joints": self.skeleton.num_joints,
            "skeleton": "SMPL-22" if self.is_smpl22() else "custom",
            "height_range_m": [round(float(j[..., 1].min()), 3), round(float(j[..., 1].max()), 3)],
            "root_travel_m": round(float(np.linalg.norm(self.trans[-1] - self.trans[0])), 3),
            "segments": [s.to_dict() for s in self.segments], "text": self.text,
        }


def rest_clip(num_frames: int = 1, fps: float = 30.0, skeleton: Skeleton | None = None) -> MotionClip:
    """A clip standing in the rest pose with feet on the ground."""
    skel = skeleton or smpl22_skeleton()
    rots = np.zeros((num_frames, skel.num_joints, 3))
    trans = np.zeros((num_frames, 3))
    clip = MotionClip(fps, trans, rots, skel)
    return clip.on_ground()
