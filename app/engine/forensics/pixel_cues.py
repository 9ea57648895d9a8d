"""Temporal and pixel-consistency cues: optical-flow warping residual, flicker,
noise-residual statistics and spectral peaks left by upsampling.

All work on the analysis frames (grey, at most 320 px wide for the flow); the spectral cue
uses native-resolution centre crops kept during decoding.
"""
from __future__ import annotations

import logging
from typing import Iterator

import numpy as np

log = logging.getLogger(__name__)

FLOW_MAX_WIDTH = 320
PIXEL_CUES = {
    "warp_residual": "Flow-warping residual beyond the noise floor (grey levels)",
    "flicker": "Brightness flicker after motion compensation (% of mean level)",
    "noise_instability": "Frame-to-frame instability of the noise level",
    "upsampling_peaks": "Periodic spectral peaks (upsampling traces), log10 ratio",
    "temporal_alternation": "Frame-to-frame alternation of the midpoint residual (interpolated frames)",
}
MID_EPS = 0.5   # grey levels: quantisation floor of the midpoint residual


def alternation(mid: np.ndarray) -> tuple[float | None, np.ndarray | None, str]:
    """Interpolated (blended) frames are predicted by their neighbours far better than real
    frames: r_t = mean |I_t - (I_t-1 + I_t+1)/2| dips on them and the log residual alternates.
    Value: median over t of |log r_t - (log r_t-1 + log r_t+1)/2|; per frame the same."""
    lr = np.log(np.asarray(mid, float) + MID_EPS)
    d = np.full(lr.shape, np.nan)
    if lr.size >= 3:
        d[1:-1] = np.abs(lr[1:-1] - 0.5 * (lr[:-2] + lr[2:]))
    if np.isfinite(d).sum() < 3:
        return None, None, "too few frames for the interpolation cue"
    return float(np.nanmedian(d)), d, ""


def _grey_small(frame: np.ndarray) -> np.ndarray:
    import cv2
    g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    h, w = g.shape
    if w > FLOW_MAX_WIDTH:
        g = cv2.resize(g, (FLOW_MAX_WIDTH, max(8, int(round(h * FLOW_MAX_WIDTH / w)))), interpolation=cv2.INTER_AREA)
    return g


def flow_stats(frames: np.ndarray, masks: np.ndarray | None = None, feet: np.ndarray | None = None,
               foot_radius: float | None = None) -> Iterator[float | dict]:
    """Generator over consecutive frame pairs. Returns per-frame arrays: warp residual,
    brightness change, noise level, the midpoint residual |I_t - (I_t-1 + I_t+1)/2| (frame
    interpolation), and the background image shift near the feet (analysis pixels, for foot
    sliding; ``feet`` [T,2] analysis pixels or NaN). With ``foot_radius`` (analysis pixels,
    about a quarter of the body's image height) the shift is the ground flow right around
    the feet (the ground a planted foot stands on) instead of a wide box."""
    import cv2

    t = frames.shape[0]
    resid = np.full(t, np.nan)
    bright = np.full(t, np.nan)
    noise = np.full(t, np.nan)
    shift = np.full((t, 2), np.nan)
    mid = np.full(t, np.nan)
    prev = None
    prev2 = None
    scale = 1.0
    for i in range(t):
        g = _grey_small(frames[i])
        scale = g.shape[1] / frames.shape[2]
        gf = g.astype(np.float32)
        hp = gf - cv2.medianBlur(g, 3).astype(np.float32)
        a = np.abs(hp)
        noise[i] = float(np.mean(np.minimum(a, 12.0))) + 1e-3  # clipped: edges do not dominate
        if prev is not None:
            flow = cv2.calcOpticalFlowFarneback(prev, g, None, 0.5, 3, 15, 3, 5, 1.2, 0)
            h, w = g.shape
            gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            warped = cv2.remap(prev.astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
            m = 4
            valid = np.zeros((h, w), bool)
            valid[m:-m, m:-m] = True
            valid &= (gx + flow[..., 0] >= 0) & (gx + flow[..., 0] < w - 1) & (gy + flow[..., 1] >= 0) & (gy + flow[..., 1] < h - 1)
            diff = np.abs(gf - warped)[valid]
            noise_floor = 1.2 * (noise[i] + noise[i - 1])
            resid[i] = float(np.mean(np.maximum(diff - noise_floor, 0)))
            bright[i] = float(np.mean(gf[valid]) - np.mean(warped[valid]))
            bg = np.ones((h, w), bool)
            if masks is not None:
                bg = cv2.resize(masks[i - 1], (w, h), interpolation=cv2.INTER_NEAREST) < 64
            region = bg.copy()
            if feet is not None and np.all(np.isfinite(feet[i - 1])):
                fx, fy = feet[i - 1] * scale
                box = np.zeros_like(bg)
                if foot_radius is not None and np.isfinite(foot_radius):
                    r = max(3.0, foot_radius * scale)
                    box[max(0, int(fy - 0.3 * r)):max(0, int(fy + 0.6 * r)), max(0, int(fx - r)):max(0, int(fx + r))] = True
                    enough = 12
                else:
                    box[max(0, int(fy - 0.15 * h)):int(fy + 0.15 * h), max(0, int(fx - 0.2 * w)):int(fx + 0.2 * w)] = True
                    enough = 50
                if (box & bg).sum() > enough:
                    region = box & bg
            if region.sum() > 20:
                shift[i] = np.median(flow[region], axis=0) / scale
        if prev2 is not None:
            mid[i - 1] = float(np.mean(np.abs(prev.astype(np.float32) - 0.5 * (prev2.astype(np.float32) + gf))))
        prev2, prev = prev, g
        yield i / t  # every frame: one flow field can take 0.1 s on a loaded machine
    return {"warp_residual": resid, "brightness_change": bright, "noise": noise, "bg_shift": shift,
            "mid_residual": mid}


def spectral_peaks(crops: list[np.ndarray]) -> tuple[float | None, str]:
    """log10 of the strongest periodic peak in the mean 1-D spectra of the noise residual,
    ignoring the 8-pixel block grid of video codecs; None with a reason when too few crops."""
    import cv2

    if len(crops) < 2 or min(min(c.shape[:2]) for c in crops) < 64:
        return None, "frames too small for a spectral analysis"
    profs = []
    for c in crops:
        g = c.astype(np.float32)
        r = g - cv2.GaussianBlur(g, (3, 3), 0)
        n = min(r.shape)
        r = r[:n, :n] * np.hanning(n)[:, None] * np.hanning(n)[None, :]
        s = np.abs(np.fft.rfft2(r)) ** 2
        profs.append(s.mean(axis=0)[: n // 2 + 1] + s.mean(axis=1)[: n // 2 + 1])
    p = np.mean(profs, axis=0)
    n = (len(p) - 1) * 2
    freqs = np.arange(len(p)) / n
    from scipy.ndimage import median_filter  # scipy ships with the stack (pycolmap/trimesh need it)

    base = median_filter(p, size=9, mode="nearest") + 1e-9
    ratio = p / base
    block = np.zeros(len(p), bool)
    for m in range(1, 5):
        block |= np.abs(freqs - m / 8) < 1.5 / n
    ok = (freqs > 0.06) & ~block & (freqs < 0.49)
    if not ok.any():
        return None, "spectrum too short"
    return float(np.log10(ratio[ok].max())), ""


def pixel_cues(stats: dict, fps: float, crops: list[np.ndarray]) -> dict[str, tuple[float | None, np.ndarray | None, str]]:
    """Cue values from :func:`flow_stats` output: {name: (value, per-frame, reason)}."""
    out: dict[str, tuple[float | None, np.ndarray | None, str]] = {}
    resid = stats["warp_residual"]
    t = resid.size
    if t < 3 or np.isfinite(resid).sum() < 2:
        reason = f"too few frames ({t}) for temporal cues"
        out = {k: (None, None, reason) for k in ("warp_residual", "flicker", "noise_instability")}
    else:
        out["warp_residual"] = (float(np.nanmedian(resid)), resid, "")
        b = stats["brightness_change"]
        level = 128.0
        out["flicker"] = (float(np.nanstd(b) / level * 100), np.abs(b) / level * 100, "")
        ln = np.log(stats["noise"])
        d = np.abs(np.diff(ln))
        pf = np.concatenate([[np.nan], d])
        out["noise_instability"] = (float(np.nanmedian(d)) if d.size else None, pf, "" if d.size else "one frame")
    if "mid_residual" in stats:
        out["temporal_alternation"] = alternation(stats["mid_residual"])
    val, why = spectral_peaks(crops)
    out["upsampling_peaks"] = (val, None, why)
    return out
