"""The time base of a motion-capture take, checked by physics: a body in free flight falls at g.

Some community BVH conversions carry a wrong ``Frame Time`` (a 120 fps capture written as 30 fps
plays four times too slowly, so a jump looks like slow standing). During a flight phase (both feet
clear of the floor) the pelvis follows a parabola whose curvature is fixed by gravity, so the
curvature measured at the header's rate tells how far the header's rate is off: with frames really
``k`` times denser than the header says, the fitted gravity is ``g / k**2``.
"""
from __future__ import annotations

import logging

import numpy as np

from app.core.motion import MotionClip

log = logging.getLogger(__name__)

G = 9.81
PELVIS = 0


def flight_spans(clip: MotionClip, clearance: float = 0.05, apex: float = 0.10,
                 min_frames: int = 5) -> list[tuple[int, int]]:
    """[start, stop) frame spans where every joint is above the take's floor by ``clearance``
    metres, at least ``min_frames`` long, whose lowest joint rises ``apex`` metres at its highest."""
    lowest = clip.joints()[..., 1].min(axis=1)
    lowest = lowest - np.percentile(lowest, 5)
    air = np.concatenate([[False], lowest > clearance, [False]])
    edges = np.flatnonzero(np.diff(air.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])
            if b - a >= min_frames and lowest[a:b].max() >= apex]


def flight_gravities(clip: MotionClip, min_rise: float = 0.05, max_rel_residual: float = 0.02) -> list[float]:
    """Gravity (m/s^2) at the clip's stated frame rate, one per ballistic flight: the fitted
    curvature (-2a, seconds) of the pelvis height. A flight counts when the pelvis rises at least
    ``min_rise`` m above both ends and the parabola explains it to ``max_rel_residual`` of that rise
    (RMS); a climb, a step onto a box or a hand on the floor is not a free flight."""
    j = clip.joints()
    values = []
    for a, b in flight_spans(clip):
        t = np.arange(b - a) / clip.fps
        y = j[a:b, PELVIS, 1]
        rise = float(y.max() - max(y[0], y[-1]))
        coef = np.polyfit(t, y, 2)
        residual = float(np.sqrt(np.mean((np.polyval(coef, t) - y) ** 2)))
        if rise >= min_rise and residual <= max_rel_residual * rise:
            values.append(-2.0 * float(coef[0]))
    return values


def _scale_of(g: float, tolerance: float, max_scale: int) -> int | None:
    for k in range(1, max_scale + 1):
        if g > 0 and abs(g * k * k / G - 1.0) <= tolerance:
            return k
    return None


def time_scale(clip: MotionClip, tolerance: float = 0.25, max_scale: int = 8) -> int:
    """How many times denser the frames really are than the stated rate: the integer ``k`` for
    which ``k**2`` times the measured gravity is within ``tolerance`` (relative) of g, when every
    ballistic flight of the take agrees on it; 1 when the stated rate fits, when the take has no
    flight, or when the flights disagree."""
    scales = {_scale_of(g, tolerance, max_scale) for g in flight_gravities(clip)}
    return scales.pop() or 1 if len(scales) == 1 else 1


def fix_time_base(clip: MotionClip) -> MotionClip:
    """The clip at its physical frame rate (:func:`time_scale`); unchanged when it already fits."""
    k = time_scale(clip)
    if k == 1:
        return clip
    out = clip.copy()
    out.fps = clip.fps * k
    log.warning("%s: free flight falls at %.2f m/s^2 at the stated %.0f fps; the frames are %d times denser, "
                "reading it at %.0f fps", clip.name or "take", float(np.median(flight_gravities(clip))), clip.fps,
                k, out.fps)
    return out
