"""ATOM's learned prior p(z | text) and the phase-free spectral loss (tiny random-weight model)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.t2m.atom_model import ATOM, spec_weight
from app.core.config_overrides import apply_overrides
from app.engine.t2m.config import AtomConfig, config_from_dict
from app.engine.t2m.layers import spectral_l2
from tests.t2m_fakes import TINY_ATOM

TINY_PRIOR = dict(TINY_ATOM, word_emb=True, word_layers=1, learned_prior=True)


def _wave(t: int, phase: float, amp: float = 1.0) -> torch.Tensor:
    s = torch.arange(t, dtype=torch.float32) / 20.0
    return (amp * torch.sin(2 * np.pi * 1.5 * s + phase))[None, :, None].repeat(1, 1, 3)


def test_spectral_loss_ignores_phase_but_not_damping():
    """A wave shifted in phase costs ~nothing; the same wave damped to 30 % (MSE's answer) costs."""
    t = 80
    valid = torch.ones(1, t, dtype=torch.bool)
    ref = _wave(t, 0.0)
    shifted = spectral_l2(_wave(t, 1.3), ref, valid)
    damped = spectral_l2(_wave(t, 0.0, 0.3), ref, valid)
    assert float(shifted) < 0.02 * float(damped)
    # MSE prefers the damped wave to the phase-shifted one: the failure the spectral term answers
    assert float((_wave(t, 0.0, 0.3) - ref).pow(2).mean()) < float((_wave(t, 1.3) - ref).pow(2).mean())


def test_spectral_loss_masks_padding():
    t = 60
    ref = _wave(t, 0.0)
    pred = ref.clone()
    pred[:, 40:] = 5.0  # garbage in padded frames
    valid = torch.zeros(1, t, dtype=torch.bool)
    valid[:, :40] = True
    assert float(spectral_l2(pred, ref, valid)) < 1e-8


def _batch(b: int = 2, t: int = 12) -> dict[str, torch.Tensor]:
    return {"x": torch.randn(b, t, 263), "lengths": torch.tensor([t, t - 3]), "text": torch.randn(b, 384),
            "tokens": torch.randn(b, 4, 384), "token_mask": torch.ones(b, 4, dtype=torch.bool),
            "slots": torch.tensor([[1, 0, 0, 2], [2, 1, 0, 0]])}


def test_learned_prior_starts_at_standard_normal_and_trains():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_PRIOR, w_spec=1.0)))
    batch = _batch()
    mu, logvar = model.prior_params(batch)
    assert torch.allclose(mu, torch.zeros_like(mu)) and torch.allclose(logvar, torch.zeros_like(logvar))
    loss, logs = model.loss(batch, 0.5, torch.Generator().manual_seed(0))
    loss.backward()
    assert logs["spec"] > 0 and np.isfinite(logs["loss"])
    assert model.prior[-1].weight.grad.abs().sum() > 0  # the KL reaches the prior


def test_sampling_draws_z_from_the_learned_prior():
    """Moving the prior's mean moves the sample; N(0, I) models are untouched by the switch."""
    torch.manual_seed(0)
    model = ATOM(config_from_dict(TINY_PRIOR)).eval()
    batch = _batch()
    a, _ = model.sample(batch, 10, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        model.prior[-1].bias[: model.cfg.d_model] += 3.0 * torch.randn(model.cfg.d_model)  # not a constant: LayerNorm
    b, _ = model.sample(batch, 10, generator=torch.Generator().manual_seed(3))
    assert (a - b).abs().mean() > 1e-3
    plain = ATOM(config_from_dict(dict(TINY_ATOM))).eval()
    mu, logvar = plain.prior_params({"text": torch.randn(2, 384)})
    assert float(mu.abs().sum() + logvar.abs().sum()) == 0.0


def test_sample_temperature_zero_decodes_the_prior_mean_for_every_seed():
    """Temperature 0 (argument or the config's ``sample_temperature``) ignores the seed; 1 does not."""
    torch.manual_seed(0)
    model = ATOM(config_from_dict(TINY_PRIOR)).eval()
    batch = _batch()
    run = lambda seed, **kw: model.sample(batch, 10, generator=torch.Generator().manual_seed(seed), **kw)[0]  # noqa: E731
    assert torch.equal(run(1, temperature=0.0), run(2, temperature=0.0))
    assert (run(1) - run(2)).abs().mean() > 1e-4
    cold = ATOM(config_from_dict(dict(TINY_PRIOR, sample_temperature=0.0))).eval()
    cold.load_state_dict(model.state_dict())
    a = cold.sample(batch, 10, generator=torch.Generator().manual_seed(1))[0]
    b = cold.sample(batch, 10, generator=torch.Generator().manual_seed(2))[0]
    assert torch.equal(a, b) and torch.allclose(a, run(5, temperature=0.0))


def test_override_parses_bools_and_numbers():
    cfg = apply_overrides(AtomConfig(), ["learned_prior=0"])
    assert cfg.learned_prior is False
    cfg = apply_overrides(cfg, ["learned_prior=true"])
    assert cfg.learned_prior is True
    assert apply_overrides(cfg, ["w_spec=2.5"]).w_spec == 2.5
    assert apply_overrides(cfg, ["dec_layers=6"]).dec_layers == 6


def test_periodic_bank_starts_silent_and_learns_a_rhythm():
    """Zero-initialised output (an old checkpoint is unchanged); a few steps fit a 2 Hz swing with it."""
    from app.engine.t2m.layers import PeriodicBank

    torch.manual_seed(0)
    bank = PeriodicBank(8, n=8, fps=20.0)
    z, ctx = torch.randn(1, 8), torch.randn(1, 8)
    assert float(bank(z, ctx, 40).abs().max()) == 0.0
    target = torch.sin(2 * np.pi * 2.0 * torch.arange(40) / 20.0)[None, :, None].repeat(1, 1, 8)
    opt = torch.optim.Adam(bank.parameters(), lr=1e-2)
    first = None
    for _ in range(150):
        loss = (bank(z, ctx, 40) - target).pow(2).mean()
        first = float(loss) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.2 * first


def test_atom_with_periodic_bank_decodes_and_trains():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_PRIOR, periodic=4, w_spec=1.0)))
    loss, logs = model.loss(_batch(), 0.5, torch.Generator().manual_seed(0))
    loss.backward()
    assert np.isfinite(logs["loss"]) and model.periodic.out.weight.grad.abs().sum() > 0
    feats, att = model.eval().sample(_batch(), 10, generator=torch.Generator().manual_seed(0))
    assert feats.shape == (2, 10, 263) and torch.isfinite(feats).all()


def test_z_noise_zero_decodes_the_posterior_mean():
    """z_noise scales the reparameterisation noise: at 0 the reconstruction no longer depends on the draw."""
    torch.manual_seed(0)
    batch = _batch()
    for noise, same in ((0.0, True), (1.0, False)):
        model = ATOM(config_from_dict(dict(TINY_PRIOR, z_noise=noise)))
        recs = [model.loss(batch, 0.0, torch.Generator().manual_seed(s))[1]["rec"] for s in (1, 2)]
        assert (abs(recs[0] - recs[1]) < 1e-6) == same


def test_decoder_text_dropout_decodes_from_z_alone():
    """With text_keep = 0 the decoder output no longer depends on the text, only on z (dec_text_drop)."""
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_PRIOR, dec_text_drop=0.5))).eval()
    a, b = _batch(), _batch()
    b["text"], b["tokens"] = torch.randn(2, 384), torch.randn(2, 4, 384)
    z, n = torch.randn(2, model.cfg.d_model), torch.tensor([12, 12])
    off = torch.zeros(2)
    with torch.no_grad():
        same = (model.decode(z, a, n, 12, off)[0] - model.decode(z, b, n, 12, off)[0]).abs().max()
        differ = (model.decode(z, a, n, 12)[0] - model.decode(z, b, n, 12)[0]).abs().max()
        z_matters = (model.decode(z, a, n, 12, off)[0] - model.decode(-z, a, n, 12, off)[0]).abs().max()
    assert float(same) < 1e-5 and float(differ) > 1e-3 and float(z_matters) > 1e-3
    model.train()
    loss, logs = model.loss(a, 0.5, torch.Generator().manual_seed(1))
    loss.backward()
    assert np.isfinite(logs["loss"]) and model.encoder.layers[0].linear1.weight.grad.abs().sum() > 0


def test_spectral_term_is_off_until_spec_from_then_ramps_in():
    """spec_from delays w_spec: the total loss carries no spectral share before it, all of it after the ramp."""
    assert spec_weight(0.3, 0.0) == 1.0
    assert spec_weight(0.49, 0.5) == 0.0 and spec_weight(0.55, 0.5) == pytest.approx(0.5) and spec_weight(0.7, 0.5) == 1.0
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_PRIOR, w_spec=1.0, spec_from=0.5, mask_max=0.0)))
    batch = _batch()
    early = model.loss(batch, 0.2, torch.Generator().manual_seed(0))[1]
    late = model.loss(batch, 0.9, torch.Generator().manual_seed(0))[1]
    assert early["spec"] > 0 and abs(early["spec"] - late["spec"]) < 1e-5  # still logged while off
    assert abs((late["loss"] - early["loss"]) - late["spec"]) < 1e-4


def test_w_ric_adds_the_local_joint_position_error_only():
    """w_ric adds w_ric x the masked MSE of the 63 RIC dims to the reconstruction, nothing else."""
    from app.engine.repr.humanml3d import RIC
    from app.engine.t2m.layers import masked_mse, padding_mask
    torch.manual_seed(0)
    base = ATOM(config_from_dict(dict(TINY_PRIOR)))
    with_ric = ATOM(config_from_dict(dict(TINY_PRIOR, w_ric=2.0)))
    with_ric.load_state_dict(base.state_dict())
    batch = _batch()
    _, a = base.loss(batch, 0.0, torch.Generator().manual_seed(1))
    _, b = with_ric.loss(batch, 0.0, torch.Generator().manual_seed(1))
    with torch.no_grad():           # the prediction both losses saw (progress 0: no masking, same z noise)
        mu, logvar = base.encode(batch["x"], batch["lengths"], batch)
        eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(1))
        pred, _ = base.decode(mu + base.cfg.z_noise * eps * torch.exp(0.5 * logvar), batch, batch["lengths"], 12)
    valid = ~padding_mask(batch["lengths"], 12)
    ric = float(masked_mse(pred[..., RIC], batch["x"][..., RIC], valid))
    assert ric > 0.1
    assert b["rec"] == pytest.approx(a["rec"] + 2.0 * ric, rel=1e-4)
