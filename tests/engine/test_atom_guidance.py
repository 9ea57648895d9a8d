"""ATOM's classifier-free guidance at sampling (session 13): free + g (cond - free) on the decoder output."""
from __future__ import annotations

import pytest
import torch

from app.engine.t2m.atom_model import ATOM, as_cond, guided
from app.engine.t2m.config import config_from_dict
from tests.t2m_fakes import TINY_ATOM


def _model(**over) -> ATOM:
    torch.manual_seed(0)
    return ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True, **over))).eval()


def test_guided_is_free_plus_scaled_difference():
    cond, free = torch.randn(2, 5, 7), torch.randn(2, 5, 7)
    assert torch.allclose(guided(cond, free, 1.0), cond)
    assert torch.allclose(guided(cond, free, 0.0), free)
    assert torch.allclose(guided(cond, free, 2.0), 2 * cond - free)


@pytest.mark.parametrize("time_latent", [0, 8])
def test_scale_one_is_the_plain_sample(time_latent):
    model = _model(time_latent=time_latent)
    text = torch.randn(3, 384)
    plain = model.sample(text, 30, torch.Generator().manual_seed(1))[0]
    same = model.sample(text, 30, torch.Generator().manual_seed(1), guidance=1.0)[0]
    two, att = model.sample(text, 30, torch.Generator().manual_seed(1), guidance=2.0)
    assert torch.equal(plain, same)
    assert two.shape == plain.shape and att.shape[:2] == (3, 30)
    assert not torch.allclose(two, plain, atol=1e-4)     # the text bias changes the decode, so guidance moves it


def test_guided_sample_extrapolates_from_the_text_free_decode_of_the_same_z():
    model = _model()
    text = torch.randn(3, 384)
    plain = model.sample(text, 30, torch.Generator().manual_seed(1))[0]
    two = model.sample(text, 30, torch.Generator().manual_seed(1), guidance=2.0)[0]
    gen = torch.Generator().manual_seed(1)             # the same draw of z as sample() makes
    p_mu, p_logvar = model.prior_params(as_cond(text))
    eps = torch.randn((3, model.cfg.d_model), generator=gen)
    z = p_mu + eps * torch.exp(0.5 * p_logvar) * model.cfg.sample_temperature
    free = model.decode(z, text, torch.full((3,), 30), 30, text_keep=torch.zeros(3))[0]
    assert torch.allclose(two, free + 2.0 * (plain - free), atol=1e-4)


def test_config_guidance_is_the_default_scale():
    model = _model(guidance=3.0)
    text = torch.randn(2, 384)
    a = model.sample(text, 20, torch.Generator().manual_seed(4))[0]
    b = model.sample(text, 20, torch.Generator().manual_seed(4), guidance=3.0)[0]
    c = model.sample(text, 20, torch.Generator().manual_seed(4), guidance=1.0)[0]
    assert torch.equal(a, b) and not torch.allclose(a, c)
