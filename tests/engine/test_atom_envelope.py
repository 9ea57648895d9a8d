"""Band envelopes (app/engine/t2m/envelope.py): amplitude per frame, phase-free, local in time."""
import math

import torch

from app.engine.t2m.envelope import ENV_SCALE, band_envelopes, envelope_l2


def _sine(t: int, hz: float, amp: torch.Tensor, phase: float = 0.0) -> torch.Tensor:
    s = torch.arange(t, dtype=torch.float32) / 20.0
    return (amp * torch.sin(2 * math.pi * hz * s + phase))[None, :, None]


def test_fast_band_envelope_reads_the_amplitude_in_decimetres():
    x = _sine(160, 2.0, torch.full((160,), 0.1))
    env = band_envelopes(x, torch.ones(1, 160, dtype=torch.bool))
    mid = env[0, 20:140]
    assert torch.allclose(mid[:, 1], torch.full_like(mid[:, 1], 0.1 * ENV_SCALE), atol=0.05)
    assert float(mid[:, 0].max()) < 0.1       # nothing in the slow band


def test_a_fading_swing_costs_more_than_a_phase_shift():
    t = 160
    valid = torch.ones(1, t, dtype=torch.bool)
    steady = _sine(t, 2.0, torch.full((t,), 0.1))
    shifted = _sine(t, 2.0, torch.full((t,), 0.1), phase=1.5)
    fade = _sine(t, 2.0, torch.cat([torch.full((80,), 0.1), torch.full((80,), 0.02)]))   # the last half damped
    assert float(envelope_l2(shifted, steady, valid)) < 0.01
    assert float(envelope_l2(fade, steady, valid)) > 0.1


def test_padding_is_silent_and_the_loss_has_a_gradient():
    t = 120
    valid = torch.zeros(2, t, dtype=torch.bool)
    valid[0, :120], valid[1, :80] = True, True
    ref = torch.cat([_sine(t, 2.0, torch.full((t,), 0.1))] * 2)
    ref[1, 80:] = 5.0                                   # padding garbage must not count
    env = band_envelopes(ref, valid)
    assert float(env[1, 80:].abs().max()) == 0.0
    pred = (ref * 0.5).requires_grad_(True)
    loss = envelope_l2(pred, ref, valid)
    loss.backward()
    assert float(loss.detach()) > 0.05 and float(pred.grad[:, :80].abs().sum()) > 0
