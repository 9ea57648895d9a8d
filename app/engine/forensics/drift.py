"""Frames where the person's appearance drifted: for the GUI's timeline marks and the reports.

A frame is marked when one of the appearance cues' per-frame curves (face shape, hand shape,
clothing/skin colour, texture boil, mask boundary, noise-energy boiling) jumps there: above the
clip's own typical level by :data:`MAD_K` robust deviations *and* above the real-footage
range of that cue (its reference ``hi``), so a clip that is noisy all along is not marked
everywhere and a real clip's ordinary frames are not marked at all.
"""
from __future__ import annotations

import numpy as np

DRIFT_CUES = ("face_shape_jitter", "hand_shape_jitter", "part_colour_jitter", "texture_boil", "mask_flicker",
              "residual_energy_accel")
MAD_K = 3.0
MIN_POINTS = 5


def _flags(curve: np.ndarray, hi: float | None) -> np.ndarray:
    c = np.asarray(curve, float)
    ok = np.isfinite(c)
    out = np.zeros(c.shape, bool)
    if ok.sum() < MIN_POINTS:
        return out
    med = float(np.median(c[ok]))
    mad = 1.4826 * float(np.median(np.abs(c[ok] - med)))
    lim = med + MAD_K * max(mad, 0.05 * abs(med), 1e-9)
    if hi is not None and np.isfinite(hi):
        lim = max(lim, float(hi))
    out[ok] = c[ok] > lim
    return out


def drift_frames(cues: dict, n: int) -> tuple[np.ndarray, list[str]]:
    """(mask [n] of drifted frames, per frame the labels of the cues that jumped, "" if none)."""
    mask = np.zeros(n, bool)
    why: list[list[str]] = [[] for _ in range(n)]
    for name in DRIFT_CUES:
        c = cues.get(name)
        if c is None or c.per_frame is None or len(c.per_frame) != n:
            continue
        ref = c.reference or {}
        f = _flags(c.per_frame, ref.get("hi"))
        mask |= f
        for i in np.flatnonzero(f):
            why[i].append(c.label)
    return mask, ["; ".join(w) for w in why]


def next_drift(mask: np.ndarray | None, frame: int) -> int | None:
    """The first marked frame after `frame` (wrapping round), or None when none is marked."""
    if mask is None or not np.any(mask):
        return None
    idx = np.flatnonzero(mask)
    later = idx[idx > frame]
    return int(later[0] if later.size else idx[0])


__all__ = ["DRIFT_CUES", "drift_frames", "next_drift"]
