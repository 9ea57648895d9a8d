"""Phase clock: a motion's rhythm as an explicit decoder input (``clock`` in the config, session 18).

Why: per-frame regression of a repeated action (claps, waves, punches, jumping jacks) whose phase
the latents do not pin down answers with the average over phases, i.e. no swing (models/atom/README.md,
sessions 4-14: the decoder damps them even from its own posterior).  Here the phase is not a guess.
In training the decoder is told the motion's own clock, measured from its joints; at sampling the
clock is *drawn*: its rate and strength per frame come from the text (a small head on the decoder's
per-frame text bias), its starting phase is uniform.  The decoder has learned to put a clap's meeting
hands where the clock says, so a drawn clock gives a full clap at a drawn time instead of an average.

The measured clock, one per frequency band of ``BANDS`` (a slow one for gait and jumping jacks, a
fast one for claps, waves and punches; one band mixed a clap's fast beat with its arms' slow rise and
read 0.5-1.3 Hz): the local joint positions (root-relative, metres) are band-passed; their first principal component over the clip is the rhythm's shape, signed against a
fixed reference direction (one convention for every motion, else a clip and its pi-shifted twin
would teach the decoder to average again); its analytic signal (Hilbert transform) gives the phase
phi(t) and envelope a(t), and the unwrapped phase's slope the rate f(t).  Decoder input per frame:
[a sin phi, a cos phi, a] per band, a in decimetres (clipped to 5).
"""
from __future__ import annotations

import math

import torch
from torch import nn

BANDS = ((0.5, 1.5), (1.5, 4.5))   # Hz: below 0.5 a reach or a sit, above 4.5 jitter
AMP_SCALE = 10.0       # metres -> decimetres
AMP_MAX = 5.0
CHANNELS = 3 * len(BANDS)
SOURCES = ("drawn", "draft")   # where a sampled clock's starting phase comes from (config clock_source)
COUNT_BANDS = ("envelope", "nearest")  # which band a named count retimes (config count_clock_band, counted_rate)


def _reference(dim: int, device, dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(1234)
    return torch.randn(dim, generator=g).to(device=device, dtype=dtype)


def hilbert_gain(n: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """Per-bin gain [n] that turns a length-n FFT into its analytic signal's (1, 2 ... 2, 1, 0 ... 0)."""
    h = torch.zeros(n, dtype=dtype, device=device)
    h[0] = 1.0
    if n % 2 == 0:
        h[n // 2] = 1.0
        h[1:n // 2] = 2.0
    else:
        h[1:(n + 1) // 2] = 2.0
    return h


def _analytic(x: torch.Tensor) -> torch.Tensor:
    """Analytic signal of real x [L] (FFT Hilbert transform)."""
    spec = torch.fft.fft(x)
    return torch.fft.ifft(spec * hilbert_gain(x.shape[0], x.device, spec.real.dtype))


@torch.no_grad()
def measure(local: torch.Tensor, lengths: torch.Tensor, fps: float) -> dict[str, torch.Tensor]:
    """Phase, envelope (metres) and rate (Hz) per frame and band [B, T, len(BANDS)] of local
    positions [B, T, D] (metres); frames past each length are zero."""
    b, t, d = local.shape
    nb = len(BANDS)
    out = {k: local.new_zeros((b, t, nb)) for k in ("phase", "amp", "freq")}
    ref = _reference(d, local.device, torch.float32)
    for i in range(b):
        n = int(lengths[i])
        if n < 8:
            continue
        x = local[i, :n].float()
        spec = torch.fft.rfft(x - x.mean(0, keepdim=True), dim=0)
        f = torch.fft.rfftfreq(n, d=1.0 / fps).to(x.device)
        for k, (lo, hi) in enumerate(BANDS):
            keep = ((f >= lo) & (f < hi)).to(spec.dtype)
            xb = torch.fft.irfft(spec * keep[:, None], n=n, dim=0)
            if float(xb.abs().max()) < 1e-6:
                out["freq"][i, :n, k] = lo
                continue
            v = torch.linalg.svd(xb, full_matrices=False)[2][0]
            if float(v @ ref) < 0:
                v = -v
            z = _analytic(xb @ v)
            phase = torch.angle(z)
            unwrapped = phase + 2 * math.pi * torch.cumsum(
                torch.round(-torch.diff(phase, prepend=phase[:1]) / (2 * math.pi)), 0)
            rate = torch.gradient(unwrapped)[0] * fps / (2 * math.pi)
            out["phase"][i, :n, k] = phase.to(local.dtype)
            out["amp"][i, :n, k] = z.abs().to(local.dtype)
            out["freq"][i, :n, k] = rate.clamp(lo, hi).to(local.dtype)
    return out


def features(phase: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
    """Decoder input [B, T, 3 x bands] from phase and envelope (metres) [B, T, bands]."""
    a = (amp * AMP_SCALE).clamp(0.0, AMP_MAX)
    return torch.cat([a * torch.sin(phase), a * torch.cos(phase), a], -1)


class ClockHead(nn.Module):
    """Rate and envelope per frame from the decoder's per-frame text bias [B, T, d]; the clock's
    input projection onto the frame queries; and a **phase-modulated readout**: each frame's decoder
    state chooses a [features x clock channels] matrix that maps the clock onto the output features,
    so the state says *what* swings and how far, the clock *when* (a bilinear output, as
    DeepPhase's phase-modulated decoding; a clock added to the queries alone was still barely used
    after 1,350 steps).  Both zero-initialised: a checkpoint trained without a clock starts unchanged."""

    def __init__(self, d: int, fps: float = 20.0, feature_dim: int = 263, count_band: str = "envelope") -> None:
        super().__init__()
        if count_band not in COUNT_BANDS:
            raise ValueError(f"unknown count_clock_band {count_band!r}; use one of {COUNT_BANDS}")
        self.fps, self.feature_dim, self.count_band = fps, feature_dim, count_band
        self.readout = nn.Linear(d, feature_dim * CHANNELS)
        nn.init.zeros_(self.readout.weight)
        nn.init.zeros_(self.readout.bias)
        self.prior = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 2 * len(BANDS)))
        self.register_buffer("lo", torch.log(torch.tensor([b[0] for b in BANDS])), persistent=False)
        self.register_buffer("hi", torch.log(torch.tensor([b[1] for b in BANDS])), persistent=False)
        self.inp = nn.Linear(CHANNELS, d)
        nn.init.zeros_(self.inp.weight)
        nn.init.zeros_(self.inp.bias)

    def predict(self, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(rate Hz, envelope metres) [B, T, bands] from the text bias [B, T, d] (or [B, 1, d])."""
        out = self.prior(bias)
        nb = len(BANDS)
        rate = torch.exp(self.lo + (self.hi - self.lo) * torch.sigmoid(out[..., :nb]))
        amp = nn.functional.softplus(out[..., nb:]) / AMP_SCALE
        return rate, amp

    def loss(self, bias: torch.Tensor, target: dict[str, torch.Tensor], valid: torch.Tensor) -> torch.Tensor:
        """Envelope MSE (decimetres) plus log-rate MSE weighted by the envelope (a rate means nothing
        where nothing oscillates)."""
        rate, amp = self.predict(bias)
        m = valid.to(rate.dtype)
        a_err = ((amp - target["amp"]) * AMP_SCALE).pow(2)
        w = (target["amp"] * AMP_SCALE).clamp(0.0, 1.0) * m[..., None]
        r_err = (torch.log(rate) - torch.log(target["freq"].clamp(min=BANDS[0][0]))).pow(2)
        m = m[..., None].expand_as(a_err)
        return (a_err * m).sum() / m.sum().clamp(min=1.0) + (r_err * w).sum() / w.sum().clamp(min=1.0)

    def drift(self, bias: torch.Tensor, t: int, reps: torch.Tensor | None = None,
              lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(phase advanced since frame 0, envelope) [B, T, bands]: the predicted rate integrated; with
        ``reps`` [B] (a named count per row, 0 = none) the count sets the rate (:func:`counted_rate`)."""
        rate, amp = self.predict(bias)
        if rate.shape[1] != t:
            rate, amp = rate.expand(-1, t, -1), amp.expand(-1, t, -1)
        if reps is not None:
            n = torch.full_like(reps, t) if lengths is None else lengths
            rate = counted_rate(rate, amp, reps, n, self.fps, self.count_band)
        return 2 * math.pi * torch.cumsum(rate, 1) / self.fps, amp

    def sample(self, bias: torch.Tensor, t: int, generator: torch.Generator | None = None,
               phi0: torch.Tensor | None = None, reps: torch.Tensor | None = None,
               lengths: torch.Tensor | None = None) -> torch.Tensor:
        """A drawn clock [B, T, 3 x bands]: each band's predicted rate (or a named count's,
        :meth:`drift`) integrated from a starting phase ``phi0`` [B, 1, bands] (None: uniform)."""
        drift, amp = self.drift(bias, t, reps, lengths)
        if phi0 is None:
            phi0 = torch.rand((bias.shape[0], 1, len(BANDS)), generator=generator, device=bias.device,
                              dtype=bias.dtype) * 2 * math.pi
        phase = phi0 + drift
        return features(torch.remainder(phase + math.pi, 2 * math.pi) - math.pi, amp)

    def paint(self, h: torch.Tensor, clock: torch.Tensor) -> torch.Tensor:
        """Output features [B, T, F] from decoder states h [B, T, d] and the clock [B, T, C]."""
        mix = self.readout(h).view(*h.shape[:2], self.feature_dim, CHANNELS)
        return torch.einsum("btfc,btc->btf", mix, clock.to(mix.dtype))

    def forward(self, clock: torch.Tensor) -> torch.Tensor:
        """The clock's contribution to the frame queries [B, T, d]."""
        return self.inp(clock)


class PhaseHead(nn.Module):
    """The clock's starting phase per band from z and the text summary (``clock_phase``).

    A uniform starting phase is independent of z, which also carries timing (when a jump or a turn
    happens): the decoder, trained on a clock and a z that agree, then hears two timings.  This head
    reads the phase off z instead; it is fitted after training with everything else frozen
    (``scripts/train_atom_clock_phase.py``) on the offset that best aligns the drawn clock with the
    measured one (:func:`best_offset`)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * d, d), nn.GELU(), nn.Linear(d, 2 * len(BANDS)))

    def forward(self, z: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """phi0 [B, 1, bands] from z [B, d] and the text summary ctx [B, d]."""
        out = self.net(torch.cat([z, ctx], -1))
        nb = len(BANDS)
        return torch.atan2(out[:, None, nb:], out[:, None, :nb])

    @staticmethod
    def loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Weighted 1 - cos of the angle between predicted and target phases (both [B, 1, bands])."""
        w = weight[:, None, :]
        return ((1 - torch.cos(pred - target[:, None, :])) * w).sum() / w.sum().clamp(min=1e-6)


def named_cycles(cond: dict, share: float) -> torch.Tensor | None:
    """Clock cycles per clip [B] a prompt's count asks for when its repetitions fill ``share`` of the clip
    (config ``count_clock``; ``cycles`` from :func:`.text_cond.clock_cycles`, else the count slot; 0 where
    no count is named); None when ``share`` is 0 (off) or the condition names no counts."""
    cycles = cond.get("cycles", cond["slots"][:, 3] if "slots" in cond else None)
    return None if not share or cycles is None else cycles / share


def counted_rate(rate: torch.Tensor, amp: torch.Tensor, reps: torch.Tensor, lengths: torch.Tensor,
                 fps: float, band: str = "envelope") -> torch.Tensor:
    """Rates [B, T, bands] where a prompt names a count (``reps`` [B] > 0, cycles per clip): one band runs
    ``reps`` cycles over the clip's ``lengths`` frames, within that band's range (a measured rate is clipped
    to it in training: the decoder knows no other).  Which band: ``"envelope"``, the one that carries the
    motion (the larger mean envelope); ``"nearest"``, the one whose predicted rate is nearest the count's
    (log ratio): the smallest change of tempo that meets the count.

    The text head's rate is a typical tempo, not the asked number: val's arm circles asked for 4-7 winds
    and got 2-3 (models/atom/README.md, session 45).  One clock cycle is one repetition of a rhythm's
    main axis (a clap, a jack, an arm circle, a squat)."""
    rows = torch.nonzero(reps > 0).flatten()
    if rows.numel() == 0:
        return rate
    target = reps[rows].to(rate.dtype) * fps / lengths[rows].to(rate.dtype).clamp(min=1.0)
    if band == "nearest":
        k = (torch.log(rate[rows].mean(1)) - torch.log(target.clamp(min=1e-3))[:, None]).abs().argmin(-1)
    else:
        k = amp[rows].mean(1).argmax(-1)
    lo, hi = (torch.tensor(BANDS, dtype=rate.dtype, device=rate.device)[k, i] for i in (0, 1))
    out = rate.clone()
    out[rows, :, k] = torch.minimum(torch.maximum(target, lo), hi)[:, None]  # the rates training measured
    return out


def best_offset(phase: torch.Tensor, amp: torch.Tensor, drift: torch.Tensor,
                valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(phi0 [B, bands], weight [B, bands]): the starting phase that best aligns ``phi0 + drift`` with a
    measured phase (envelope-weighted circular mean of their difference) and how strongly the
    envelope-weighted differences agree (0-1, times the mean envelope in decimetres, clipped to 1)."""
    w = amp * valid[..., None].to(amp.dtype)
    diff = phase - drift
    c, s = (torch.cos(diff) * w).sum(1), (torch.sin(diff) * w).sum(1)
    total = w.sum(1).clamp(min=1e-6)
    agree = torch.sqrt(c * c + s * s) / total
    mean_amp = total / valid.to(amp.dtype).sum(1, keepdim=True).clamp(min=1.0)
    return torch.atan2(s, c), agree * (mean_amp * AMP_SCALE).clamp(max=1.0)


def draft_phase(draft: dict[str, torch.Tensor], drift: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The starting phase [B, 1, bands] of a sampled clock taken from a draft (``clock_source="draft"``).

    A uniform starting phase knows nothing of the timing z has already fixed (when a reach, a jump or
    the first clap happens), so the decoder hears two timings.  A first decode of the same z with the
    clock zeroed (the mode ``clock_drop`` trains) carries z's timing and a damped rhythm; its measured
    phase (``draft``: :func:`measure` of the draft) fixes phi0 such that phi0 + the text's ``drift``
    follows it best (:func:`best_offset`), and the text's envelope restores the swing the draft damped."""
    phi0, _ = best_offset(draft["phase"], draft["amp"], drift, valid)
    return phi0[:, None, :]
