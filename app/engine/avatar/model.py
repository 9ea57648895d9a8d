"""A Gaussian avatar anchored on the body's triangles and moved by its linear blend skinning.

Each Gaussian lives on one triangle of the canonical (rest) mesh: its centre is a
barycentric point plus an offset expressed in the triangle's local frame
(edge, in-plane normal, face normal), and its rotation is a local rotation
composed with that frame. Posing the mesh with the body's LBS (any [V, 3]
vertex array) therefore carries every Gaussian along, as GauHuman and
3DGS-Avatar do with SMPL, here on the licence-free Anny body. Trainable:
offsets, log-scales, local rotations, opacity logits and SH colours.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from app.viewers.camera import Camera
from app.viewers.splats.gaussians import Gaussians, quat_multiply, rgb_to_sh0, rotmat_to_quat


def triangle_frames(vertices: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-face corner positions [F, 3, 3] and rotation frames [F, 3, 3] (columns: edge, bitangent, normal)."""
    tri = vertices[faces]
    e1 = tri[:, 1] - tri[:, 0]
    n = torch.linalg.cross(e1, tri[:, 2] - tri[:, 0])
    e1 = torch.nn.functional.normalize(e1, dim=-1)
    n = torch.nn.functional.normalize(n, dim=-1)
    e2 = torch.linalg.cross(n, e1)
    return tri, torch.stack([e1, e2, n], dim=-1)


class GaussianAvatar(torch.nn.Module):
    """Gaussians bound to mesh triangles; :meth:`gaussians` poses them with a vertex array."""

    def __init__(self, faces: np.ndarray, face_index: np.ndarray, bary: np.ndarray, colors: np.ndarray,
                 scale: float, sh_degree: int = 1) -> None:
        super().__init__()
        n = len(face_index)
        self.register_buffer("faces", torch.as_tensor(np.asarray(faces, np.int64)))
        self.register_buffer("face_index", torch.as_tensor(np.asarray(face_index, np.int64)))
        self.register_buffer("bary", torch.as_tensor(np.asarray(bary, np.float32)))
        self.offsets = torch.nn.Parameter(torch.zeros(n, 3))
        s = torch.tensor([scale, scale, scale * 0.3]).log()
        self.log_scales = torch.nn.Parameter(s.repeat(n, 1))
        self.quats = torch.nn.Parameter(torch.tensor([1.0, 0.0, 0.0, 0.0]).repeat(n, 1))
        self.opacity_logits = torch.nn.Parameter(torch.full((n,), math.log(0.95 / 0.05)))
        sh = torch.zeros(n, (sh_degree + 1) ** 2, 3)
        sh[:, 0] = rgb_to_sh0(torch.as_tensor(np.asarray(colors, np.float32)))
        self.sh = torch.nn.Parameter(sh)

    @classmethod
    def from_mesh(cls, rest_vertices: np.ndarray, faces: np.ndarray, vertex_colors: np.ndarray,
                  num_gaussians: int = 15000, sh_degree: int = 1, seed: int = 0) -> "GaussianAvatar":
        """Sample Gaussians on the canonical mesh by area; colours interpolated from the vertex colours."""
        if num_gaussians < 1:
            raise ValueError("an avatar needs at least one Gaussian")
        v = np.asarray(rest_vertices, np.float64)
        f = np.asarray(faces, np.int64)
        tri = v[f]
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        rng = np.random.default_rng(seed)
        # stratified by area: every triangle big enough gets its share, the rest is drawn at random
        face_index = rng.choice(len(f), size=num_gaussians, p=area / area.sum())
        r = rng.random((num_gaussians, 2))
        flip = r.sum(1) > 1
        r[flip] = 1 - r[flip]
        bary = np.stack([1 - r[:, 0] - r[:, 1], r[:, 0], r[:, 1]], 1)
        cols = (np.asarray(vertex_colors, np.float32)[f[face_index]] * bary[:, :, None]).sum(1)
        scale = 0.6 * math.sqrt(area.sum() / num_gaussians)
        return cls(f, face_index, bary, np.clip(cols, 0.0, 1.0), scale, sh_degree)

    def __len__(self) -> int:
        return int(self.face_index.shape[0])

    def gaussians(self, vertices) -> Gaussians:
        """World Gaussians for posed mesh vertices [V, 3] (differentiable in the avatar's parameters)."""
        verts = torch.as_tensor(vertices, dtype=torch.float32, device=self.bary.device)
        tri, frames = triangle_frames(verts, self.faces)
        tri, frames = tri[self.face_index], frames[self.face_index]
        means = (tri * self.bary[:, :, None]).sum(1) + (frames @ self.offsets[:, :, None]).squeeze(-1)
        quats = quat_multiply(rotmat_to_quat(frames), torch.nn.functional.normalize(self.quats, dim=-1))
        return Gaussians(means, quats, self.log_scales.exp(), torch.sigmoid(self.opacity_logits), self.sh)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        np.savez_compressed(path, **{k: v.detach().cpu().numpy() for k, v in self.state_dict().items()})
        return path

    @classmethod
    def load(cls, path: str | Path) -> "GaussianAvatar":
        with np.load(path) as d:
            state = {k: d[k] for k in d.files}
        n = len(state["face_index"])
        degree = int(round(math.sqrt(state["sh"].shape[1]))) - 1
        avatar = cls(state["faces"], state["face_index"], state["bary"], np.zeros((n, 3)), 0.01, degree)
        avatar.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        return avatar


def ring_cameras(center, radius: float, count: int, pitch_deg: float = 8.0, yaw0_deg: float = 0.0,
                 fov_y_deg: float = 40.0) -> list[Camera]:
    """``count`` cameras evenly spaced on a horizontal ring around ``center``, all looking at it."""
    c = np.asarray(center, np.float64)
    cams = []
    for i in range(count):
        yaw = math.radians(yaw0_deg + 360.0 * i / count)
        pitch = math.radians(pitch_deg)
        d = np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), math.cos(pitch) * math.cos(yaw)])
        cams.append(Camera(eye=tuple(c + radius * d), target=tuple(c), fov_y_deg=fov_y_deg))
    return cams
