"""AnnyBody: the Anny parametric body (Apache-2.0, NAVER) driven by SMPL-22 motion.

Anny's rig has 104 bones, is Z up, faces -Y (its left is +X) and rests in an
A-pose. All of that is handled here, in one place:

* Frame: ``A_ANNY_TO_WORLD`` maps Anny coordinates to ours (x, y, z) -> (x, z, -y).
* Driving: each SMPL-22 joint drives a group of Anny bones (``JOINT_BONES``). A bone
  listed with cumulative fraction f gets world rotation ``G_parent(j) @ exp(f * aa_j)``
  (so the 2 lower spine bones share spine1's bend and the 3 neck bones share the
  neck's); every other bone (twist bones, fingers, toes, eyes, shoulder01, spine05,
  pelvis.L/R) follows its nearest driven ancestor rigidly.
* Rest alignment: per driven group a world rotation ``C_j`` turns the A-pose into
  SMPL's T-pose. Thighs, shins, upper arms and forearms are aligned hierarchically
  (smallest rotation, after the parent's correction) to the SMPL-22 rest bone
  directions; hands inherit the forearm's; pelvis, spine, neck, head, collars and
  feet keep Anny's own rest orientation (so soles stay flat and shoulders relaxed).
  Bone b then gets world orientation ``G_b @ C_b @ R_b`` (Anny's 'world-orient'
  pose parameterization), so a zero pose is a T-pose facing +Z, and each limb's
  direction equals the clip's exactly.
* Root: see :func:`app.engine.body.base.body_root_trajectory` (leg-length scaling).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.core.motion import MotionClip
from app.core.rotations import axis_angle_to_matrix, rotation_between
from app.core.skeleton import (FOOT_JOINTS, SMPL22_NAMES, SMPL22_PARENTS, Skeleton,
                               offsets_from_positions, smpl22_skeleton)
from app.engine.body.base import BodyModel, FrameSelection, UVLayout, body_root_trajectory, frame_indices

log = logging.getLogger(__name__)

A_ANNY_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
PHENOTYPE_NAMES = ("gender", "age", "muscle", "weight", "height", "proportions")
CHUNK_FRAMES = 96


def _sided(side: str, groups: dict[str, tuple[tuple[str, float], ...]]) -> dict:
    letter = "L" if side == "left" else "R"
    return {f"{side}_{j}": tuple((f"{b}.{letter}", f) for b, f in bones) for j, bones in groups.items()}


_LIMB_GROUPS = {
    "hip": (("upperleg01", 1.0),), "knee": (("lowerleg01", 1.0),), "ankle": (("foot", 1.0),),
    "foot": tuple((f"toe{k}-1", 1.0) for k in (3, 1, 2, 4, 5)),
    "collar": (("clavicle", 1.0),), "shoulder": (("upperarm01", 1.0),),
    "elbow": (("lowerarm01", 1.0),), "wrist": (("wrist", 1.0),),
}
# SMPL-22 joint -> (Anny bone, cumulative share of the joint's local rotation); the
# first bone's head is the joint's position on the Anny body.
JOINT_BONES: dict[str, tuple[tuple[str, float], ...]] = {
    "pelvis": (("root", 1.0),),
    "spine1": (("spine04", 0.5), ("spine03", 1.0)),
    "spine2": (("spine02", 1.0),),
    "spine3": (("spine01", 1.0),),
    "neck": (("neck01", 1 / 3), ("neck02", 2 / 3), ("neck03", 1.0)),
    "head": (("head", 1.0),),
    **_sided("left", _LIMB_GROUPS), **_sided("right", _LIMB_GROUPS),
}
ALIGNED_JOINTS = tuple(f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "shoulder", "elbow"))
INHERITING_JOINTS = ("left_wrist", "right_wrist")


@dataclass
class _RestState:
    """Everything that depends on the phenotype (rebuilt when it changes)."""

    rest_vertices: torch.Tensor    # [1, V, 3] Anny frame
    rest_bone_poses: torch.Tensor  # [1, B, 4, 4] Anny frame
    rot_a: torch.Tensor            # [B, 3, 3] A @ R_b
    corr: np.ndarray               # [B, 3, 3] world-frame rest correction C_b
    root_head: torch.Tensor        # [3] Anny frame
    skeleton: Skeleton             # rest SMPL-22 layout, world frame, soles on y = 0
    foot_clearance: float          # lowest foot joint above the soles, rest pose
    tpose_vertices: np.ndarray     # [V, 3] float32 world


class AnnyBody(BodyModel):
    """The Anny body posed from SMPL-22 clips; phenotype sliders change it live."""

    name = "anny"

    def __init__(self, model: Any, phenotype: dict[str, float] | None = None) -> None:
        self.model = model
        self.device = model.device
        self.dtype = model.dtype
        labels = list(model.bone_labels)
        self._bone_index = {b: i for i, b in enumerate(labels)}
        self._parents = [int(p) for p in model.bone_parents]
        self._joint_bone = np.array([self._bone_index[JOINT_BONES[n][0][0]] for n in SMPL22_NAMES])
        self._assign_drivers()
        self._faces = model.faces.detach().cpu().numpy().astype(np.int32)
        self._phenotype = {k: 0.5 for k in PHENOTYPE_NAMES}
        self._lock = threading.RLock()
        self._state: _RestState | None = None
        self._a_t = torch.as_tensor(A_ANNY_TO_WORLD, dtype=self.dtype, device=self.device)
        if phenotype:
            self.set_phenotype(**phenotype)

    def _assign_drivers(self) -> None:
        """Per Anny bone: driving SMPL joint and cumulative rotation share (followers copy their ancestor's)."""
        n = len(self._parents)
        joint = np.full(n, -1)
        share = np.ones(n)
        for j, name in enumerate(SMPL22_NAMES):
            for bone, f in JOINT_BONES[name]:
                joint[self._bone_index[bone]], share[self._bone_index[bone]] = j, f
        for b in range(n):  # parents precede children in Anny's bone order
            if joint[b] < 0:
                p = self._parents[b]
                joint[b], share[b] = (joint[p], share[p]) if p >= 0 else (0, 1.0)
        keys = sorted({(int(j), float(f)) for j, f in zip(joint, share)})
        self._driver_keys = keys
        self._bone_driver = np.array([keys.index((int(j), float(f))) for j, f in zip(joint, share)])
        self._bone_joint = joint

    # --- mesh and shape ------------------------------------------------
    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def phenotype(self) -> dict[str, float]:
        return dict(self._phenotype)

    def set_phenotype(self, **values: float) -> None:
        unknown = set(values) - set(PHENOTYPE_NAMES)
        if unknown:
            raise ValueError(f"unknown phenotype {sorted(unknown)}; known: {', '.join(PHENOTYPE_NAMES)}")
        clean = {}
        for k, v in values.items():
            v = float(v)
            if not np.isfinite(v):
                raise ValueError(f"phenotype {k} must be finite, got {v}")
            clean[k] = min(1.0, max(0.0, v))
        with self._lock:
            if any(self._phenotype[k] != v for k, v in clean.items()):
                self._phenotype.update(clean)
                self._state = None

    def uv(self) -> UVLayout:
        uv = self.model.texture_coordinates.detach().cpu().numpy().astype(np.float32)
        uv_faces = self.model.face_texture_coordinate_indices.detach().cpu().numpy().astype(np.int32)
        vertex_index = np.zeros(len(uv), dtype=np.int32)
        vertex_index[uv_faces.reshape(-1)] = self._faces.reshape(-1)
        return UVLayout(uv, uv_faces, vertex_index)

    def texture_path(self) -> Path:
        """MakeHuman's skin detail map (greyish RGBA, 2048^2) shipped with Anny; tint it."""
        import anny.paths

        return anny.paths.get_anny_root_dir() / "data" / "mpfb2" / "textures" / "sss.png"

    def segmentation_texture_path(self) -> Path:
        """Anny's body-part segmentation image in the same UV layout."""
        import anny.paths

        return anny.paths.get_anny_root_dir() / "data" / "segmentation" / "body_parts_segmentation.png"

    def rest_vertices(self) -> np.ndarray:
        return self._rest().tpose_vertices.copy()

    def skeleton_smpl22(self) -> Skeleton:
        return self._rest().skeleton

    # --- rest state ----------------------------------------------------
    def _rest(self) -> _RestState:
        with self._lock:
            if self._state is None:
                self._state = self._build_rest_state(dict(self._phenotype))
            return self._state

    @torch.no_grad()
    def _build_rest_state(self, phenotype: dict[str, float]) -> _RestState:
        model = self.model
        inputs = model.get_tensor_inputs(None, phenotype, None, None)
        coeffs = model._get_phenotype_blendshape_coefficients(*inputs[1:])
        rest = model.get_rest_model(coeffs)
        poses = rest["rest_bone_poses"]
        heads = poses[0, :, :3, 3].double().cpu().numpy() @ A_ANNY_TO_WORLD.T
        corr = self._rest_corrections(heads)
        rot_a = torch.as_tensor(A_ANNY_TO_WORLD, dtype=poses.dtype, device=self.device) @ poses[0, :, :3, :3]
        state = _RestState(rest["rest_vertices"][:1], poses[:1], rot_a, corr, poses[0, 0, :3, 3].clone(),
                           smpl22_skeleton(), 0.0, np.zeros((0, 3), np.float32))
        # zero pose: T-pose at the origin, then lift the soles onto y = 0
        eye = np.broadcast_to(np.eye(3), (1, len(SMPL22_NAMES), 3, 3))
        verts, joints = self._skin(state, eye, np.zeros((1, 3)), skin=True)
        lift = -float(verts[0, :, 1].min())
        joints = joints[0].astype(np.float64) + [0.0, lift, 0.0]
        state.skeleton = Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets_from_positions(joints, SMPL22_PARENTS))
        state.foot_clearance = float(joints[list(FOOT_JOINTS), 1].min())
        state.tpose_vertices = verts[0] + np.float32([0.0, lift, 0.0])
        return state

    def _rest_corrections(self, heads: np.ndarray) -> np.ndarray:
        """World-frame A-pose -> T-pose rotation per bone, from the rest bone heads (world frame)."""
        smpl_rest = smpl22_skeleton().rest_positions()
        pos = heads[self._joint_bone]
        child = {p: j for j, p in reversed(list(enumerate(SMPL22_PARENTS))) if p >= 0}
        corr_j = np.repeat(np.eye(3)[None], len(SMPL22_NAMES), axis=0)
        for j, name in enumerate(SMPL22_NAMES):
            parent = corr_j[SMPL22_PARENTS[j]] if SMPL22_PARENTS[j] >= 0 else np.eye(3)
            if name in ALIGNED_JOINTS:
                c = child[j]
                current = parent @ (pos[c] - pos[j])
                corr_j[j] = rotation_between(current, smpl_rest[c] - smpl_rest[j]) @ parent
            elif name in INHERITING_JOINTS:
                corr_j[j] = parent
        return corr_j[self._bone_joint]

    # --- posing --------------------------------------------------------
    def _bone_world_rotations(self, global_rots: np.ndarray, local_aa: np.ndarray | None) -> np.ndarray:
        """[N, B, 3, 3] world rotation of every Anny bone from SMPL-22 global rotations [N, 22, 3, 3]."""
        n = global_rots.shape[0]
        keyed = np.empty((n, len(self._driver_keys), 3, 3))
        for k, (j, f) in enumerate(self._driver_keys):
            if f >= 1.0 or local_aa is None:
                keyed[:, k] = global_rots[:, j]
            else:
                p = SMPL22_PARENTS[j]
                keyed[:, k] = global_rots[:, p] @ axis_angle_to_matrix(f * local_aa[:, j])
        return keyed[:, self._bone_driver]

    @torch.no_grad()
    def _skin(self, state: _RestState, global_rots: np.ndarray, root: np.ndarray, skin: bool,
              local_aa: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray]:
        """Vertices [N, V, 3] (or None) and SMPL-22 joints [N, 22, 3] in the world frame."""
        world = self._bone_world_rotations(global_rots, local_aa) @ state.corr  # G_b C_b
        w = torch.as_tensor(world, dtype=self.dtype, device=self.device)
        n = w.shape[0]
        delta = torch.eye(4, dtype=self.dtype, device=self.device).repeat(n, w.shape[1], 1, 1)
        delta[:, :, :3, :3] = self._a_t.T @ w @ state.rot_a
        delta[:, 0, :3, 3] = state.root_head
        transforms, poses = self.model.get_bone_transforms(delta, state.rest_bone_poses, "world-orient")
        offset = torch.as_tensor(root, dtype=self.dtype, device=self.device)[:, None, :]
        joints = (poses[:, self._joint_bone, :3, 3] - state.root_head) @ self._a_t.T + offset
        verts = None
        if skin:
            v = self.model.get_skinned_vertices(state.rest_vertices.expand(n, -1, -1), transforms)
            verts = ((v - state.root_head) @ self._a_t.T + offset).cpu().numpy().astype(np.float32)
        return verts, joints.cpu().numpy().astype(np.float32)

    def _run(self, clip: MotionClip, frames: FrameSelection, skin: bool) -> tuple[np.ndarray | None, np.ndarray]:
        if clip.skeleton.num_joints != len(SMPL22_NAMES):
            raise ValueError("AnnyBody needs an SMPL-22 clip")
        state = self._rest()
        idx = frame_indices(clip.num_frames, frames)
        root = body_root_trajectory(clip, state.skeleton, state.foot_clearance, idx)
        verts, joints = [], []
        for start in range(0, len(idx), CHUNK_FRAMES):
            sel = idx[start:start + CHUNK_FRAMES]
            local_aa = clip.rotations[sel]
            glob = _global_rotations(axis_angle_to_matrix(local_aa))
            v, j = self._skin(state, glob, root[start:start + CHUNK_FRAMES], skin, local_aa)
            verts.append(v)
            joints.append(j)
        nv = int(self._faces.max()) + 1
        out_v = np.concatenate(verts) if skin and verts else (np.zeros((0, nv, 3), np.float32) if skin else None)
        out_j = np.concatenate(joints) if joints else np.zeros((0, 22, 3), np.float32)
        return out_v, out_j

    def pose(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        return self._run(clip, frames, skin=True)[0]

    def joints_smpl22(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        return self._run(clip, frames, skin=False)[1]

    def pose_with_joints(self, clip: MotionClip, frames: FrameSelection = None) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and SMPL-22 joints in one pass."""
        v, j = self._run(clip, frames, skin=True)
        return v, j


def _global_rotations(local: np.ndarray) -> np.ndarray:
    """SMPL-22 world rotations [N, 22, 3, 3] from local ones (rest frames are world-aligned)."""
    glob = np.empty_like(local)
    for j, p in enumerate(SMPL22_PARENTS):
        glob[:, j] = local[:, j] if p < 0 else glob[:, p] @ local[:, j]
    return glob
