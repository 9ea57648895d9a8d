"""Phase-free local losses of ATOM (session 10): low-passed per-frame MSE + multi-resolution STFT."""
from __future__ import annotations

import numpy as np
import pytest
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


def _hands(t: int, together: bool) -> torch.Tensor:
    """Features [1, t, 263] whose wrists swing 0.15 m sideways at 2 Hz: in step (a sway) or against each other (a clap)."""
    f = torch.zeros(1, t, 263)
    f[..., 3] = 0.9
    s = torch.arange(t, dtype=torch.float32) / 20.0
    swing = 0.15 * torch.sin(2 * np.pi * 2.0 * s)
    for joint, side, sign in ((20, 0.2, 1.0), (21, -0.2, 1.0 if together else -1.0)):
        base = 4 + (joint - 1) * 3
        f[0, :, base] = side + sign * swing
        f[0, :, base + 1] = 1.2
    return f


def test_pair_distances_tell_a_clap_from_a_sway_that_per_joint_spectra_cannot():
    from app.engine.t2m.layers import PAIR_JOINTS, pair_distances
    t = 120
    valid = torch.ones(1, t, dtype=torch.bool)
    clap, sway = _hands(t, together=False), _hands(t, together=True)
    # each wrist's own track has the same magnitude spectrum in both: the per-dim STFT loss sees nothing
    assert float(stft_l1(clap[..., 4:67], sway[..., 4:67], valid)) < 1e-3  # float noise only
    d_clap, d_sway = pair_distances(clap), pair_distances(sway)
    assert d_clap.shape == (1, t, len(PAIR_JOINTS) * (len(PAIR_JOINTS) - 1) // 2)
    i = [k for k, (a, b) in enumerate(torch.triu_indices(len(PAIR_JOINTS), len(PAIR_JOINTS), 1).T.tolist())
         if {PAIR_JOINTS[a], PAIR_JOINTS[b]} == {20, 21}][0]
    assert float(d_clap[0, :, i].max() - d_clap[0, :, i].min()) > 0.5   # hands meet and part
    assert float(d_sway[0, :, i].max() - d_sway[0, :, i].min()) < 1e-5  # hands keep their distance
    per_joint = float(stft_l1(clap[..., 4:67], sway[..., 4:67], valid))
    assert float(stft_l1(d_clap[..., i:i + 1], d_sway[..., i:i + 1], valid)) > 100 * max(per_joint, 1e-6)


@pytest.mark.parametrize("term, extra", [("pair", {}), ("jerk", {}), ("jerk", {"jerk_mode": "excess"})])
def test_atom_loss_with_extra_term_backpropagates(term, extra):
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_ATOM, **{f"w_{term}": 10.0}, **extra)))
    batch = _batch()
    batch["x"] = batch["x"].mean(1, keepdim=True).expand_as(batch["x"]).contiguous()  # still data: any jerk is excess
    loss, logs = model.loss(batch, 0.5, torch.Generator().manual_seed(0))
    loss.backward()
    assert logs[term] > 0 and np.isfinite(logs["loss"])
    assert model.head.weight.grad.abs().sum() > 0


def test_pair_channels_ask_for_a_turn_either_way_but_not_for_none():
    """A half turn to the left costs (almost) nothing against one to the right; standing still costs."""
    from app.engine.t2m.layers import pair_channels
    t = 80
    valid = torch.ones(1, t, dtype=torch.bool)
    turn = torch.zeros(1, t, 263)
    turn[..., 3] = 0.9
    turn[0, 20:60, 0] = np.pi / 40  # rad per frame: 180 degrees in 2 s
    left, right, still = pair_channels(turn), pair_channels(-turn), pair_channels(turn * 0)
    assert float(stft_l1(left, right, valid)) < 1e-3 * float(stft_l1(still, right, valid))


def test_jerk_loss_sees_frame_noise_not_a_smooth_swing_or_padding():
    """jerk_mse (session 26): zero for the data itself, small for a slow offset of the whole
    swing, large for 1 cm frame-to-frame noise, and blind to padded frames."""
    from app.engine.t2m.layers import jerk_mse
    t = 120
    valid = torch.ones(1, t, dtype=torch.bool)
    ref = 0.3 * _burst(t, 0.0, hz=1.0)
    noisy = ref + 0.01 * torch.randn(ref.shape, generator=torch.Generator().manual_seed(0))
    slow = ref + 0.05 * torch.sin(torch.arange(t, dtype=torch.float32) / 20.0 * 2 * np.pi * 0.25)[None, :, None]
    assert float(jerk_mse(ref, ref, valid)) == 0.0
    assert float(jerk_mse(noisy, ref, valid)) > 50 * float(jerk_mse(slow, ref, valid))
    part = valid.clone()
    part[:, 80:] = False
    spoiled = ref.clone()
    spoiled[:, 80:] += 5.0 * torch.randn(1, 40, 2)
    assert float(jerk_mse(spoiled, ref, part)) == 0.0


def test_jerk_excess_charges_noise_but_not_a_fast_swing_at_another_time():
    """jerk_excess (session 27): the data's own fast swings a second later cost nothing (jerk_mse charges
    them, which damps punches), 1 cm frame noise on top of the data costs, and padding is ignored."""
    from app.engine.t2m.layers import jerk_excess, jerk_mse
    t = 160
    valid = torch.ones(1, t, dtype=torch.bool)
    ref = 0.3 * _burst(t, 0.0)
    late = torch.roll(ref, 20, dims=1)
    noisy = ref + 0.01 * torch.randn(ref.shape, generator=torch.Generator().manual_seed(0))
    assert float(jerk_excess(late, ref, valid)) < 1e-6 < float(jerk_mse(late, ref, valid))
    assert float(jerk_excess(noisy, ref, valid)) > 1e-4
    assert float(jerk_excess(ref * 0.5, ref, valid)) == 0.0          # damping is rec's and spec's business
    part = valid.clone()
    part[:, 120:] = False
    spoiled = ref.clone()
    spoiled[:, 120:] += 5.0 * torch.randn(1, 40, 2)
    assert float(jerk_excess(spoiled, ref, part)) == 0.0

