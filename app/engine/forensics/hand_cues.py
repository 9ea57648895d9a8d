"""Hand cues: mediapipe Hands on upscaled crops around the body track's wrists.

A real hand keeps its bone proportions and does not blink out of existence while its
wrist is in view; generated hands melt, merge and vanish. Per appearance frame and side
(left/right wrist of the body track), Hands (static mode, one hand per crop) gives 21
world landmarks (metres, rotation-free lengths) and a confidence. Cues:

* ``hand_shape_spread``: robust spread over time of the finger-bone / palm length ratios;
* ``hand_shape_jitter``: their median frame-to-frame second difference;
* ``hand_vanish_rate``: share of found-lost-found flickers while the wrist stays visible;
* ``hand_score``: median Hands confidence on the found hands (low = an odd-looking hand).
"""
from __future__ import annotations

import logging

import numpy as np

from .face_cues import robust_spread, second_difference, square_crop

log = logging.getLogger(__name__)

HAND_CUES = {
    "hand_shape_spread": "Hand-shape drift (spread of finger-bone ratios)",
    "hand_shape_jitter": "Hand-shape jitter (2nd difference of finger-bone ratios)",
    "hand_vanish_rate": "Hands vanishing while the wrist is visible",
    "hand_score": "Hand classifier confidence (median)",
}
HAND_BONES = ((0, 1), (1, 2), (2, 3), (3, 4), (5, 6), (6, 7), (7, 8), (9, 10), (10, 11), (11, 12),
              (13, 14), (14, 15), (15, 16), (17, 18), (18, 19), (19, 20), (5, 9), (9, 13), (13, 17), (0, 17))
PALM = (0, 9)
SIDES = ((15, 13, (17, 19, 21)), (16, 14, (18, 20, 22)))  # (wrist, elbow, hand points) of BlazePose, left/right
CROP_SIZE = 224
MIN_HAND_FRAMES = 5
MIN_VIS = 0.5


def hand_box(lm: np.ndarray, vis: np.ndarray, side: int) -> tuple[float, float, float] | None:
    """(cx, cy, half size) of one hand from BlazePose wrist/elbow/hand landmarks (frame pixels)."""
    wr, el, tips = SIDES[side]
    if vis[wr] < MIN_VIS or not np.all(np.isfinite(lm[[wr, el, *tips]])):
        return None
    pts = lm[[wr, *tips]]
    c = pts.mean(axis=0)
    fore = float(np.linalg.norm(lm[wr] - lm[el]))
    half = max(0.55 * fore, 1.5 * float(np.max(np.ptp(pts, axis=0))), 10.0)
    return float(c[0]), float(c[1]), half


class HandMeasure:
    """mediapipe Hands on wrist crops; use as a context manager."""

    def __enter__(self) -> "HandMeasure":
        import mediapipe as mp
        self.hands = mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=1, model_complexity=1,
                                              min_detection_confidence=0.4)
        return self

    def __exit__(self, *exc) -> None:
        self.hands.close()

    def measure(self, frame: np.ndarray, box: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(world landmarks [21,3] m, image landmarks [21,2] frame px, confidence) or None."""
        cx, cy, half = box
        cut = square_crop(frame, cx, cy, half, CROP_SIZE)
        if cut is None:
            return None
        up, k, x0, y0 = cut
        res = self.hands.process(up)
        if not res.multi_hand_world_landmarks:
            return None
        wl = np.array([(p.x, p.y, p.z) for p in res.multi_hand_world_landmarks[0].landmark])
        il = np.array([(p.x * CROP_SIZE * k + x0, p.y * CROP_SIZE * k + y0)
                       for p in res.multi_hand_landmarks[0].landmark])
        score = float(res.multi_handedness[0].classification[0].score) if res.multi_handedness else 0.0
        return wl, il, score


def bone_ratios(world: np.ndarray) -> np.ndarray:
    palm = max(float(np.linalg.norm(world[PALM[0]] - world[PALM[1]])), 1e-6)
    return np.array([np.linalg.norm(world[a] - world[b]) for a, b in HAND_BONES]) / palm


def hand_cues(found: list[list[tuple | None]], wrist_visible: np.ndarray, reason_none: str = "") -> dict:
    """`found[side][t]`: (world, image, score) or None; `wrist_visible` [2, T] bool."""
    n = wrist_visible.shape[1]
    count = sum(h is not None for side in found for h in side)
    if count < MIN_HAND_FRAMES:
        why = reason_none or (f"hands were found in only {count} wrist crops (hands small, hidden or out of frame)"
                              if wrist_visible.any() else "no wrist of the person was visible")
        return {k: (None, None, why) for k in HAND_CUES}
    spreads, jit, scores, flick, elig = [], np.full((2, n), np.nan), [], 0, 0
    for s, side in enumerate(found):
        ok = np.array([h is not None for h in side], bool)
        if ok.sum() == 0:
            continue
        r = np.full((n, len(HAND_BONES)), np.nan)
        for t, h in enumerate(side):
            if h is not None:
                r[t] = bone_ratios(h[0])
                scores.append(h[2])
        if ok.sum() >= 3:
            spreads.append(robust_spread(r[ok]))
        jit[s] = second_difference(r, ok)
        vis = wrist_visible[s]
        for t in range(1, n - 1):
            if vis[t - 1] and vis[t] and vis[t + 1] and ok[t - 1] and ok[t + 1]:
                elig += 1
                flick += int(not ok[t])
    out: dict = {}
    out["hand_shape_spread"] = ((float(np.median(spreads)), None, "") if spreads
                                else (None, None, "no hand was found in three frames"))
    per_frame = np.nanmax(np.where(np.isfinite(jit), jit, -np.inf), axis=0)
    per_frame = np.where(np.isfinite(per_frame), per_frame, np.nan)
    out["hand_shape_jitter"] = ((float(np.nanmedian(per_frame)), per_frame, "") if np.isfinite(per_frame).sum() >= 3
                                else (None, None, "no hand was found in three consecutive frames"))
    out["hand_vanish_rate"] = ((flick / elig, None, "") if elig >= 3
                               else (None, None, "too few frames with a hand on both sides in time"))
    out["hand_score"] = (float(np.median(scores)), None, "")
    return out
