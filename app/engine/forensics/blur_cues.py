"""Motion blur against limb speed: a camera integrates light over its exposure.

While the shutter is open a moving hand smears across the sensor, so in real footage the
faster a wrist or ankle moves in the image, the less fine detail its neighbourhood keeps.
A generator paints each frame and need not tie blur to motion (pose-driven animation
renders a fast hand as sharply as a still one, or blurs a slow one).

Cue (surface family, appearance frames; limb ends = wrists and ankles):

* ``blur_speed_coupling``: per limb end, the Spearman rank correlation over frames between
  its image speed (central difference of the BlazePose image landmark on the analysis frames,
  pixels per second) and the blur anisotropy of a square patch around it: the log ratio of the
  energy of the grey patch's second derivative *along* the direction of motion to that
  *across* it (motion blur smears along the motion only; the ratio ignores the patch's contrast
  and, for texture without a preferred direction, is 0 at rest); the frame-weighted mean over
  limb ends. Real: negative; suspicious when high (near 0 or above). Measured only for ends
  seen in :data:`MIN_FRAMES` frames whose speed varies.
"""
from __future__ import annotations

import numpy as np

BLUR_CUES = {"blur_speed_coupling": "Motion blur vs limb speed (rank correlation)"}
ENDS = (15, 16, 27, 28)        # BlazePose left/right wrist, left/right ankle
MIN_VIS = 0.5
MIN_FRAMES = 8
MIN_HALF = 5                   # patch half side (appearance pixels)
PATCH_TORSO = 0.3              # patch half side as a share of the torso's image length
MIN_SPEED_RANGE = 0.5          # p90 - p10 of speed, torso lengths per second


def end_velocities(image: np.ndarray, vis: np.ndarray, positions: np.ndarray, fps: float, scale: float) -> np.ndarray:
    """Image velocity [m, len(ENDS), 2] of each limb end at the analysis positions, in appearance
    pixels per second (`scale` = appearance pixels per analysis pixel); NaN where it or a neighbour
    is unseen."""
    n = len(image)
    out = np.full((len(positions), len(ENDS), 2), np.nan)
    for i, p in enumerate(positions):
        if p < 1 or p >= n - 1:
            continue
        for j, e in enumerate(ENDS):
            if min(vis[p - 1, e], vis[p, e], vis[p + 1, e]) >= MIN_VIS:
                d = image[p + 1, e] - image[p - 1, e]
                if np.all(np.isfinite(d)):
                    out[i, j] = d * 0.5 * fps * scale
    return out


def blur_anisotropy(grey: np.ndarray, centre: np.ndarray, half: int, velocity: np.ndarray) -> float:
    """log(E[d2 along the motion ^2] / E[d2 across it ^2]) of the patch around `centre` (NaN off the
    frame, for a flat patch or without a velocity); negative where the patch is smeared along the motion."""
    import cv2
    h, w = grey.shape
    x, y = int(round(centre[0])), int(round(centre[1]))
    if not (np.all(np.isfinite(centre)) and np.all(np.isfinite(velocity))
            and half < x < w - half - 1 and half < y < h - half - 1):
        return float("nan")
    patch = grey[y - half - 1:y + half + 2, x - half - 1:x + half + 2]
    gxx, gyy, gxy = (cv2.Sobel(patch, cv2.CV_32F, dx, dy, ksize=3)[1:-1, 1:-1] for dx, dy in ((2, 0), (0, 2), (1, 1)))
    sp = float(np.hypot(*velocity))
    c, s = (velocity / sp) if sp > 1e-6 else (1.0, 0.0)
    along = c * c * gxx + 2 * c * s * gxy + s * s * gyy
    across = s * s * gxx - 2 * c * s * gxy + c * c * gyy
    a2, b2 = float(np.mean(along * along)), float(np.mean(across * across))
    if a2 + b2 < 4.0:          # a flat patch (about a grey level of curvature) has no detail to smear
        return float("nan")
    return float(np.log((a2 + 1e-3) / (b2 + 1e-3)))


def _ranks(x: np.ndarray) -> np.ndarray:
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return (r - r.mean()) / max(r.std(), 1e-9)


def blur_cues(frames: list[np.ndarray], lms: np.ndarray, vis: np.ndarray, velocity: np.ndarray,
              torso_px: np.ndarray) -> dict:
    """{name: (value, per-frame curve, reason)} over the appearance frames (RGB), their BlazePose
    image landmarks [m,33,2] and visibility [m,33] in frame pixels, limb-end velocities [m, 4, 2]
    (:func:`end_velocities`) and torso lengths [m] in pixels."""
    import cv2
    m = len(frames)
    speed = np.linalg.norm(velocity, axis=2)
    name = "blur_speed_coupling"
    torso = float(np.nanmedian(torso_px)) if np.isfinite(torso_px).any() else float("nan")
    if m < MIN_FRAMES or not np.isfinite(torso):
        return {name: (None, None, "too few frames with a visible body for the motion-blur check")}
    half = max(MIN_HALF, int(round(PATCH_TORSO * torso)))
    detail = np.full((m, len(ENDS)), np.nan)
    for t, img in enumerate(frames):
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        for j, e in enumerate(ENDS):
            if vis[t, e] >= MIN_VIS and np.isfinite(speed[t, j]):
                detail[t, j] = blur_anisotropy(grey, lms[t, e], half, velocity[t, j])
    rhos, weights = [], []
    curve = np.full((m, len(ENDS)), np.nan)
    for j in range(len(ENDS)):
        ok = np.isfinite(speed[:, j]) & np.isfinite(detail[:, j])
        if ok.sum() < MIN_FRAMES:
            continue
        v = speed[ok, j]
        if np.percentile(v, 90) - np.percentile(v, 10) < MIN_SPEED_RANGE * torso:
            continue               # the end hardly moved: nothing to correlate
        rv, rd = _ranks(v), _ranks(detail[ok, j])
        rhos.append(float(np.mean(rv * rd)))
        weights.append(int(ok.sum()))
        curve[ok, j] = rv * rd     # > 0: fast and sharp, or slow and blurred
    if not rhos:
        return {name: (None, None, "no wrist or ankle moved enough in view for the motion-blur check")}
    per_frame = np.full(m, np.nan)
    seen = np.isfinite(curve).any(axis=1)
    per_frame[seen] = np.nanmean(curve[seen], axis=1)
    return {name: (float(np.average(rhos, weights=weights)), per_frame, "")}
