"""ATOM's diffusion prior over its global latent (session 11): app/engine/t2m/latent_prior.py."""
from __future__ import annotations

import numpy as np
import torch

from app.engine.t2m.latent_prior import LatentPrior, load_latent_prior
from tests.t2m_fakes import TINY_ATOM


def _two_modes(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Context A: u at (+1, 0) or (-1, 0) (two modes, as 'turn' without a side); context B: u at (0, 1)."""
    which = torch.randint(0, 2, (n,), generator=g)
    side = torch.randint(0, 2, (n,), generator=g) * 2.0 - 1.0
    u = torch.where(which[:, None] == 0, torch.stack([side, torch.zeros(n)], 1), torch.tensor([[0.0, 1.0]]))
    u = u + 0.05 * torch.randn(u.shape, generator=g)
    ctx = torch.nn.functional.one_hot(which, 2).float()
    return u, ctx


def test_the_prior_keeps_two_modes_apart_where_a_gaussian_would_blend_them():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    prior = LatentPrior(2, 2, hidden=64, layers=2, sample_steps=20)
    opt = torch.optim.Adam(prior.parameters(), lr=2e-3)
    for _ in range(1500):
        u, ctx = _two_modes(128, g)
        loss = prior.loss(u, ctx, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    prior.eval()
    noise = torch.randn((400, 2), generator=torch.Generator().manual_seed(1))
    a = prior.sample(torch.tensor([[1.0, 0.0]]).expand(400, 2), noise)
    b = prior.sample(torch.tensor([[0.0, 1.0]]).expand(400, 2), noise)
    near_mode = (a[:, 0].abs() > 0.6).float().mean()
    assert near_mode > 0.8, float(near_mode)                    # a Gaussian fit to A puts ~55 % there
    assert 0.25 < float((a[:, 0] > 0).float().mean()) < 0.75    # both modes, not one
    assert float((b - torch.tensor([0.0, 1.0])).norm(dim=1).median()) < 0.3
    again = prior.sample(torch.tensor([[1.0, 0.0]]).expand(400, 2), noise)
    assert torch.equal(a, again)                                 # same noise, same latents


def test_prior_files_roundtrip_and_the_pipeline_loads_and_uses_them(tmp_path):
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import export_model
    from tests.t2m_fakes import fake_encoder, tiny_pipeline
    pipe = tiny_pipeline(dict(TINY_ATOM, learned_prior=True))
    export_model(pipe.model, pipe.normalizer, tmp_path)
    plain = TextToMotionPipeline.from_pretrained(tmp_path, device="cpu", text_encoder=fake_encoder)
    assert plain.model.z_prior is None
    d = pipe.model.cfg.d_model
    torch.manual_seed(3)
    prior = LatentPrior(d, 2 * d, hidden=32, layers=1, sample_steps=4)
    prior.save(tmp_path, note="test")
    loaded = load_latent_prior(tmp_path)
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in prior.state_dict().items())
    with_prior = TextToMotionPipeline.from_pretrained(tmp_path, device="cpu", text_encoder=fake_encoder)
    assert with_prior.model.z_prior is not None
    a = with_prior.generate("a person turns around", seconds=2.0, seed=2)[0]
    b = with_prior.generate("a person turns around", seconds=2.0, seed=2)[0]
    c = plain.generate("a person turns around", seconds=2.0, seed=2)[0]
    assert np.array_equal(a.rotations, b.rotations)
    assert not np.allclose(a.rotations, c.rotations)             # the prior's z, not the Gaussian's
