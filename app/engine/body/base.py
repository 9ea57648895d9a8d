"""The body-model interface: a skinned mesh driven by SMPL-22 motion clips.

Every body works in the app's world frame (metres, Y up, facing +Z, left = +X,
ground y = 0). A body exposes its own rest SMPL-22 joint layout
(:meth:`BodyModel.skeleton_smpl22`) so clips can be re-targeted onto its
proportions, and poses its mesh from a clip's root translation and local
joint rotations.

Root placement (shared by all bodies, :func:`body_root_trajectory`): the
clip's pelvis trajectory is scaled by the ratio of leg lengths (rest pelvis
height above the lowest foot joint, body / clip), horizontally about the clip's
first frame and vertically about the clip's lowest foot-joint height, which is
mapped onto the body's own foot-joint height above its soles. So a body with
longer legs takes proportionally longer strides, and its soles touch y = 0 at
the moment the clip's feet are lowest (for a clip standing in its rest pose:
always).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.motion import MotionClip
from app.core.skeleton import FOOT_JOINTS, Skeleton, rest_floor_height

FrameSelection = slice | range | None


@dataclass(frozen=True)
class UVLayout:
    """Texture coordinates of a mesh whose UV seams split vertices.

    A renderer builds a seam-split mesh as ``vertices[vertex_index]`` with faces
    ``uv_faces`` and texture coordinates ``uv`` (origin bottom-left, [0, 1]).
    """

    uv: np.ndarray            # [U, 2] float32
    uv_faces: np.ndarray      # [F, 3] int32 indices into uv
    vertex_index: np.ndarray  # [U] int32: mesh vertex of each uv entry


def frame_indices(num_frames: int, frames: FrameSelection) -> np.ndarray:
    """Frame numbers selected by a slice / range / None (all frames)."""
    if frames is None:
        return np.arange(num_frames)
    if isinstance(frames, slice):
        return np.arange(num_frames)[frames]
    idx = np.asarray(list(frames), dtype=np.int64)
    if idx.size and (idx.min() < -num_frames or idx.max() >= num_frames):
        raise IndexError(f"frames {frames} out of range for {num_frames} frames")
    return idx % max(num_frames, 1)


def body_root_trajectory(clip: MotionClip, body_skeleton: Skeleton, body_foot_clearance: float,
                         frames: np.ndarray) -> np.ndarray:
    """World positions [N, 3] of the body's pelvis for the selected clip frames.

    body_skeleton: the body's rest SMPL-22 layout; body_foot_clearance: height of
    the body's lowest foot joint above its soles in that rest pose.
    """
    clip_leg = rest_floor_height(clip.skeleton)
    body_leg = rest_floor_height(body_skeleton)
    scale = body_leg / clip_leg if clip_leg > 1e-6 else 1.0
    joints = clip.joints()
    clip_clearance = float(joints[:, list(FOOT_JOINTS), 1].min()) if clip.num_frames else 0.0
    trans = clip.trans[frames]
    origin = clip.trans[0]
    out = np.empty_like(trans)
    out[:, [0, 2]] = origin[[0, 2]] + scale * (trans[:, [0, 2]] - origin[[0, 2]])
    out[:, 1] = scale * (trans[:, 1] - clip_clearance) + body_foot_clearance
    return out


class BodyModel(ABC):
    """A skinned body mesh in the app's world frame, posed by SMPL-22 motion clips."""

    name: str = "body"

    # --- mesh --------------------------------------------------------
    @property
    @abstractmethod
    def faces(self) -> np.ndarray:
        """Triangles [F, 3] int32 (counter-clockwise seen from outside)."""

    @property
    def num_vertices(self) -> int:
        return int(self.rest_vertices().shape[0])

    def uv(self) -> UVLayout | None:
        """Texture coordinates, if the body has a UV layout."""
        return None

    def texture_path(self) -> Path | None:
        """An image to texture the body with through :meth:`uv`, if one ships."""
        return None

    # --- shape -------------------------------------------------------
    @property
    @abstractmethod
    def phenotype(self) -> dict[str, float]:
        """Current shape parameters (a copy)."""

    @abstractmethod
    def set_phenotype(self, **values: float) -> None:
        """Change shape parameters (unknown names raise ValueError); later poses use them."""

    @abstractmethod
    def rest_vertices(self) -> np.ndarray:
        """Vertices [V, 3] float32 of the zero pose (T-pose, facing +Z, soles on y = 0)."""

    @abstractmethod
    def skeleton_smpl22(self) -> Skeleton:
        """The body's rest SMPL-22 joint layout (T-pose, root at its rest pelvis position)."""

    # --- posing ------------------------------------------------------
    @abstractmethod
    def pose(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        """World vertices [N, V, 3] float32 following the clip's selected frames."""

    @abstractmethod
    def joints_smpl22(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        """The body's own SMPL-22 joint positions [N, 22, 3] for the same frames as :meth:`pose`."""
