"""Differentiable torch versions of the HumanML3D recovery (see `humanml3d` for the layout).

Used for joint-position losses of the text-to-motion model; matches the numpy
`features_to_joints` to float precision.  The input is split once (one gradient scatter
instead of one full-size zero tensor per slice) and sin/cos of the yaw are computed once.
"""
from __future__ import annotations

import torch

from .humanml3d import RIC


def _split(feats: torch.Tensor) -> tuple[torch.Tensor, ...]:
    rest = feats.shape[-1] - RIC.stop
    rot_vel, vx, vz, root_y, ric, _ = torch.split(feats, [1, 1, 1, 1, RIC.stop - RIC.start, rest], dim=-1)
    return rot_vel[..., 0], vx[..., 0], vz[..., 0], root_y[..., 0], ric


def _root(rot_vel: torch.Tensor, vx: torch.Tensor, vz: torch.Tensor, root_y: torch.Tensor):
    zeros = torch.zeros_like(rot_vel[..., :1])
    yaw = -2.0 * torch.cumsum(torch.cat([zeros, rot_vel[..., :-1]], dim=-1), dim=-1)
    cos, sin = torch.cos(yaw), torch.sin(yaw)
    vx = torch.cat([zeros, vx[..., :-1]], dim=-1)
    vz = torch.cat([zeros, vz[..., :-1]], dim=-1)
    x = torch.cumsum(cos * vx + sin * vz, dim=-1)
    z = torch.cumsum(cos * vz - sin * vx, dim=-1)
    return yaw, cos, sin, x, z


def recover_root(feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Yaw [..., T] relative to frame 0 and root positions [..., T, 3] from [..., T, 263]."""
    rot_vel, vx, vz, root_y, _ = _split(feats)
    yaw, _, _, x, z = _root(rot_vel, vx, vz, root_y)
    return yaw, torch.stack([x, root_y, z], dim=-1)


def features_to_joints(feats: torch.Tensor) -> torch.Tensor:
    """[..., T, 263] -> joints [..., T, 22, 3] (HumanML3D recover_from_ric), differentiable."""
    rot_vel, vx, vz, root_y, ric = _split(feats)
    _, cos, sin, x, z = _root(rot_vel, vx, vz, root_y)
    ric = ric.reshape(ric.shape[:-1] + (21, 3))
    rx, ry, rz = ric.unbind(-1)
    c, s = cos[..., None], sin[..., None]
    joints = torch.stack([c * rx + s * rz + x[..., None], ry, c * rz - s * rx + z[..., None]], dim=-1)
    root = torch.stack([x, root_y, z], dim=-1)
    return torch.cat([root[..., None, :], joints], dim=-2)
