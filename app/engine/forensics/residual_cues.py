"""Sensor-noise residual cues on native-resolution crops (no model, no downscaling).

A camera's noise is drawn afresh in every frame, is nearly white in space and grows with
brightness (shot noise). A diffusion or GAN decoder paints its "noise" as texture: it can be
smooth, tied to its 8-pixel latent grid, unrelated to brightness and re-painted with the
content, so its energy map boils from frame to frame. Every cue here works on the noise
residual ``r = x - median3x3(x)`` of consecutive native-resolution grey crops of the first
analysed frames, centred on the person (:func:`person_centre`: what a generator paints is the
person; the panel's centre when no person is found), restricted to flat pixels (low local
contrast, not clipped) so scene edges do not dominate:

* ``residual_level``: RMS of r, edges clipped (grey levels), median over frames.
* ``residual_temporal_corr``: correlation of r between consecutive frames on flat pixels
  that did not change (static); camera noise is independent (near 0 up to codec copying).
* ``residual_spatial_corr``: lag-1 autocorrelation of r (smooth, painted residuals are high).
* ``latent_grid_peak``: spectral peak of |r| at 1/8, 2/8, 3/8 cycles/pixel (latent grid;
  video codecs' 8x8 transform blocks leave peaks there too), log10 ratio to the baseline.
* ``residual_energy_accel``: D3-style second difference over time of the 8x8 map of log
  residual energy (boiling texture), median over frames.
* ``frame_accel_ratio``: D3-style ratio of second to first differences of 32x32 thumbnails.

Both D3-style cues step through the frames at about :data:`ACCEL_FPS` (every k-th frame), so
they mean the same thing at any frame rate (generated clips are often 8-15 fps, cameras 24-60).
* ``noise_brightness_slope``: slope of log residual variance over log brightness (shot
  noise makes it positive in real footage; painted noise is flat or random).
"""
from __future__ import annotations

import logging
from typing import Iterator

import numpy as np

log = logging.getLogger(__name__)

RESIDUAL_CUES = {
    "residual_level": "Noise residual level on flat areas (grey levels)",
    "residual_temporal_corr": "Noise residual correlation between consecutive frames (static flat areas)",
    "residual_spatial_corr": "Spatial smoothness of the noise residual (lag-1 autocorrelation)",
    "latent_grid_peak": "Spectral peak of the noise residual on the 8-pixel grid, log10 ratio",
    "residual_energy_accel": "Acceleration of the noise-energy map over time (boiling), log units",
    "frame_accel_ratio": "Second vs first temporal difference of frame thumbnails (D3-style)",
    "noise_brightness_slope": "Slope of noise variance over brightness (shot noise), log-log",
}
MIN_SIDE = 48          # native crop side below which nothing is measured
MIN_PIXELS = 400       # flat / static pixels needed for a per-frame value
GRID = 8               # cells per side of the residual-energy map
THUMB = 32
ACCEL_FPS = 8.0        # time step of the second differences (frames per second)


def _residual(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(residual, flat mask, blurred frame) of one uint8 grey crop."""
    import cv2

    f = x.astype(np.float32)
    r = f - cv2.medianBlur(x, 3).astype(np.float32)
    blur = cv2.GaussianBlur(f, (5, 5), 1.2)
    gx = cv2.Sobel(blur, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3)
    grad = np.hypot(gx, gy)
    flat = (grad <= np.percentile(grad, 50)) & (blur > 12) & (blur < 243)
    b = 2
    flat[:b], flat[-b:], flat[:, :b], flat[:, -b:] = False, False, False, False
    return r, flat, blur


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    d = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / d) if d > 1e-9 else float("nan")


def _robust_std(v: np.ndarray) -> float:
    """RMS of the residual with outliers (edges) clipped at 12 grey levels; a median-based
    spread is 0 on quantised, mostly flat frames."""
    return float(np.sqrt(np.mean(np.minimum(v * v, 144.0)))) if v.size else float("nan")


def _grid_energy(r: np.ndarray) -> np.ndarray:
    h, w = r.shape
    gh, gw = h // GRID, w // GRID
    e = (r[:gh * GRID, :gw * GRID] ** 2).reshape(GRID, gh, GRID, gw).mean(axis=(1, 3))
    return np.log(e + 0.05)


def _grid_peak(rs: list[np.ndarray]) -> float:
    """log10 of the strongest peak at 1/8, 2/8, 3/8 cycles/pixel in the spectrum of |r| (the
    residual's *energy* repeats with a grid; its signed values need not), over a local baseline."""
    n = min(min(r.shape) for r in rs)
    win = np.hanning(n)[:, None] * np.hanning(n)[None, :]
    prof = np.zeros(n // 2 + 1)
    for r in rs:
        a = np.abs(r[:n, :n])
        s = np.abs(np.fft.rfft2((a - a.mean()) * win)) ** 2
        prof += s.mean(axis=0)[: n // 2 + 1] + s.mean(axis=1)[: n // 2 + 1]
    freqs = np.arange(len(prof)) / n
    grid = np.zeros(len(prof), bool)
    for m in (1, 2, 3):
        grid |= np.abs(freqs - m / 8) < 1.0 / n
    best = -np.inf
    for i in np.flatnonzero(grid):
        near = [j for j in range(max(1, i - 6), min(len(prof), i + 7)) if not grid[j]]
        if near:
            best = max(best, float(prof[i] / (np.median(prof[near]) + 1e-12)))
    return float(np.log10(best)) if np.isfinite(best) and best > 0 else float("nan")


def _slope(xs: list[np.ndarray], rs: list[np.ndarray], flats: list[np.ndarray]) -> float:
    lum = np.concatenate([x[f] for x, f in zip(xs, flats)])
    res = np.concatenate([r[f] for r, f in zip(rs, flats)])
    edges = np.quantile(lum, np.linspace(0.05, 0.95, 9))
    pts = []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (lum >= a) & (lum < b)
        if sel.sum() >= MIN_PIXELS and b - a > 0:
            pts.append((np.log(0.5 * (a + b)), np.log(_robust_std(res[sel]) ** 2 + 0.01)))
    if len(pts) < 3 or np.ptp([p[0] for p in pts]) < 0.3:
        return float("nan")
    p = np.asarray(pts)
    return float(np.polyfit(p[:, 0], p[:, 1], 1)[0])


def accel_step(fps: float | None) -> int:
    """Frames between the samples of the D3-style second differences (about :data:`ACCEL_FPS`).

    The ratio is rounded to 6 decimals before it is rounded to a whole step: the inspector reads
    the frame rate from the timestamps (e.g. 11.999999999999998) and the fit's cache from the
    container (12.0); at a half-way ratio (12 / 8 = 1.5) unrounded float noise flipped the step
    (1 or 2 frames), so the same clip got other cue values in the app than in the fit."""
    if not fps or not np.isfinite(fps):
        return 1
    return max(1, int(round(round(fps / ACCEL_FPS, 6))))


def residual_cues(seq: list[np.ndarray], fps: float = ACCEL_FPS) -> dict[str, tuple[float | None, np.ndarray | None, str]]:
    """Cue values {name: (value, per-frame curve, reason)} from consecutive native grey crops
    sampled at `fps` frames per second."""
    import cv2

    none = {k: (None, None, "") for k in RESIDUAL_CUES}
    if not seq:
        return {k: (None, None, "no native-resolution frames kept") for k in RESIDUAL_CUES}
    shape = seq[0].shape
    seq = [c for c in seq if c.shape == shape]
    if min(shape) < MIN_SIDE:
        return {k: (None, None, f"frames too small ({min(shape)} px) for the noise residual") for k in RESIDUAL_CUES}
    t = len(seq)
    rs, flats, blurs = zip(*(_residual(c) for c in seq))
    level = np.array([_robust_std(r[f]) if f.sum() >= MIN_PIXELS else np.nan for r, f in zip(rs, flats)])
    spat = np.full(t, np.nan)
    for i, (r, f) in enumerate(zip(rs, flats)):
        mh, mv = f[:, 1:] & f[:, :-1], f[1:] & f[:-1]
        if mh.sum() >= MIN_PIXELS and mv.sum() >= MIN_PIXELS:
            spat[i] = 0.5 * (_corr(r[:, 1:][mh], r[:, :-1][mh]) + _corr(r[1:][mv], r[:-1][mv]))
    tcorr = np.full(t, np.nan)
    for i in range(1, t):
        static = flats[i] & flats[i - 1] & (np.abs(blurs[i] - blurs[i - 1]) < 1.5)
        if static.sum() >= MIN_PIXELS:
            tcorr[i] = _corr(rs[i][static], rs[i - 1][static])
    grid = np.stack([_grid_energy(r) for r in rs])
    thumbs = np.stack([cv2.resize(c, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32) for c in seq])
    e_acc = np.full(t, np.nan)
    f_acc = np.full(t, np.nan)
    k = accel_step(fps)
    if t > 2 * k:
        mid = np.arange(k, t - k)
        d2 = grid[mid + k] - 2 * grid[mid] + grid[mid - k]
        e_acc[mid] = np.sqrt((d2 ** 2).mean(axis=(1, 2)))
        a, b, c = thumbs[mid - k], thumbs[mid], thumbs[mid + k]
        d1 = 0.5 * (np.sqrt(((b - a) ** 2).mean(axis=(1, 2))) + np.sqrt(((c - b) ** 2).mean(axis=(1, 2))))
        f_acc[mid] = np.sqrt(((c - 2 * b + a) ** 2).mean(axis=(1, 2))) / (d1 + 0.5)
    out = dict(none)
    short = f"too few consecutive frames ({t}) for temporal noise statistics"

    def put(name: str, curve: np.ndarray, min_n: int, why: str) -> None:
        ok = np.isfinite(curve)
        out[name] = (float(np.median(curve[ok])), curve, "") if ok.sum() >= min_n else (None, None, why)

    put("residual_level", level, 1, "no flat, unclipped area in the frames")
    put("residual_spatial_corr", spat, 1, "no flat, unclipped area in the frames")
    put("residual_temporal_corr", tcorr, 2, short if t < 3 else "no static flat area between consecutive frames")
    put("residual_energy_accel", e_acc, 2, short)
    put("frame_accel_ratio", f_acc, 2, short)
    peak = _grid_peak(list(rs[:: max(1, t // 8)]))
    out["latent_grid_peak"] = (peak, None, "") if np.isfinite(peak) else (None, None, "spectrum too short")
    sl = _slope(list(blurs), list(rs), list(flats))
    out["noise_brightness_slope"] = ((sl, None, "") if np.isfinite(sl)
                                     else (None, None, "too narrow a brightness range on flat areas"))
    return out


def box_centre(image: np.ndarray, seen: np.ndarray) -> tuple[float, float] | None:
    """Median over frames of the centre of the box of the seen landmarks (image [T,33,2], seen [T,33])."""
    rows = seen.any(axis=1)
    if not rows.any():
        return None
    pts = np.where(seen[rows][..., None], image[rows], np.nan)
    cx = 0.5 * (np.nanmin(pts[..., 0], axis=1) + np.nanmax(pts[..., 0], axis=1))
    cy = 0.5 * (np.nanmin(pts[..., 1], axis=1) + np.nanmax(pts[..., 1], axis=1))
    return float(np.median(cx)), float(np.median(cy))


def person_centre(frames: np.ndarray) -> Iterator[float | tuple[float, float] | None]:
    """Generator: BlazePose over the noise cues' analysis frames (their own pass, so the centre does
    not depend on the rest of the clip); returns the person's median box centre in analysis pixels,
    or None when no person is seen."""
    from .pose_cues import MIN_VISIBILITY, track_pose
    if len(frames) == 0:
        return None
    track = yield from track_pose(frames)
    return box_centre(track.image, track.visibility >= MIN_VISIBILITY)


__all__ = ["RESIDUAL_CUES", "residual_cues", "box_centre", "person_centre"]
