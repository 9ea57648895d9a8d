"""ATOM's phase clock (session 18): the rhythm measured from the joints in training, drawn at sampling."""
from __future__ import annotations

import math

import pytest
import torch

from app.engine.t2m import clock as C
from app.engine.t2m.atom_model import ATOM
from app.engine.t2m.config import config_from_dict
from tests.t2m_fakes import TINY_ATOM

FPS = 20.0


def _clap(shift: float = 0.0, hz: float = 2.0, frames: int = 120, amp: float = 0.15) -> torch.Tensor:
    """Local positions [1, T, 63] of two wrists swinging in and out against each other."""
    t = torch.arange(frames) / FPS
    x = torch.zeros(1, frames, 63)
    s = amp * torch.sin(2 * math.pi * hz * t + shift)
    x[0, :, 19 * 3], x[0, :, 20 * 3] = s, -s
    return x


def test_measured_rate_envelope_and_one_sign_convention():
    lengths = torch.tensor([120])
    a = C.measure(_clap(), lengths, FPS)
    mid = slice(20, 100)                                   # away from the transform's edges
    fast = 1                                               # BANDS[1] = 1.5-4.5 Hz holds the 2 Hz clap
    assert abs(float(a["freq"][0, mid, fast].mean()) - 2.0) < 0.05
    assert abs(float(a["amp"][0, mid, fast].mean()) - 0.15 * math.sqrt(2)) < 0.01
    assert float(a["amp"][0, mid, 0].max()) < 0.02          # nothing in the slow band
    slow = C.measure(_clap(hz=1.0), lengths, FPS)
    assert abs(float(slow["freq"][0, mid, 0].mean()) - 1.0) < 0.05 and float(slow["amp"][0, mid, 1].max()) < 0.02
    # the same clap half a cycle later is read half a cycle later, not as the same clap flipped:
    # one sign convention for every motion, so the decoder never sees two phases for one pose
    b = C.measure(_clap(math.pi), lengths, FPS)
    d = torch.remainder(b["phase"] - a["phase"] + math.pi, 2 * math.pi) - math.pi
    assert float(d[0, mid, fast].abs().min()) > 3.0
    still = C.measure(torch.zeros(1, 120, 63), lengths, FPS)
    assert float(still["amp"].abs().max()) == 0.0


def test_padding_is_ignored_and_features_are_bounded():
    x = torch.cat([_clap(frames=80), torch.zeros(1, 40, 63)], 1)
    m = C.measure(x, torch.tensor([80]), FPS)
    assert float(m["amp"][0, 80:].abs().max()) == 0.0
    f = C.features(m["phase"], m["amp"] * 100)
    nb = len(C.BANDS)
    assert f.shape == (1, 120, 3 * nb) and float(f[..., 2 * nb:].max()) <= C.AMP_MAX


def test_a_model_gaining_the_clock_starts_unchanged_and_samples_reproducibly():
    torch.manual_seed(0)
    old = ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True))).eval()
    new = ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True, clock=True))).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("clock.") for k in missing)
    text = torch.randn(2, 384)
    a = old.sample(text, 30, torch.Generator().manual_seed(3))[0]
    b = new.sample(text, 30, torch.Generator().manual_seed(3))[0]
    assert torch.allclose(a, b, atol=1e-6)
    c = new.sample(text, 30, torch.Generator().manual_seed(3))[0]
    assert torch.equal(b, c)


def test_the_decoder_hears_the_clock_once_trained():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True, clock=True)))
    batch = {"x": torch.randn(2, 40, 263), "lengths": torch.tensor([40, 29]), "text": torch.randn(2, 384)}
    loss, logs = model.loss(batch, 0.5)
    assert math.isfinite(logs["clock"]) and logs["clock"] > 0
    loss.backward()
    assert model.clock.inp.weight.grad is not None and float(model.clock.inp.weight.grad.abs().sum()) > 0
    assert float(model.clock.prior[0].weight.grad.abs().sum()) > 0
    assert float(model.clock.readout.weight.grad.abs().sum()) > 0      # the phase-modulated readout learns
    with torch.no_grad():                        # a non-zero input projection: two clocks, two motions
        model.clock.inp.weight.normal_()
    model.eval()
    z, text, lengths = torch.zeros(1, model.cfg.d_model), torch.randn(1, 384), torch.tensor([30])
    with torch.no_grad():
        amp = torch.full((1, 30, len(C.BANDS)), 0.2)
        one = model.decode(z, text, lengths, 30, clock=C.features(torch.zeros(1, 30, len(C.BANDS)), amp))[0]
        two = model.decode(z, text, lengths, 30, clock=C.features(torch.full((1, 30, len(C.BANDS)), 2.0), amp))[0]
    assert float((one - two).abs().max()) > 1e-3


def test_drawn_clock_follows_the_predicted_rate():
    head = C.ClockHead(16, FPS)
    bias = torch.zeros(1, 60, 16)
    with torch.no_grad():
        rate, amp = head.predict(bias)
        clock = head.sample(bias, 60, torch.Generator().manual_seed(0))
    nb = len(C.BANDS)
    assert clock.shape == (1, 60, 3 * nb)
    phase = torch.atan2(clock[0, :, :nb], clock[0, :, nb:2 * nb])
    step = torch.remainder(torch.diff(phase, dim=0), 2 * math.pi)
    assert torch.allclose(step, 2 * math.pi * rate[0, 1:] / FPS, atol=1e-4)
    for k, (lo, hi) in enumerate(C.BANDS):
        assert lo <= float(rate[0, 0, k]) <= hi


def test_best_offset_recovers_a_known_starting_phase():
    t = torch.arange(80, dtype=torch.float32)[None, :, None]
    drift = 2 * math.pi * 2.0 * t / FPS * torch.ones(1, 1, len(C.BANDS))
    phase = torch.remainder(drift + 1.1 + math.pi, 2 * math.pi) - math.pi
    amp = torch.full((1, 80, len(C.BANDS)), 0.2)
    valid = torch.ones(1, 80, dtype=torch.bool)
    phi0, weight = C.best_offset(phase, amp, drift, valid)
    assert torch.allclose(phi0, torch.full_like(phi0, 1.1), atol=1e-4)
    assert torch.allclose(weight, torch.ones_like(weight))            # a clear rhythm, fully agreeing
    _, none = C.best_offset(phase, torch.zeros_like(amp), drift, valid)
    assert float(none.max()) == 0.0                                  # nothing oscillates: no weight


def test_a_phase_head_reads_the_starting_phase_off_z():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True, clock=True, clock_phase=True))).eval()
    with torch.no_grad():
        model.clock.inp.weight.normal_()
    text = torch.randn(1, 384)
    a = model.sample(text, 30, torch.Generator().manual_seed(3))[0]
    b = model.sample(text, 30, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)
    z = torch.randn(4, model.cfg.d_model)
    with torch.no_grad():
        phi0 = model.clock_phase(z, torch.randn(4, model.cfg.d_model))
    assert phi0.shape == (4, 1, len(C.BANDS)) and float(phi0.abs().max()) <= math.pi
    pred = torch.zeros(2, 1, 2)
    assert float(C.PhaseHead.loss(pred, torch.zeros(2, 2), torch.ones(2, 2))) == 0.0
    assert abs(float(C.PhaseHead.loss(pred, torch.full((2, 2), math.pi), torch.ones(2, 2))) - 2.0) < 1e-6


def test_draft_phase_aligns_the_drawn_clock_with_the_drafts_rhythm():
    nb = len(C.BANDS)
    x = _clap(shift=1.0)                                    # 2 Hz: the fast band
    draft = C.measure(x, torch.tensor([120]), FPS)
    drift = 2 * math.pi * torch.cumsum(torch.full((1, 120, nb), 2.0), 1) / FPS
    phi0 = C.draft_phase(draft, drift, torch.ones(1, 120, dtype=torch.bool))
    assert phi0.shape == (1, 1, nb)
    err = torch.remainder(phi0[0, 0, 1] + drift[0, :, 1] - draft["phase"][0, :, 1] + math.pi, 2 * math.pi) - math.pi
    assert float(err[10:-10].abs().median()) < 0.3
    later = C.draft_phase(C.measure(_clap(shift=2.5), torch.tensor([120]), FPS), drift,
                          torch.ones(1, 120, dtype=torch.bool))
    gap = torch.remainder(later[0, 0, 1] - phi0[0, 0, 1], 2 * math.pi)
    assert abs(float(gap) - 1.5) < 0.3                      # the draft 1.5 rad later: so is the clock


def test_draft_sampling_reads_the_phase_off_a_clock_free_decode(monkeypatch):
    torch.manual_seed(0)
    cfg = dict(TINY_ATOM, learned_prior=True, clock=True)
    model = ATOM(config_from_dict(dict(cfg, clock_source="draft"))).eval()
    with torch.no_grad():
        model.clock.inp.weight.normal_()
        model.clock.readout.weight.normal_(std=0.05)
    text = torch.randn(2, 384)
    seen = []
    original = C.draft_phase
    monkeypatch.setattr(C, "draft_phase", lambda m, d, v: seen.append(m) or original(m, d, v))
    a = model.sample(text, 40, torch.Generator().manual_seed(3))[0]
    assert len(seen) == 1 and seen[0]["phase"].shape == (2, 40, len(C.BANDS))
    assert torch.equal(a, model.sample(text, 40, torch.Generator().manual_seed(3))[0])
    drawn = ATOM(config_from_dict(dict(cfg, clock_source="drawn"))).eval()
    drawn.load_state_dict(model.state_dict())
    assert float((a - drawn.sample(text, 40, torch.Generator().manual_seed(3))[0]).abs().max()) > 1e-4


def test_clock_drop_trains_the_clock_free_decode():
    torch.manual_seed(0)
    model = ATOM(config_from_dict(dict(TINY_ATOM, learned_prior=True, clock=True, clock_drop=1.0)))
    batch = {"x": torch.randn(2, 40, 263), "lengths": torch.tensor([40, 29]), "text": torch.randn(2, 384)}
    loss, logs = model.loss(batch, 0.5)
    loss.backward()
    assert logs["clock"] > 0 and float(model.clock.prior[0].weight.grad.abs().sum()) > 0   # the head still learns
    assert float(model.clock.readout.weight.grad.abs().sum()) == 0.0                        # the decoder heard nothing


def test_a_named_count_sets_the_rate_of_the_band_that_carries_the_motion():
    rate = torch.full((2, 50, len(C.BANDS)), 1.0)
    amp = torch.zeros(2, 50, len(C.BANDS))
    amp[:, :, 1] = 0.1                                      # the fast band carries both rows' motion
    out = C.counted_rate(rate, amp, torch.tensor([5.0, 0.0]), torch.tensor([50, 50]), FPS)
    assert torch.allclose(out[0, :, 1], torch.full((50,), 5 * FPS / 50))   # 5 cycles in 50 frames: 2 Hz
    assert torch.equal(out[0, :, 0], rate[0, :, 0]) and torch.equal(out[1], rate[1])   # no count: unchanged
    head = C.ClockHead(16, FPS)
    with torch.no_grad():
        head.prior[-1].bias.zero_()
        head.prior[-1].bias[len(C.BANDS):] = torch.tensor([0.0, 3.0])   # the fast band's envelope dominates
        clock = head.sample(torch.zeros(2, 80, 16), 80, torch.Generator().manual_seed(0),
                            reps=torch.tensor([8.0, 2.0]), lengths=torch.tensor([80, 80]))
    nb = len(C.BANDS)
    phase = torch.atan2(clock[:, :, 1], clock[:, :, nb + 1])
    cycles = torch.remainder(torch.diff(phase, dim=1), 2 * math.pi).sum(1) / (2 * math.pi)
    assert abs(float(cycles[0]) - 8 * 79 / 80) < 1e-3      # the drawn clock winds the asked number of times
    lo = C.BANDS[1][0]                                      # 2 cycles in 4 s = 0.5 Hz: below the fast band
    assert abs(float(cycles[1]) - lo * 79 / FPS) < 1e-3     # held to the rates the band was trained on


def test_count_clock_reads_the_prompts_count_and_is_off_by_default(monkeypatch):
    torch.manual_seed(0)
    cfg = dict(TINY_ATOM, learned_prior=True, clock=True, clock_source="draft")
    off = ATOM(config_from_dict(cfg)).eval()
    on = ATOM(config_from_dict(dict(cfg, count_clock=0.8))).eval()
    on.load_state_dict(off.state_dict())
    with torch.no_grad():
        on.clock.inp.weight.normal_()
        off.clock.inp.weight.copy_(on.clock.inp.weight)
    cond = {"text": torch.randn(2, 384), "tokens": torch.randn(2, 3, 384),
            "token_mask": torch.ones(2, 3, dtype=torch.bool), "slots": torch.tensor([[0, 0, 0, 4], [0, 0, 0, 0]])}
    seen = []
    original = C.counted_rate
    monkeypatch.setattr(C, "counted_rate", lambda r, a, reps, *rest: seen.append(reps) or original(r, a, reps, *rest))
    a = on.sample(cond, 40, torch.Generator().manual_seed(3))[0]
    assert seen and torch.allclose(seen[0], torch.tensor([5.0, 0.0]))   # 4 repetitions in 80 % of the clip
    b = off.sample(cond, 40, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a[1], b[1])                          # no count named: the same draw
    assert float((a[0] - b[0]).abs().max()) > 1e-4          # a count named: the clock it hears changes


def test_clock_cycles_follow_exact_counts_and_count_steps_in_gait_cycles():
    from app.engine.t2m.text_cond import as_text_cond, clock_cycles
    assert clock_cycles("a man claps eight times") == 8
    assert clock_cycles("someone does five jumping jacks") == 5 and clock_cycles("she bows twice") == 2
    assert clock_cycles("a person walks four steps forward") == 2    # one gait cycle is two steps
    assert clock_cycles("the woman jogs a few steps") == 0 and clock_cycles("he claps several times") == 0
    assert clock_cycles("a person waves with the left hand") == 0
    cond = as_text_cond(torch.zeros(2, 384).numpy(), ["claps six times", "walks"]).to_torch("cpu")
    assert torch.equal(cond["cycles"], torch.tensor([6.0, 0.0]))
    assert torch.allclose(C.named_cycles(cond, 0.5), torch.tensor([12.0, 0.0])) and C.named_cycles(cond, 0.0) is None


def test_a_count_retimes_the_band_with_the_nearest_tempo_when_asked():
    rate = torch.tensor([0.8, 2.0]).expand(1, 40, 2).clone()   # arms rise slowly, hands clap fast
    amp = torch.tensor([0.12, 0.07]).expand(1, 40, 2).clone()  # the slow rise carries more of the motion
    reps, n = torch.tensor([3.6]), torch.tensor([40])          # 3.6 cycles in 2 s: 1.8 Hz
    env = C.counted_rate(rate, amp, reps, n, FPS)
    near = C.counted_rate(rate, amp, reps, n, FPS, "nearest")
    assert float(env[0, 0, 0]) == C.BANDS[0][1] and float(env[0, 0, 1]) == 2.0   # slow band, held to its range
    assert torch.equal(near[..., 0], rate[..., 0]) and abs(float(near[0, 0, 1]) - 1.8) < 1e-6  # the claps' band retimed
    with pytest.raises(ValueError):
        C.ClockHead(8, FPS, count_band="loudest")
