"""ATOM's prior path (the CVAE hybrid objective, ``w_prior_path``; tiny random-weight models)."""
from __future__ import annotations

import numpy as np
import torch

from app.engine.t2m.atom_model import ATOM
from app.engine.t2m.config import config_from_dict
from tests.t2m_fakes import TINY_ATOM

TINY = dict(TINY_ATOM, word_emb=True, word_layers=1, learned_prior=True, w_kl=0.0, w_sparse=0.0, w_ortho=0.0,
            w_usage=0.0, w_joint=0.0, w_segment=0.0, mask_max=0.0, dec_text_drop=0.0)


def _batch(b: int = 2, t: int = 16) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {"x": torch.randn(b, t, 263, generator=g), "lengths": torch.tensor([t, t - 4]),
            "text": torch.randn(b, 384, generator=g), "tokens": torch.randn(b, 4, 384, generator=g),
            "token_mask": torch.ones(b, 4, dtype=torch.bool), "slots": torch.tensor([[1, 0, 0, 2], [2, 1, 0, 0]])}


def _prior_grad(w: float) -> float:
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY, w_prior_path=w)))
    loss, logs = model.loss(_batch(), 0.5, torch.Generator().manual_seed(0))
    loss.backward()
    assert np.isfinite(logs["loss"])
    return float(model.prior[-1].weight.grad.abs().sum()), logs["prior_path"]


def test_off_by_default_and_then_silent():
    assert config_from_dict(dict(TINY)).w_prior_path == 0.0
    grad, term = _prior_grad(0.0)
    assert term == 0.0 and grad == 0.0  # w_kl = 0: nothing else reaches the prior


def test_prior_path_trains_the_prior():
    """Only the prior path's decode of a drawn z gives the prior a gradient when the KL is off."""
    grad, term = _prior_grad(1.0)
    assert term > 0.0 and grad > 0.0


def _speeds_of_draws(w_prior_path: float) -> torch.Tensor:
    """Two texts whose motions differ only in forward speed (and in each item's phase of a limb's swing), the
    shipped KL weight: the mean forward speed of one draw per text at the sampling temperature after training."""
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY, w_prior_path=w_prior_path, w_spec=0.3, w_kl=1e-4)))
    t, n = 24, 8
    g = torch.Generator().manual_seed(2)
    speed = torch.tensor([-1.0, 1.0]).repeat_interleave(n // 2)
    x = 0.1 * torch.randn(n, t, 263, generator=g)
    x[..., 2] += speed[:, None]
    phase = torch.rand(n, 1, generator=g) * 6.28
    x[..., 10] += torch.sin(torch.arange(t)[None] * 0.8 + phase)
    text = torch.zeros(n, 384)
    text[:, 0] = speed
    batch = {"x": x, "lengths": torch.full((n,), t), "text": text, "tokens": text[:, None].repeat(1, 2, 1),
             "token_mask": torch.ones(n, 2, dtype=torch.bool), "slots": torch.zeros(n, 4, dtype=torch.long)}
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for step in range(120):
        loss, _ = model.loss(batch, step / 120, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    cond = {k: v[[0, n - 1]] for k, v in batch.items() if k in ("text", "tokens", "token_mask", "slots")}
    feats, _ = model.sample(cond, t, torch.Generator().manual_seed(3), temperature=0.5)
    return feats[..., 2].mean(1)


def test_prior_samples_keep_each_texts_speed():
    """Without the prior path the draws travel at about the mean speed of both texts (the decoder reads speed
    from z and the prior, under a small KL weight, does not land on it); with it each text keeps its own."""
    v = _speeds_of_draws(1.0)
    assert float(v[0]) < -0.6 and float(v[1]) > 0.6, v
    v0 = _speeds_of_draws(0.0)
    assert float(v0.abs().max()) < 0.4, v0


def test_band_spectrum_asks_for_the_amplitude_whatever_the_tempo():
    """Bins: a draw that guesses the tempo (1.15 Hz for the data's 1.0 Hz) pays less when it damps the
    oscillation; bands (``prior_path_bands``): it pays least at the data's amplitude."""
    from app.engine.t2m.layers import band_spectral_l2, spectral_l2

    t = torch.arange(120, dtype=torch.float32) / 20.0
    ref = torch.sin(2 * torch.pi * 1.0 * t)[None, :, None]
    guess = torch.sin(2 * torch.pi * 1.15 * t + 0.7)[None, :, None]
    mask = torch.ones(1, 120, dtype=torch.bool)
    bins = [float(spectral_l2(s * guess, ref, mask)) for s in (1.0, 0.5, 0.0)]
    bands = [float(band_spectral_l2(s * guess, ref, mask)) for s in (1.0, 0.5, 0.0)]
    assert bins[2] < bins[0]                    # per-bin: no motion at all beats the right amplitude
    assert bands[0] < bands[1] < bands[2]       # bands: the right amplitude is best
    assert bands[0] < 0.1 * bands[2]
    same = float(band_spectral_l2(ref, ref, mask))
    assert same < 1e-6
