"""Gaussian avatar bound to mesh triangles: LBS-driven motion, fitting reduces the loss, metrics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.avatar.metrics import psnr, ssim
from app.engine.avatar.model import GaussianAvatar, ring_cameras, triangle_frames


def _mesh():
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=2, radius=0.4)
    v = np.asarray(s.vertices, np.float32) + [0.0, 0.9, 0.0]
    return v, np.asarray(s.faces, np.int64)


def test_gaussians_follow_the_mesh_rigidly():
    v, f = _mesh()
    avatar = GaussianAvatar.from_mesh(v, f, np.full((len(v), 3), 0.5, np.float32), 300, seed=1)
    with torch.no_grad():
        avatar.offsets.normal_(0, 0.01)
    g0 = avatar.gaussians(v)
    angle = 0.7
    rot = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]], np.float32)
    moved = v @ rot.T + [0.5, 0.0, -0.2]
    g1 = avatar.gaussians(moved)
    expected = g0.means.detach().numpy() @ rot.T + [0.5, 0.0, -0.2]
    assert np.allclose(g1.means.detach().numpy(), expected, atol=1e-5)
    from app.viewers.splats.gaussians import quat_to_rotmat
    r0, r1 = quat_to_rotmat(g0.quats).detach().numpy(), quat_to_rotmat(g1.quats).detach().numpy()
    assert np.allclose(r1, rot @ r0, atol=1e-4)
    assert np.allclose(g1.scales.detach(), g0.scales.detach())
    # anchors lie on their triangles when offsets are zero
    with torch.no_grad():
        avatar.offsets.zero_()
    tri, frames = triangle_frames(torch.as_tensor(v, dtype=torch.float32), avatar.faces)
    normals = frames[avatar.face_index][:, :, 2]
    means = avatar.gaussians(v).means
    assert torch.allclose(((means - tri[avatar.face_index][:, 0]) * normals).sum(-1), torch.zeros(300), atol=1e-5)


def test_fitting_step_reduces_photometric_loss():
    from app.engine.avatar.fit import torch_threads
    from app.viewers.splats.raster import rasterize

    v, f = _mesh()
    avatar = GaussianAvatar.from_mesh(v, f, np.full((len(v), 3), 0.2, np.float32), 400, sh_degree=0)
    cam = ring_cameras((0.0, 0.9, 0.0), 2.5, 1)[0]
    vm = torch.tensor(cam.world_to_camera_cv(), dtype=torch.float32)
    k = torch.tensor(cam.intrinsics(32, 32), dtype=torch.float32)
    target = torch.zeros(32, 32, 3)
    target[..., 0] = 0.9  # a red target everywhere the avatar covers
    opt = torch.optim.Adam([avatar.sh], lr=0.1)
    losses = []
    with torch_threads(1):  # as fit_avatar runs (2 threads stall on tiny ops when the CPU is shared)
        for _ in range(8):
            out = rasterize(avatar.gaussians(v), vm, k, 32, 32)
            loss = ((out.rgb - target).abs() * out.alpha[..., None]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
    assert losses[-1] < 0.6 * losses[0]


def test_save_load_roundtrip(tmp_path):
    v, f = _mesh()
    a = GaussianAvatar.from_mesh(v, f, np.random.default_rng(0).random((len(v), 3)), 50)
    path = a.save(tmp_path / "avatar.npz")
    b = GaussianAvatar.load(path)
    assert torch.allclose(a.gaussians(v).means, b.gaussians(v).means)
    assert torch.allclose(a.sh, b.sh)


def test_metrics():
    a = torch.rand(32, 32, 3)
    assert psnr(a, a) == float("inf")
    assert psnr(a, (a + 0.1).clamp(0, 1)) < 25
    assert float(ssim(a, a)) == pytest.approx(1.0, abs=1e-5)
    assert float(ssim(a, torch.rand(32, 32, 3))) < 0.2


def test_ring_cameras_look_at_centre():
    cams = ring_cameras((0.0, 1.0, 0.0), 3.0, 6, pitch_deg=0.0)
    assert len(cams) == 6
    for cam in cams:
        uv, depth = cam.project(np.array([[0.0, 1.0, 0.0]]), 64, 64)
        assert np.allclose(uv, 31.5, atol=1e-6) and depth[0] == pytest.approx(3.0)


def test_torch_threads_context_restores_the_setting():
    import torch

    from app.engine.avatar.fit import torch_threads

    prev = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == prev
    with torch_threads(None):
        assert torch.get_num_threads() == prev


def test_masked_metrics_ignore_the_background():
    ref = torch.zeros(32, 32, 3)
    ref[8:24, 8:24] = 0.8
    mask = torch.zeros(32, 32)
    mask[8:24, 8:24] = 1.0
    img = ref.clone()
    img[8:24, 8:24] = 0.6  # wrong inside the person, perfect on the black background
    assert psnr(img, ref, mask) == pytest.approx(10 * np.log10(1 / 0.04), abs=1e-3)
    assert psnr(img, ref) == pytest.approx(psnr(img, ref, mask) + 10 * np.log10(4), abs=1e-3)  # 1/4 of the pixels
    assert float(ssim(img, ref, mask=mask)) < float(ssim(img, ref))
    assert np.isnan(psnr(img, ref, torch.zeros(32, 32))) and np.isnan(float(ssim(img, ref, mask=torch.zeros(32, 32))))


def test_fit_reports_masked_metrics_and_the_unfitted_baseline(monkeypatch):
    """fit_avatar end to end on a sphere (mesh targets stood in by splat renders of a red 'truth')."""
    from types import SimpleNamespace

    import app.viewers.textured as textured
    from app.engine.avatar import fit as fit_mod
    from app.engine.jobs import drain
    from app.viewers.splats.raster import rasterize

    v, f = _mesh()
    truth = GaussianAvatar.from_mesh(v, f, np.tile([[0.9, 0.1, 0.1]], (len(v), 1)).astype(np.float32), 600,
                                     sh_degree=0, seed=3)

    def fake_targets(renderer, texture, faces, vertices, cameras):
        out = []
        with torch.no_grad():
            for verts in vertices:
                row = []
                for cam in cameras:
                    vm, k = fit_mod._camera_tensors(cam, 32)
                    r = rasterize(truth.gaussians(verts), vm, k, 32, 32, fit_mod.BACKGROUND)
                    row.append(((r.rgb.clamp(0, 1) * 255).round().byte().numpy(), r.depth.numpy(),
                                r.alpha.numpy() > 0.5))
                out.append(row)
        return out

    monkeypatch.setattr(fit_mod, "render_targets", fake_targets)
    monkeypatch.setattr(textured, "TexturedMeshRenderer", lambda w, h: SimpleNamespace(close=lambda: None))
    grey = SimpleNamespace(vertex_colors=np.full((len(v), 3), 0.5, np.float32))
    config = fit_mod.FitConfig(views=2, steps=40, size=32, frames=2, num_gaussians=300, sh_degree=0,
                               held_out_views=1, eval_init=True)
    res = drain(fit_mod.fit_avatar(grey, v, f, np.stack([v, v + [0.05, 0.0, 0.0], v + [0.1, 0.0, 0.0]]), config))
    init, fitted = res.metrics["init"]["train_views"], res.metrics["train_views"]
    for m in (init, fitted):
        assert m["psnr_mask"] < m["psnr"]  # the black background inflates the whole-frame figure
        assert 0.0 < m["ssim_mask"] <= 1.0
    assert fitted["psnr_mask"] > init["psnr_mask"] + 0.5  # fitting the colour shows as a gain (8.1 -> 9.1 dB)
    assert set(res.metrics["init"]) == {"train_views", "held_out_views_train_frames", "held_out_views_new_frames"}
