"""Phase-free local losses of ATOM (session 10): low-passed per-frame MSE + multi-resolution STFT."""
from __future__ import annotations

import numpy as np
import torch

from app.engine.t2m.atom_model import ATOM
from app.engine.t2m.config import config_from_dict
from app.engine.t2m.layers import lowpass, masked_mse, stft_l1
from tests.t2m_fakes import TINY_ATOM


def _burst(t: int, phase: float, amp: float = 1.0, hz: float = 3.0) -> torch.Tensor:
    """A 3 Hz oscillation (a wave's swings) between 1 s and 5 s, silent elsewhere: [1, t, 2]."""
    s = torch.arange(t, dtype=torch.float32) / 20.0
    env = ((s > 1.0) & (s < 5.0)).float()
    return (amp * torch.sin(2 * np.pi * hz * s + phase) * env)[None, :, None].repeat(1, 1, 2)


def test_stft_loss_ignores_phase_but_not_damping_and_mse_does_the_opposite():
    t = 120
    valid = torch.ones(1, t, dtype=torch.bool)
    ref = _burst(t, 0.0)
    shifted, damped = _burst(t, 1.7), _burst(t, 0.0, 0.3)
    assert float(stft_l1(ref, ref, valid)) < 1e-6
    assert float(stft_l1(shifted, ref, valid)) < 0.2 * float(stft_l1(damped, ref, valid))
    # per-frame MSE prefers the damped swing to the right swing at another phase: why it averages waves away
    assert float(masked_mse(damped, ref, valid)) < float(masked_mse(shifted, ref, valid))


def test_stft_loss_is_local_in_time():
    """The same swings a second later cost: the loss knows *when* the oscillation is (a global FFT does not)."""
    t = 160
    valid = torch.ones(1, t, dtype=torch.bool)
    ref = _burst(t, 0.0)
    late = torch.roll(ref, 40, dims=1)
    assert float(stft_l1(late, ref, valid)) > 0.5 * float(stft_l1(torch.zeros_like(ref), ref, valid))


def test_lowpass_keeps_the_slow_part_ignores_padding_and_drops_fast_swings():
    t = 120
    valid = torch.ones(1, t, dtype=torch.bool)
    const = torch.full((1, t, 3), 2.0)
    assert torch.allclose(lowpass(const, valid, 3.0), const, atol=1e-5)  # ends are not pulled to 0
    part = valid.clone()
    part[:, 80:] = False
    step = torch.cat([torch.ones(1, 80, 1), 9.0 * torch.ones(1, 40, 1)], dim=1)
    assert float(lowpass(step, part, 3.0)[0, :80].max()) < 1.0 + 1e-5  # padded frames never leak in
    s = torch.arange(t, dtype=torch.float32) / 20.0
    swing = torch.sin(2 * np.pi * 3.0 * s)[None, :, None]  # 3 Hz swings: gone; 0.3 Hz sway: kept
    sway = torch.sin(2 * np.pi * 0.3 * s)[None, :, None]
    assert float(lowpass(swing, valid, 3.0)[:, 10:-10].abs().max()) < 0.05
    assert float((lowpass(sway, valid, 3.0) - sway)[:, 10:-10].abs().max()) < 0.05


def _batch(b: int = 2, t: int = 40) -> dict[str, torch.Tensor]:
    return {"x": torch.randn(b, t, 263), "lengths": torch.tensor([t, t - 7]), "text": torch.randn(b, 384)}


def test_atom_loss_with_lowpass_and_stft_trains_and_leaves_root_and_contacts_full_band():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_ATOM, rec_lowpass=3.0, w_stft=1.0)))
    batch = _batch()
    loss, logs = model.loss(batch, 0.5, torch.Generator().manual_seed(0))
    loss.backward()
    assert logs["stft"] > 0 and np.isfinite(logs["loss"])
    assert model.head.weight.grad.abs().sum() > 0
    # a fast wobble on a limb dim is (almost) free for the low-passed MSE; the same on a root dim is not
    from app.engine.t2m.atom_model import LOCAL
    valid = torch.ones(1, 120, dtype=torch.bool)
    wob = _burst(120, 0.0)[..., :1]
    x = torch.zeros(1, 120, 263)
    for dim, expect_small in ((LOCAL.start + 3, True), (1, False)):
        y = x.clone()
        y[..., dim:dim + 1] = wob
        fit = torch.cat([y[..., :LOCAL.start], lowpass(y[..., LOCAL], valid, 3.0), y[..., LOCAL.stop:]], -1)
        err = float(masked_mse(fit, x, valid)) * 263
        assert (err < 0.01) == expect_small
