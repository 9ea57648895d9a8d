"""Body-surface cues: the person's mask, clothing and skin over time.

Per appearance frame, mediapipe selfie segmentation gives a person mask that is
independent of the body track. Against it and the track's skeleton:

* ``limbs_outside_mask``: share of points along the visible limbs that fall outside the mask;
* ``mask_flicker``: how much the mask differs from the mean of its neighbours in time
  (a boundary that flickers rather than moves), per unit of mask area;
* ``part_colour_jitter`` / ``part_colour_drift``: second difference and spread over time
  of the mean chroma (Lab a, b) of each body part (torso, upper arms, forearms, thighs, shins);
* ``texture_boil``: second difference of each part's log texture energy (detail that
  "boils" in place);
* ``person_acceleration``: the D3-style second-order statistic: |x[t+1] - 2 x[t] + x[t-1]|
  over |first differences| of a small grey image of the person region.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np

from .face_cues import second_difference

log = logging.getLogger(__name__)

SURFACE_CUES = {
    "limbs_outside_mask": "Limb points outside the person mask (share)",
    "mask_flicker": "Person-mask flicker (vs. its neighbours in time)",
    "part_colour_jitter": "Body-part colour jitter (Lab chroma, 2nd difference)",
    "part_colour_drift": "Body-part colour drift (Lab chroma spread)",
    "texture_boil": "Body-part texture boiling (2nd difference of log detail)",
    "person_acceleration": "Person-region pixel acceleration (D3-style)",
}
LIMBS = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28), (11, 23), (12, 24))
PARTS = {"torso": (11, 12, 24, 23), "l_upper_arm": (11, 13), "r_upper_arm": (12, 14), "l_forearm": (13, 15),
         "r_forearm": (14, 16), "l_thigh": (23, 25), "r_thigh": (24, 26), "l_shin": (25, 27), "r_shin": (26, 28)}
MIN_VIS = 0.5
MASK_SIDE = 160
MIN_FRAMES = 5
MIN_PART_PX = 30


class Segmenter:
    """mediapipe selfie segmentation; use as a context manager."""

    def __enter__(self) -> "Segmenter":
        import mediapipe as mp
        self.seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        return self

    def __exit__(self, *exc) -> None:
        self.seg.close()

    def mask(self, frame: np.ndarray) -> np.ndarray:
        res = self.seg.process(np.ascontiguousarray(frame))
        m = res.segmentation_mask
        return np.zeros(frame.shape[:2], np.float32) if m is None else m.astype(np.float32)


def _visible(lm: np.ndarray, vis: np.ndarray, idx) -> bool:
    return all(vis[i] >= MIN_VIS and np.all(np.isfinite(lm[i])) for i in idx)


def limb_outside(mask: np.ndarray, lm: np.ndarray, vis: np.ndarray) -> float:
    h, w = mask.shape
    vals = []
    for a, b in LIMBS:
        if not _visible(lm, vis, (a, b)):
            continue
        for s in np.linspace(0.15, 0.85, 5):
            x, y = lm[a] + s * (lm[b] - lm[a])
            if 0 <= x < w and 0 <= y < h:
                vals.append(mask[int(y), int(x)] < 0.5)
    return float(np.mean(vals)) if len(vals) >= 5 else float("nan")


def part_stats(frame: np.ndarray, mask: np.ndarray, lm: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """[len(PARTS), 3]: Lab a, b mean and log texture energy of each part (NaN if unseen)."""
    import cv2
    lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB).astype(np.float32)
    lap = np.abs(cv2.Laplacian(lab[..., 0], cv2.CV_32F, ksize=3))
    out = np.full((len(PARTS), 3), np.nan)
    if not _visible(lm, vis, (11, 12, 23, 24)):
        return out
    torso = float(np.linalg.norm(0.5 * (lm[11] + lm[12]) - 0.5 * (lm[23] + lm[24])))
    width = max(3, int(0.18 * torso))
    person = mask >= 0.5
    for k, (name, idx) in enumerate(PARTS.items()):
        if not _visible(lm, vis, idx):
            continue
        pm = np.zeros(mask.shape, np.uint8)
        pts = np.round(lm[list(idx)]).astype(np.int32)
        if len(idx) == 4:
            cv2.fillPoly(pm, [pts], 1)
        else:
            cv2.line(pm, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[1]), 1, width)
        sel = (pm > 0) & person
        if sel.sum() < MIN_PART_PX:
            continue
        out[k, 0] = float(lab[..., 1][sel].mean())
        out[k, 1] = float(lab[..., 2][sel].mean())
        out[k, 2] = float(np.log(lap[sel].mean() + 1.0))
    return out


def _small(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import cv2
    g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    g = cv2.resize(g * (mask >= 0.5), (64, 64), interpolation=cv2.INTER_AREA)
    return g


def surface_cues(frames: list[np.ndarray], masks: list[np.ndarray], lms: np.ndarray, vis: np.ndarray) -> dict:
    """Cues over the appearance frames (RGB, masks in [0, 1] at frame size, BlazePose image
    landmarks [T,33,2] in frame pixels, visibility [T,33])."""
    import cv2
    n = len(frames)
    if n < MIN_FRAMES:
        return {k: (None, None, f"only {n} frames for appearance analysis") for k in SURFACE_CUES}
    area = np.array([float((m >= 0.5).mean()) for m in masks])
    if np.sum(area > 0.005) < MIN_FRAMES:
        return {k: (None, None, "the person mask was empty (no person, or too small)") for k in SURFACE_CUES}
    out: dict = {}
    outside = np.array([limb_outside(m, lms[i], vis[i]) for i, m in enumerate(masks)])
    out["limbs_outside_mask"] = ((float(np.nanmean(outside)), outside, "") if np.isfinite(outside).sum() >= MIN_FRAMES
                                 else (None, None, "too few frames with visible limbs"))
    small = []
    for m in masks:
        h, w = m.shape
        s = MASK_SIDE / max(h, w)
        small.append(cv2.resize(m, (max(8, int(w * s)), max(8, int(h * s))), interpolation=cv2.INTER_AREA))
    fl = np.full(n, np.nan)
    for t in range(1, n - 1):
        a = float((small[t] >= 0.5).sum())
        if a >= 20:
            fl[t] = float(np.abs(small[t] - 0.5 * (small[t - 1] + small[t + 1])).sum() / a)
    out["mask_flicker"] = ((float(np.nanmedian(fl)), fl, "") if np.isfinite(fl).sum() >= 3
                           else (None, None, "the person mask was too small"))
    stats = np.stack([part_stats(f, masks[i], lms[i], vis[i]) for i, f in enumerate(frames)])  # [T, P, 3]
    col_j, tex_j, drift = [], [], []
    for p in range(stats.shape[1]):
        ok = np.all(np.isfinite(stats[:, p]), axis=1)
        if ok.sum() < MIN_FRAMES:
            continue
        col_j.append(second_difference(stats[:, p, :2], ok))
        tex_j.append(second_difference(stats[:, p, 2:], ok))
        c = stats[ok, p, :2]
        drift.append(float(np.median(np.percentile(c, 90, axis=0) - np.percentile(c, 10, axis=0))))
    if col_j:
        with warnings.catch_warnings():   # frames where no part was seen stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            cj = np.nanmedian(np.stack(col_j), axis=0)
            tj = np.nanmedian(np.stack(tex_j), axis=0)
        out["part_colour_jitter"] = ((float(np.nanmedian(cj)), cj, "") if np.isfinite(cj).sum() >= 3
                                     else (None, None, "body parts not seen in three consecutive frames"))
        out["texture_boil"] = ((float(np.nanmedian(tj)), tj, "") if np.isfinite(tj).sum() >= 3
                               else (None, None, "body parts not seen in three consecutive frames"))
        out["part_colour_drift"] = (float(np.median(drift)), None, "")
    else:
        for k in ("part_colour_jitter", "texture_boil", "part_colour_drift"):
            out[k] = (None, None, "no body part was seen in enough frames (torso and limbs not visible)")
    x = np.stack([_small(f, masks[i]) for i, f in enumerate(frames)])
    acc = np.full(n, np.nan)
    for t in range(1, n - 1):
        d1 = np.abs(x[t + 1] - x[t]).mean() + np.abs(x[t] - x[t - 1]).mean()
        if d1 > 0.5:
            acc[t] = float(np.abs(x[t + 1] - 2 * x[t] + x[t - 1]).mean() / d1)
    out["person_acceleration"] = ((float(np.nanmedian(acc)), acc, "") if np.isfinite(acc).sum() >= 3
                                  else (None, None, "the person region did not change (static clip)"))
    return out
