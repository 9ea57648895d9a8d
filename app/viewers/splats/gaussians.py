"""3D Gaussians (as in 3D Gaussian Splatting) and their projection to the image plane, in plain torch.

Conventions: ``quats`` are (w, x, y, z) and need not be normalised, ``scales`` are
linear standard deviations in metres, ``opacities`` lie in [0, 1], ``sh`` holds
spherical-harmonic colour coefficients [N, (d+1)^2, 3] (degree d <= 3) with
``colour = max(SH(dir) + 0.5, 0)`` as in 3DGS / gsplat. Cameras use the OpenCV
frame (``viewmat`` world -> camera, x right, y down, z forward) and the pixel
convention of :mod:`app.viewers.camera` (pixel (i, j) is centred at (i, j)).

The projection mirrors gsplat's EWA projection (``fully_fused_projection``):
a 0.3 px^2 low-pass blur, clamped Jacobian outside the view, opacity-aware
per-axis radii ``ceil(min(3.33, sqrt(2 ln(255 o))) * sqrt(cov_ii))``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

ALPHA_THRESHOLD = 1.0 / 255.0
EPS2D = 0.3
NEAR_PLANE = 0.01
SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
_SH_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
_SH_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
          -0.4570457994644658, 1.445305721320277, -0.5900435899266435)


@dataclass
class Gaussians:
    """A set of N 3D Gaussians (tensors on one device; gradients flow through them)."""

    means: torch.Tensor      # [N, 3]
    quats: torch.Tensor      # [N, 4] wxyz
    scales: torch.Tensor     # [N, 3] linear
    opacities: torch.Tensor  # [N]
    sh: torch.Tensor         # [N, K, 3], K = (degree + 1)^2

    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def sh_degree(self) -> int:
        return int(round(math.sqrt(self.sh.shape[1]))) - 1

    def detach(self) -> "Gaussians":
        return Gaussians(*(t.detach() for t in (self.means, self.quats, self.scales, self.opacities, self.sh)))

    def to(self, device) -> "Gaussians":
        return Gaussians(*(t.to(device) for t in (self.means, self.quats, self.scales, self.opacities, self.sh)))

    @staticmethod
    def from_colors(means, quats, scales, opacities, colors) -> "Gaussians":
        """Degree-0 Gaussians whose colour (in [0, 1]) is ``colors`` [N, 3]."""
        sh = ((torch.as_tensor(colors, dtype=torch.float32) - 0.5) / SH_C0)[:, None, :]
        return Gaussians(*(torch.as_tensor(t, dtype=torch.float32) for t in (means, quats, scales, opacities)), sh)


def rgb_to_sh0(rgb: torch.Tensor) -> torch.Tensor:
    return (rgb - 0.5) / SH_C0


def quat_to_rotmat(quats: torch.Tensor) -> torch.Tensor:
    """[..., 4] wxyz (normalised here) -> [..., 3, 3]."""
    w, x, y, z = torch.unbind(torch.nn.functional.normalize(quats, dim=-1), dim=-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], dim=-1).reshape(quats.shape[:-1] + (3, 3))


def rotmat_to_quat(m: torch.Tensor) -> torch.Tensor:
    """[..., 3, 3] rotation -> [..., 4] wxyz (w >= 0), Shepperd's method (stable, differentiable)."""
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    t = torch.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1)
    r = 0.5 * torch.sqrt(t.clamp_min(1e-8))
    f = 0.25 / r
    cands = torch.stack([
        torch.stack([r[..., 0], (m21 - m12) * f[..., 0], (m02 - m20) * f[..., 0], (m10 - m01) * f[..., 0]], -1),
        torch.stack([(m21 - m12) * f[..., 1], r[..., 1], (m01 + m10) * f[..., 1], (m02 + m20) * f[..., 1]], -1),
        torch.stack([(m02 - m20) * f[..., 2], (m01 + m10) * f[..., 2], r[..., 2], (m12 + m21) * f[..., 2]], -1),
        torch.stack([(m10 - m01) * f[..., 3], (m02 + m20) * f[..., 3], (m12 + m21) * f[..., 3], r[..., 3]], -1),
    ], -2)  # [..., 4 candidates, 4]
    best = t.argmax(-1)[..., None, None].expand(*t.shape[:-1], 1, 4)
    q = torch.gather(cands, -2, best).squeeze(-2)
    q = q * torch.where(q[..., :1] < 0, -1.0, 1.0)
    return torch.nn.functional.normalize(q, dim=-1)


def quat_multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product of wxyz quaternions (rotation a after b)."""
    aw, ax, ay, az = torch.unbind(a, dim=-1)
    bw, bx, by, bz = torch.unbind(b, dim=-1)
    return torch.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                        aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], dim=-1)


def eval_sh(sh: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """Colour [N, 3] = max(SH(dirs) + 0.5, 0) for coefficients [N, K, 3] and unit directions [N, 3]."""
    k = sh.shape[1]
    out = SH_C0 * sh[:, 0]
    if k > 1:
        x, y, z = dirs[:, 0:1], dirs[:, 1:2], dirs[:, 2:3]
        out = out - SH_C1 * y * sh[:, 1] + SH_C1 * z * sh[:, 2] - SH_C1 * x * sh[:, 3]
        if k > 4:
            xx, yy, zz, xy, yz, xz = x * x, y * y, z * z, x * y, y * z, x * z
            out = (out + _SH_C2[0] * xy * sh[:, 4] + _SH_C2[1] * yz * sh[:, 5]
                   + _SH_C2[2] * (2 * zz - xx - yy) * sh[:, 6] + _SH_C2[3] * xz * sh[:, 7]
                   + _SH_C2[4] * (xx - yy) * sh[:, 8])
            if k > 9:
                out = (out + _SH_C3[0] * y * (3 * xx - yy) * sh[:, 9] + _SH_C3[1] * xy * z * sh[:, 10]
                       + _SH_C3[2] * y * (4 * zz - xx - yy) * sh[:, 11]
                       + _SH_C3[3] * z * (2 * zz - 3 * xx - 3 * yy) * sh[:, 12]
                       + _SH_C3[4] * x * (4 * zz - xx - yy) * sh[:, 13] + _SH_C3[5] * z * (xx - yy) * sh[:, 14]
                       + _SH_C3[6] * x * (xx - 3 * yy) * sh[:, 15])
    return torch.clamp_min(out + 0.5, 0.0)


@dataclass
class Projected:
    """Screen-space Gaussians that survived culling, sorted front to back."""

    index: torch.Tensor      # [M] indices into the input Gaussians
    means2d: torch.Tensor    # [M, 2] pixels
    conics: torch.Tensor     # [M, 3] inverse 2D covariance (a, b, c)
    depths: torch.Tensor     # [M] camera z
    radii: torch.Tensor      # [M, 2] int pixel half-extents (x, y)
    opacities: torch.Tensor  # [M]
    colors: torch.Tensor     # [M, 3]


def covariances(quats: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """World covariances [N, 3, 3] = R S S^T R^T."""
    m = quat_to_rotmat(quats) * scales[..., None, :]
    return m @ m.transpose(-1, -2)


def project(g: Gaussians, viewmat: torch.Tensor, K: torch.Tensor, width: int, height: int,
            near: float = NEAR_PLANE) -> Projected:
    """EWA-project the Gaussians into a pinhole camera; cull and sort them by depth (differentiable)."""
    viewmat = viewmat.to(g.means)
    K = K.to(g.means)
    R, t = viewmat[:3, :3], viewmat[:3, 3]
    pc = g.means @ R.T + t
    tz = pc[:, 2]
    keep = (tz > near) & (g.opacities >= ALPHA_THRESHOLD)
    idx = torch.nonzero(keep).squeeze(1)
    pc, tz = pc[idx], tz[idx]
    cov = R @ covariances(g.quats[idx], g.scales[idx]) @ R.T
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    # gsplat's clamp uses a [0, W] pixel-edge frame; ours centres pixels on integers, hence +0.5
    lim_xp = (width - (cx + 0.5)) / fx + 0.3 * 0.5 * width / fx
    lim_xn = (cx + 0.5) / fx + 0.3 * 0.5 * width / fx
    lim_yp = (height - (cy + 0.5)) / fy + 0.3 * 0.5 * height / fy
    lim_yn = (cy + 0.5) / fy + 0.3 * 0.5 * height / fy
    tx = tz * torch.clamp(pc[:, 0] / tz, -lim_xn, lim_xp)
    ty = tz * torch.clamp(pc[:, 1] / tz, -lim_yn, lim_yp)
    zero = torch.zeros_like(tz)
    J = torch.stack([fx / tz, zero, -fx * tx / tz ** 2, zero, fy / tz, -fy * ty / tz ** 2], -1).reshape(-1, 2, 3)
    cov2 = J @ cov @ J.transpose(1, 2)
    a = cov2[:, 0, 0] + EPS2D
    b = cov2[:, 0, 1]
    c = cov2[:, 1, 1] + EPS2D
    det = a * c - b * b
    ok = det > 0
    det = torch.where(ok, det, torch.ones_like(det))
    conics = torch.stack([c / det, -b / det, a / det], -1)
    mx = fx * pc[:, 0] / tz + cx
    my = fy * pc[:, 1] / tz + cy
    op = g.opacities[idx]
    with torch.no_grad():
        extend = torch.clamp(torch.sqrt(2.0 * torch.log(op.clamp_min(ALPHA_THRESHOLD) / ALPHA_THRESHOLD)), max=3.33)
        rx = torch.ceil(extend * torch.sqrt(a))
        ry = torch.ceil(extend * torch.sqrt(c))
        inside = ((mx + rx > -0.5) & (mx - rx < width - 0.5) & (my + ry > -0.5) & (my - ry < height - 0.5)
                  & ok & (rx > 0) & (ry > 0))
        order = torch.argsort(tz.detach().masked_fill(~inside, float("inf")))[: int(inside.sum())]
    sel = idx[order]
    if g.sh.shape[1] > 1:
        campos = -R.T @ t
        dirs = torch.nn.functional.normalize(g.means[sel] - campos, dim=-1)
        colors = eval_sh(g.sh[sel], dirs)
    else:
        colors = torch.clamp_min(SH_C0 * g.sh[sel, 0] + 0.5, 0.0)
    return Projected(sel, torch.stack([mx[order], my[order]], -1), conics[order], tz[order],
                     torch.stack([rx[order], ry[order]], -1).long(), op[order], colors)
