"""Gaussian splats: torch tile rasteriser vs the naive reference, gradients, projection vs gsplat, .ply I/O."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.viewers.camera import Camera
from app.viewers.splats import Gaussians, project, rasterize, read_ply, write_ply
from app.viewers.splats.gaussians import eval_sh, quat_multiply, quat_to_rotmat, rotmat_to_quat


def _gaussians(n: int = 200, degree: int = 1, seed: int = 0) -> Gaussians:
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n, 3, generator=g) * torch.tensor([0.3, 0.6, 0.2]) + torch.tensor([0.0, 0.9, 0.0])
    return Gaussians(means, torch.randn(n, 4, generator=g), torch.rand(n, 3, generator=g) * 0.04 + 0.005,
                     torch.rand(n, generator=g) * 0.95 + 0.04, torch.randn(n, (degree + 1) ** 2, 3, generator=g) * 0.5)


def _cam(w: int, h: int):
    cam = Camera(eye=(0.6, 1.3, 3.0), target=(0.0, 0.9, 0.0))
    return (torch.tensor(cam.world_to_camera_cv(), dtype=torch.float32),
            torch.tensor(cam.intrinsics(w, h), dtype=torch.float32))


@pytest.mark.parametrize("size,tile", [((48, 40), 8), ((37, 29), 16)])
def test_tiled_matches_naive_reference(size, tile):
    w, h = size
    g = _gaussians()
    vm, k = _cam(w, h)
    a = rasterize(g, vm, k, w, h, (0.2, 0.3, 0.4), tile=tile)
    b = rasterize(g, vm, k, w, h, (0.2, 0.3, 0.4), backend="naive")
    assert a.rgb.shape == (h, w, 3) and a.alpha.shape == (h, w)
    assert b.alpha.max() > 0.5  # the scene is really drawn
    assert torch.allclose(a.rgb, b.rgb, atol=1e-4)
    assert torch.allclose(a.alpha, b.alpha, atol=1e-4)
    assert torch.allclose(a.depth, b.depth, atol=1e-3)


@pytest.mark.parametrize("chunk,tile", [(6, 8), (16, 4)])
def test_fast_and_autograd_paths_match_naive_on_opaque_scene(chunk, tile):
    """Dense, nearly opaque Gaussians: pixels stop mid-chunk and whole tiles terminate early."""
    g = _gaussians(250, degree=0, seed=3)
    g.opacities = torch.full_like(g.opacities, 0.995)
    g.scales = g.scales * 2.0
    vm, k = _cam(40, 36)
    ref = rasterize(g, vm, k, 40, 36, (0.2, 0.3, 0.4), backend="naive")
    with torch.inference_mode():
        fast = rasterize(g, vm, k, 40, 36, (0.2, 0.3, 0.4), chunk=chunk, tile=tile)
    sh = g.sh.clone().requires_grad_(True)
    slow = rasterize(Gaussians(g.means, g.quats, g.scales, g.opacities, sh), vm, k, 40, 36, (0.2, 0.3, 0.4),
                     chunk=chunk, tile=tile)
    assert float(ref.alpha.min()) < 0.5 < float(ref.alpha.max())  # covered and uncovered pixels
    for out in (fast, slow):
        assert torch.allclose(out.rgb, ref.rgb, atol=1e-4)
        assert torch.allclose(out.alpha, ref.alpha, atol=1e-4)
        assert torch.allclose(out.depth, ref.depth, atol=1e-3)


def test_naive_reference_matches_sequential_loop():
    """The vectorised reference equals a literal per-pixel loop with the 3DGS stopping rule."""
    g = _gaussians(30, degree=0)
    vm, k = _cam(12, 10)
    ref = rasterize(g, vm, k, 12, 10, (0.0, 0.0, 0.0), backend="naive")
    p = project(g, vm, k, 12, 10)
    for (y, x) in [(5, 6), (2, 3), (8, 9)]:
        t, col = 1.0, torch.zeros(3)
        for i in range(len(p.depths)):
            dx, dy = x - p.means2d[i, 0], y - p.means2d[i, 1]
            a_, b_, c_ = p.conics[i]
            sigma = 0.5 * (a_ * dx * dx + c_ * dy * dy) + b_ * dx * dy
            alpha = min(0.999, float(p.opacities[i] * torch.exp(-sigma)))
            if alpha < 1 / 255:
                continue
            if t * (1 - alpha) <= 1e-4:
                break
            col += alpha * t * p.colors[i]
            t *= 1 - alpha
        assert torch.allclose(ref.rgb[y, x], col, atol=1e-5)


def test_gradients_flow_and_match_naive():
    g = _gaussians(60)
    vm, k = _cam(24, 24)
    params = [t.clone().requires_grad_(True) for t in (g.means, g.quats, g.scales, g.opacities, g.sh)]
    grads = []
    for backend in ("torch", "naive"):
        for t in params:
            t.grad = None
        out = rasterize(Gaussians(*params), vm, k, 24, 24, (0.1, 0.1, 0.1), backend=backend)
        (out.rgb.square().sum() + out.depth.sum() * 0.1).backward()
        grads.append([t.grad.clone() for t in params])
    for ga, gb in zip(*grads):
        assert torch.isfinite(ga).all()
        assert torch.allclose(ga, gb, atol=1e-3, rtol=1e-3)
    assert grads[0][0].abs().sum() > 0


def test_empty_and_culled_scenes_give_background():
    g = _gaussians(10)
    g.means[:, 2] += 10.0  # all behind the camera
    vm, k = _cam(16, 16)
    out = rasterize(g, vm, k, 16, 16, (0.5, 0.25, 0.0))
    assert torch.allclose(out.rgb, torch.tensor([0.5, 0.25, 0.0]).expand(16, 16, 3))
    assert float(out.alpha.max()) == 0.0
    with pytest.raises(ValueError):
        rasterize(g, vm, k, 0, 16)


def test_projection_matches_gsplat_torch_reference():
    from gsplat.cuda import _torch_impl as impl
    g = _gaussians(50)
    vm, k = _cam(64, 48)
    p = project(g, vm, k, 64, 48)
    covars, _ = impl._quat_scale_to_covar_preci(g.quats, g.scales, compute_covar=True, compute_preci=False)
    k_edge = k.clone()
    k_edge[0, 2] += 0.5
    k_edge[1, 2] += 0.5
    radii, means2d, depths, conics, _ = impl._fully_fused_projection(g.means, covars, vm[None], k_edge[None], 64, 48)
    idx = p.index
    assert torch.allclose(p.means2d + 0.5, means2d[0, idx], atol=1e-3)
    assert torch.allclose(p.conics, conics[0, idx], rtol=1e-3, atol=1e-4)
    assert torch.allclose(p.depths, depths[0, idx], atol=1e-5)


def test_quaternion_helpers_roundtrip():
    q = torch.nn.functional.normalize(torch.randn(20, 4), dim=-1)
    q = q * torch.sign(q[:, :1])
    assert torch.allclose(rotmat_to_quat(quat_to_rotmat(q)), q, atol=1e-5)
    r = quat_to_rotmat(quat_multiply(q, q.flip(0)))
    assert torch.allclose(r, quat_to_rotmat(q) @ quat_to_rotmat(q.flip(0)), atol=1e-5)
    sh = torch.zeros(3, 4, 3)
    sh[:, 0] = 1.0
    assert torch.allclose(eval_sh(sh, torch.eye(3)), torch.full((3, 3), 0.5 + 0.28209479))


def test_ply_roundtrip_and_layout(tmp_path):
    g = _gaussians(25, degree=1)
    path = write_ply(g, tmp_path / "a.ply")
    header = path.read_bytes().split(b"end_header\n")[0].decode()
    names = [line.split()[-1] for line in header.splitlines() if line.startswith("property")]
    assert names[:9] == ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    assert names[9:54] == [f"f_rest_{i}" for i in range(45)]
    assert names[54:] == ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    assert "element vertex 25" in header and "binary_little_endian" in header
    back = read_ply(path)
    assert back.sh_degree == 1
    for a, b in zip((g.means, g.quats, g.scales, g.opacities, g.sh), (back.means, back.quats, back.scales,
                                                                        back.opacities, back.sh)):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat.rasterization")
def test_cuda_path_matches_cpu():  # pragma: no cover - no GPU on the CI machines
    g = _gaussians(300)
    vm, k = _cam(64, 64)
    cpu = rasterize(g, vm, k, 64, 64, (0.2, 0.3, 0.4), backend="torch")
    gpu = rasterize(g.to("cuda"), vm.cuda(), k.cuda(), 64, 64, (0.2, 0.3, 0.4), backend="cuda")
    assert torch.allclose(cpu.rgb, gpu.rgb.cpu(), atol=2e-2)
    assert (cpu.rgb - gpu.rgb.cpu()).abs().mean() < 2e-3
