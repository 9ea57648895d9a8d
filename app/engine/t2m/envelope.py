"""Band envelopes over time: how far the limbs swing, frame by frame, in each rhythm band (``w_env``, session 49).

Why: long counts fade.  "Claps eight times" gives six clean contacts and then hands that stop 0.13 m apart
(models/atom/README.md, session 48); on val's clap clips the decoder's fast-band envelope in the third quarter
is 0.82 of the reference's with its own posterior and 0.74 with a prior z.  The losses already on (per-frame
MSE, a whole-clip spectrum, the prior path's band spectrum) either reward a damped average over phases or do
not see *when* the swing is lost.  This one compares the envelope of each band (:data:`.clock.BANDS`) per
frame: phase-free (a clap a few frames early costs nothing) but local in time (a swing that dies before the
reference's does costs its whole missing amplitude).

Differentiable counterpart of :func:`.clock.measure`'s envelope: band-pass by FFT over the padded clip, the
analytic signal of every channel (FFT Hilbert transform), and the root of the summed squared magnitudes
(no principal component, so the gradient reaches every joint).  Padding: each row is mean-centred over its
valid frames and zeroed past them, so a row's padding adds no swing of its own.
"""
from __future__ import annotations

import torch

from .clock import BANDS, hilbert_gain

ENV_SCALE = 10.0    # metres -> decimetres (the clock's unit)


def band_envelopes(x: torch.Tensor, valid: torch.Tensor, fps: float = 20.0,
                   bands: tuple[tuple[float, float], ...] = BANDS) -> torch.Tensor:
    """Envelope per frame and band [B, T, len(bands)] (decimetres) of positions x [B, T, D] (metres); zero
    past each row's valid frames (``valid`` [B, T] bool)."""
    m = valid.to(x.dtype)[..., None]
    mean = (x * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1.0)
    xc = (x - mean) * m
    n = x.shape[1]
    spec = torch.fft.fft(xc, dim=1)
    f = torch.fft.fftfreq(n, d=1.0 / fps).to(x.device).abs()
    gain = hilbert_gain(n, x.device, x.dtype)
    out = []
    for lo, hi in bands:
        keep = ((f >= lo) & (f < hi)).to(x.dtype) * gain
        z = torch.fft.ifft(spec * keep[None, :, None], dim=1)
        power = (z.real.pow(2) + z.imag.pow(2)).sum(-1)
        out.append(torch.sqrt(power + 1e-8) * ENV_SCALE)
    return torch.stack(out, -1) * m


def envelope_l2(pred: torch.Tensor, ref: torch.Tensor, valid: torch.Tensor, fps: float = 20.0) -> torch.Tensor:
    """Mean squared difference of the band envelopes (:func:`band_envelopes`) of pred and ref [B, T, D]
    (metres) over the valid frames and the bands; the reference's envelope is a target, not differentiated."""
    with torch.no_grad():
        target = band_envelopes(ref, valid, fps)
    err = (band_envelopes(pred, valid, fps) - target).pow(2).sum(-1)
    m = valid.to(err.dtype)
    return (err * m).sum() / (m.sum() * len(BANDS)).clamp(min=1.0)
