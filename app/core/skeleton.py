"""Skeletons: the SMPL 22-joint body skeleton and generic kinematic trees.

The SMPL-22 rest pose is SMPL's T-pose (arms out along X, facing +Z, Y up),
with joint positions close to SMPL's neutral template; distances are metres.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SMPL22_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee",
    "spine2", "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot",
    "neck", "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
SMPL22_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

# Rest-pose joint positions (metres) of SMPL's neutral template, pelvis-relative layout kept.
SMPL22_REST_POSITIONS = np.array([
    [-0.0018, -0.2233, 0.0282], [0.0677, -0.3147, 0.0214], [-0.0695, -0.3139, 0.0239],
    [-0.0043, -0.1144, 0.0015], [0.1020, -0.6899, 0.0169], [-0.1078, -0.6964, 0.0150],
    [0.0012, 0.0208, 0.0026], [0.0885, -1.0878, -0.0267], [-0.0920, -1.0948, -0.0272],
    [0.0026, 0.0737, 0.0280], [0.1148, -1.1437, 0.0925], [-0.1174, -1.1430, 0.0961],
    [-0.0002, 0.2876, -0.0148], [0.0815, 0.1955, -0.0060], [-0.0791, 0.1926, -0.0105],
    [0.0049, 0.3530, 0.0365], [0.1724, 0.2260, -0.0149], [-0.1752, 0.2251, -0.0197],
    [0.4320, 0.2132, -0.0424], [-0.4289, 0.2118, -0.0411], [0.6813, 0.2222, -0.0435],
    [-0.6842, 0.2196, -0.0469],
], dtype=np.float64)

# Left/right joint pairs (for mirroring and symmetry checks).
SMPL22_MIRROR: tuple[int, ...] = tuple(
    SMPL22_NAMES.index(n.replace("left_", "TMP_").replace("right_", "left_").replace("TMP_", "right_"))
    for n in SMPL22_NAMES
)
FOOT_JOINTS = (7, 10, 8, 11)  # left ankle, left toe, right ankle, right toe


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: joint names, parent indices and rest offsets from each parent."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray = field(repr=False)  # [J, 3]; offsets[0] is the root's rest position

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64)
        if offsets.shape != (len(self.names), 3) or len(self.parents) != len(self.names):
            raise ValueError("skeleton names, parents and offsets disagree in length")
        for j, p in enumerate(self.parents):
            if p >= j:
                raise ValueError("parents must precede children")
        object.__setattr__(self, "offsets", offsets)

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def rest_positions(self) -> np.ndarray:
        """Joint positions of the rest pose, [J, 3]."""
        pos = np.zeros((self.num_joints, 3))
        for j, p in enumerate(self.parents):
            pos[j] = self.offsets[j] if p < 0 else pos[p] + self.offsets[j]
        return pos

    def children(self, j: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == j]

    def bone_lengths(self) -> np.ndarray:
        lengths = np.linalg.norm(self.offsets, axis=-1)
        lengths[0] = 0.0
        return lengths

    def scaled(self, factor: float) -> "Skeleton":
        return Skeleton(self.names, self.parents, self.offsets * factor)


def offsets_from_positions(positions: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """Rest offsets from rest joint positions."""
    positions = np.asarray(positions, dtype=np.float64)
    offs = positions.copy()
    for j, p in enumerate(parents):
        if p >= 0:
            offs[j] = positions[j] - positions[p]
    return offs


def smpl22_skeleton() -> Skeleton:
    """The default SMPL-22 skeleton (neutral body, T-pose)."""
    return Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets_from_positions(SMPL22_REST_POSITIONS, SMPL22_PARENTS))


def rest_floor_height(skeleton: Skeleton) -> float:
    """Distance from the root joint down to the lowest foot joint in the rest pose."""
    rest = skeleton.rest_positions()
    return float(rest[0, 1] - rest[list(FOOT_JOINTS), 1].min())


def forward_kinematics(
    local_rotmats: np.ndarray, root_positions: np.ndarray, skeleton: Skeleton
) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions [T, J, 3] and global rotations [T, J, 3, 3].

    local_rotmats: [T, J, 3, 3] rotations relative to the parent joint.
    root_positions: [T, 3] world position of the root joint.
    """
    local_rotmats = np.asarray(local_rotmats, dtype=np.float64)
    t, j = local_rotmats.shape[:2]
    glob_r = np.empty_like(local_rotmats)
    glob_p = np.empty((t, j, 3))
    for k, p in enumerate(skeleton.parents):
        if p < 0:
            glob_r[:, k] = local_rotmats[:, k]
            glob_p[:, k] = root_positions
        else:
            glob_r[:, k] = glob_r[:, p] @ local_rotmats[:, k]
            glob_p[:, k] = glob_p[:, p] + np.einsum("tij,j->ti", glob_r[:, p], skeleton.offsets[k])
    return glob_p, glob_r


def global_to_local(global_rotmats: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """Global rotations [..., J, 3, 3] to parent-relative rotations."""
    local = np.array(global_rotmats, dtype=np.float64, copy=True)
    for k, p in enumerate(parents):
        if p >= 0:
            local[..., k, :, :] = np.swapaxes(global_rotmats[..., p, :, :], -1, -2) @ global_rotmats[..., k, :, :]
    return local
