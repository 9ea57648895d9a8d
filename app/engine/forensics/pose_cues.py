"""Body-motion cues from BlazePose landmarks (mediapipe 0.10.14, ``mp.solutions.pose``).

:func:`track_pose` runs BlazePose (model_complexity=1, video mode, with its person
segmentation) frame by frame. :func:`landmark_cues` turns landmark series into cue values
and per-frame curves; the reference builder calls the same function on real motion capture
projected through cameras, so video and reference are measured identically.

Only a core subset of the 33 BlazePose landmarks is used (the joints that real mocap
also has): nose/head, shoulders, elbows, wrists, hips, knees, ankles, foot tips.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterator

import warnings

import numpy as np

from app.engine.jobs import in_helper_thread

log = logging.getLogger(__name__)

NOSE, LSH, RSH, LEL, REL, LWR, RWR = 0, 11, 12, 13, 14, 15, 16
LHIP, RHIP, LKN, RKN, LAN, RAN, LFT, RFT = 23, 24, 25, 26, 27, 28, 31, 32
CORE = (NOSE, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN, LFT, RFT)
BONES = ((LSH, LEL), (LEL, LWR), (RSH, REL), (REL, RWR), (LHIP, LKN), (LKN, LAN), (RHIP, RKN), (RKN, RAN),
         (LSH, RSH), (LHIP, RHIP), (LSH, LHIP), (RSH, RHIP))
PAIRS = ((0, 2), (1, 3), (4, 6), (5, 7))           # left/right bone pairs (indices into BONES)
MOVING = (LEL, REL, LWR, RWR, LKN, RKN, LAN, RAN)  # joints for dynamics
MIN_VISIBILITY = 0.5
MIN_PRESENT_SHARE = 0.3
MIN_DYNAMICS_FRAMES = 10

POSE_CUES = {
    "bone_length_cv": "Bone-length variation (robust CV)",
    "joint_angle_violations": "Share of frames with impossible joint angles",
    "jerk": "Limb jerk, log10 body-heights/s^3",
    "motion_hf_ratio": "High-frequency share of limb motion",
    "lr_asymmetry": "Left/right limb-length asymmetry",
    "foot_sliding": "Foot sliding during ground contact (body heights/s)",
    "swap_rate": "Limb or identity swaps per 10 s",
    "image_limb_asymmetry": "Left/right limb-length asymmetry in the image (p90 lengths)",
}
MIN_STANCE_STEPS = 3


@dataclass
class PoseTrack:
    """BlazePose output over the analysed frames: world landmarks [T,33,3] (m, hip-centred,
    y down; NaN where absent), image landmarks [T,33,2] (analysis pixels), visibility
    [T,33], presence [T] and the person mask [T,h,w] uint8 (0..255, half analysis size)."""

    world: np.ndarray
    image: np.ndarray
    visibility: np.ndarray
    present: np.ndarray
    masks: np.ndarray

    @property
    def present_share(self) -> float:
        return float(self.present.mean()) if self.present.size else 0.0


def _load_pose_model() -> Iterator[float]:
    """Import mediapipe and build BlazePose on a helper thread (about a second on a loaded
    machine), yielding every 0.1 s so a cancelled job stops promptly; returns the model."""
    def build():
        import mediapipe as mp
        return mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True,
                                      min_detection_confidence=0.5, min_tracking_confidence=0.5)

    return (yield from in_helper_thread(build, 0.0, "blazepose-load"))


def track_pose(frames: np.ndarray, mask_scale: float = 0.5, boxes: np.ndarray | None = None
               ) -> Iterator[float | PoseTrack]:
    """Generator: BlazePose on each RGB frame; yields progress, returns a :class:`PoseTrack`.
    With `boxes` [T, 4] (the main person of a crowd, :mod:`people`; NaN rows take the nearest
    box) BlazePose sees only a crop around that person; landmarks and mask are mapped back."""
    import cv2

    from .people import crop_box

    t, h, w = frames.shape[:3]
    world = np.full((t, 33, 3), np.nan)
    image = np.full((t, 33, 2), np.nan)
    vis = np.zeros((t, 33))
    present = np.zeros(t, bool)
    mh, mw = max(8, int(h * mask_scale)), max(8, int(w * mask_scale))
    masks = np.zeros((t, mh, mw), np.uint8)
    if boxes is not None:
        ok = np.flatnonzero(np.isfinite(boxes).all(axis=1))
        boxes = None if ok.size == 0 else boxes[ok[np.abs(np.arange(t)[:, None] - ok[None]).argmin(axis=1)]]
    pose_model = yield from _load_pose_model()
    with pose_model as pose:
        for i in range(t):
            if boxes is None:
                img, (x0, y0, side_x, side_y) = frames[i], (0, 0, w, h)
            else:   # the crop, padded square and resized to one size (video mode needs a fixed input size)
                img, (x0, y0, side_x, side_y) = _square_crop(frames[i], crop_box(boxes[i], w, h) or (0, 0, w, h))
            res = pose.process(np.ascontiguousarray(img))
            if res.pose_world_landmarks is not None and res.pose_landmarks is not None:
                wl = res.pose_world_landmarks.landmark
                il = res.pose_landmarks.landmark
                world[i] = [(p.x, p.y, p.z) for p in wl]
                image[i] = [(p.x * side_x + x0, p.y * side_y + y0) for p in il]
                vis[i] = [p.visibility for p in il]
                present[i] = True
            if res.segmentation_mask is not None:
                full = res.segmentation_mask
                if boxes is not None:
                    full = _uncrop_mask(full, x0, y0, side_x, w, h)
                m = cv2.resize(full, (mw, mh), interpolation=cv2.INTER_AREA)
                masks[i] = np.clip(m * 255, 0, 255).astype(np.uint8)
            if i % 2 == 0:
                yield i / t
    return PoseTrack(world, image, vis, present, masks)


CROP_SIDE = 320   # BlazePose input side for crops of the main person


def _square_crop(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The box of `frame` on a square canvas (zero padded right/below), resized to CROP_SIDE;
    returns it and (x0, y0, side, side): frame pixel = normalised canvas coordinate x side + x0."""
    import cv2

    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    canvas = np.zeros((side, side, 3), frame.dtype)
    canvas[:y1 - y0, :x1 - x0] = frame[y0:y1, x0:x1]
    return cv2.resize(canvas, (CROP_SIDE, CROP_SIDE), interpolation=cv2.INTER_AREA), (x0, y0, side, side)


def _uncrop_mask(mask: np.ndarray, x0: int, y0: int, side: int, w: int, h: int) -> np.ndarray:
    """A crop's segmentation mask placed back into a full-frame (h, w) mask."""
    import cv2

    m = cv2.resize(mask, (side, side), interpolation=cv2.INTER_LINEAR)
    full = np.zeros((h, w), np.float32)
    cw, ch = min(side, w - x0), min(side, h - y0)
    full[y0:y0 + ch, x0:x0 + cw] = m[:ch, :cw]
    return full


# ----------------------------------------------------------------------------- helpers
def _bone_lengths(world: np.ndarray) -> np.ndarray:
    a = np.array([b[0] for b in BONES])
    b = np.array([b[1] for b in BONES])
    return np.linalg.norm(world[:, a] - world[:, b], axis=-1)  # [T, B]


def _robust_cv(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 4:
        return float("nan")
    med = float(np.median(x))
    return float((np.percentile(x, 90) - np.percentile(x, 10)) / 2.563 / max(med, 1e-6))


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, v = a - b, c - b
    cos = np.sum(u * v, -1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _body_height(world: np.ndarray) -> float:
    """Robust body size (m): shoulder-to-hip + thigh + shin, median over frames."""
    sh = 0.5 * (world[:, LSH] + world[:, RSH])
    hp = 0.5 * (world[:, LHIP] + world[:, RHIP])
    torso = np.linalg.norm(sh - hp, axis=-1)
    legs = 0.5 * (np.linalg.norm(world[:, LHIP] - world[:, LKN], axis=-1) + np.linalg.norm(world[:, LKN] - world[:, LAN], axis=-1)
                  + np.linalg.norm(world[:, RHIP] - world[:, RKN], axis=-1) + np.linalg.norm(world[:, RKN] - world[:, RAN], axis=-1))
    s = torso + legs
    s = s[np.isfinite(s)]
    return float(np.median(s)) if s.size else float("nan")


def _fill(x: np.ndarray) -> np.ndarray:
    """Linearly interpolate NaN frames (per column) of [T, ...]; all-NaN columns stay NaN."""
    y = x.reshape(x.shape[0], -1).copy()
    t = np.arange(y.shape[0])
    for k in range(y.shape[1]):
        ok = np.isfinite(y[:, k])
        if 2 <= ok.sum() < len(t):
            y[:, k] = np.interp(t, t[ok], y[ok, k])
    return y.reshape(x.shape)


# ----------------------------------------------------------------------------- cues
def landmark_cues(*args, **kwargs) -> dict[str, tuple[float | None, np.ndarray | None, str]]:
    """See :func:`_landmark_cues` (runs it with numpy's empty-slice warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _landmark_cues(*args, **kwargs)


def _landmark_cues(world: np.ndarray, image: np.ndarray, present: np.ndarray, fps: float,
                  bg_shift: np.ndarray | None = None) -> dict[str, tuple[float | None, np.ndarray | None, str]]:
    """Cue values from landmark series: {name: (value or None, per-frame curve [T] or None,
    reason when not measured)}. ``world`` [T,33,3] hip-centred metres, ``image`` [T,33,2]
    pixels, ``present`` [T] bool, ``bg_shift`` [T,2] background image motion from the
    previous frame (pixels) used to cancel camera motion for foot sliding."""
    t = world.shape[0]
    out: dict[str, tuple[float | None, np.ndarray | None, str]] = {}
    share = float(present.mean()) if t else 0.0
    if t == 0 or present.sum() < 3 or share < MIN_PRESENT_SHARE:
        reason = ("no person detected" if present.sum() == 0 else
                  f"a person was found in only {share:.0%} of the analysed frames")
        return {k: (None, None, reason) for k in POSE_CUES}
    w = np.where(present[:, None, None], world, np.nan)
    im = np.where(present[:, None, None], image, np.nan)
    height = _body_height(w)

    # bone-length constancy
    bl = _bone_lengths(w)
    cvs = [_robust_cv(bl[:, k]) for k in range(bl.shape[1])]
    med = np.nanmedian(bl, axis=0)
    dev = np.nanmean(np.abs(bl / med - 1.0), axis=1)
    out["bone_length_cv"] = (float(np.nanmedian(cvs)), dev, "")

    # left/right symmetry (3D, and in the image where BlazePose's 3D prior cannot regularise)
    out["image_limb_asymmetry"] = _image_limb_asymmetry(im)
    ratios = np.stack([np.abs(np.log(np.maximum(bl[:, a], 1e-4) / np.maximum(bl[:, b], 1e-4))) for a, b in PAIRS], 1)
    asym = np.nanmean(ratios, axis=1)
    out["lr_asymmetry"] = (float(np.nanmedian(asym)), asym, "")

    # joint-angle limits: folded elbows/knees and knees bent backwards
    viol = np.zeros(t)
    for hip, knee, ank, toe in ((LHIP, LKN, LAN, LFT), (RHIP, RKN, RAN, RFT)):
        ang = _angle(w[:, hip], w[:, knee], w[:, ank])
        viol += ang < 25
        fwd = w[:, toe] - w[:, ank]
        mid = 0.5 * (w[:, hip] + w[:, ank])
        bend = np.sum((w[:, knee] - mid) * fwd, -1) / np.maximum(np.linalg.norm(fwd, axis=-1), 1e-6)
        leg = np.linalg.norm(w[:, hip] - w[:, ank], axis=-1)
        viol += (bend < -0.12 * leg) & (ang < 165)
    for sh, el, wr in ((LSH, LEL, LWR), (RSH, REL, RWR)):
        viol += _angle(w[:, sh], w[:, el], w[:, wr]) < 15
    viol = np.where(present, viol / 6.0, np.nan)
    out["joint_angle_violations"] = (float(np.nanmean(viol > 0)), viol, "")

    # dynamics (needs enough consecutive frames)
    if present.sum() < MIN_DYNAMICS_FRAMES or not np.isfinite(height):
        reason = f"too few frames with a person ({int(present.sum())}) for motion dynamics"
        for k in ("jerk", "motion_hf_ratio", "foot_sliding", "swap_rate"):
            out[k] = (None, None, reason)
        return out
    rel = _fill(w[:, list(MOVING)] - 0.5 * (w[:, [LHIP]] + w[:, [RHIP]])) / height  # body heights
    vel = np.diff(rel, axis=0) * fps
    jerk = np.diff(rel, n=3, axis=0) * fps ** 3
    jmag = np.nanmean(np.linalg.norm(jerk, axis=-1), axis=1)
    jerk_pf = np.full(t, np.nan)
    jerk_pf[2:t - 1] = np.log10(jmag + 1e-3)
    out["jerk"] = (float(np.log10(np.nanmedian(jmag) + 1e-3)), jerk_pf, "")
    v = np.nan_to_num(vel - np.nanmean(vel, axis=0))
    spec = np.abs(np.fft.rfft(v, axis=0)) ** 2
    freqs = np.fft.rfftfreq(v.shape[0], 1.0 / fps)
    hf = freqs >= fps / 4.0
    total = spec.sum()
    acc = np.linalg.norm(np.diff(rel, n=2, axis=0), axis=-1).mean(1)
    spd = np.linalg.norm(np.diff(rel, axis=0), axis=-1).mean(1)
    hf_pf = np.full(t, np.nan)
    hf_pf[1:t - 1] = acc / (acc + spd[:-1] + 1e-4)
    out["motion_hf_ratio"] = (float(spec[hf].sum() / total) if total > 0 else 0.0, hf_pf, "")

    # foot-ground contact and sliding (image space, camera motion cancelled)
    bh_px = _image_body_height(im)
    out["foot_sliding"] = _foot_sliding(im, bh_px, fps, bg_shift)

    # sudden limb (left/right) or identity swaps
    events = np.zeros(t)
    for a, b in ((LWR, RWR), (LAN, RAN), (LKN, RKN)):
        d_same = np.linalg.norm(im[1:, a] - im[:-1, a], axis=-1) + np.linalg.norm(im[1:, b] - im[:-1, b], axis=-1)
        d_swap = np.linalg.norm(im[1:, a] - im[:-1, b], axis=-1) + np.linalg.norm(im[1:, b] - im[:-1, a], axis=-1)
        sw = (d_swap < 0.4 * d_same) & (d_same > 0.15 * bh_px)
        events[1:] += np.nan_to_num(sw)
    hips = 0.5 * (im[:, LHIP] + im[:, RHIP])
    jump = np.linalg.norm(np.diff(hips, axis=0), axis=-1) / bh_px > 6.0 / fps + 0.1
    events[1:] += np.nan_to_num(jump)
    events += _persistent_length_jumps(bl)
    events = np.minimum(events, 1.0)
    duration = t / fps
    out["swap_rate"] = (float(events.sum() * 10.0 / duration), events, "")
    return out


def _persistent_length_jumps(bl: np.ndarray, k: int = 3, thresh: float = 0.3, min_bones: int = 4) -> np.ndarray:
    """1 where at least `min_bones` bone lengths change by > `thresh` (log ratio) between
    the medians of the `k` frames before and after: another body took over the track."""
    t = bl.shape[0]
    out = np.zeros(t)
    if t < 2 * k:
        return out
    med = np.nanmedian(np.lib.stride_tricks.sliding_window_view(bl, k, axis=0), axis=-1)  # [t-k+1, B]
    a, b = med[:-k], med[k:]                      # windows ending before i / starting at i, i = k..t-k
    change = np.abs(np.log(np.maximum(b, 1e-4) / np.maximum(a, 1e-4))) > thresh
    out[k:t - k + 1] = (change.sum(axis=1) >= min_bones).astype(float)
    # one event per change: keep the first frame of each run
    out[1:] = out[1:] * (out[:-1] == 0)
    return out


def _foot_sliding(im: np.ndarray, bh_px: float, fps: float, bg_shift: np.ndarray | None
                  ) -> tuple[float | None, np.ndarray | None, str]:
    """A planted foot moves in the image exactly like the ground under it. Per stance phase
    (>= 3 steps in contact: the foot's lower landmark within 3 % of the body's image height
    of the lowest foot landmark, little vertical motion relative to the ground), the net
    horizontal image motion of the foot relative to the ground flow around it, as a speed in
    body heights/s (signed mean over the phase, so landmark noise averages out; the vertical
    axis is left out because heels rise in the image during a stance); the value is the median
    over stance phases. Sliding feet, and a subject pasted without parallax (its feet ignore
    the camera-induced ground motion), raise it."""
    t = im.shape[0]
    shift = np.zeros((t, 2)) if bg_shift is None else np.nan_to_num(bg_shift)
    lowest = np.nanmax(np.stack([im[:, LAN, 1], im[:, RAN, 1], im[:, LFT, 1], im[:, RFT, 1]], 1), axis=1)
    slide_pf = np.full(t, np.nan)
    values = []
    for ank, toe in ((LAN, LFT), (RAN, RFT)):
        foot = _fill(0.5 * (im[:, ank] + im[:, toe]))
        low = np.fmax(im[:, ank, 1], im[:, toe, 1])
        step = np.diff(foot, axis=0) - shift[1:]
        vy = np.abs(step[:, 1]) * fps / bh_px
        contact = (low[1:] >= lowest[1:] - 0.03 * bh_px) & (vy < 1.0) & np.isfinite(step).all(1)
        k = 0
        while k < len(contact):
            if not contact[k]:
                k += 1
                continue
            e = k
            while e < len(contact) and contact[e]:
                e += 1
            if e - k >= MIN_STANCE_STEPS:
                v = float(abs(step[k:e, 0].mean()) * fps / bh_px)
                values.append(v)
                slide_pf[k + 1:e + 1] = np.fmax(slide_pf[k + 1:e + 1], v)
            k = e
    if not values:
        return None, None, "no foot-ground contact detected"
    return float(np.median(values)), slide_pf, ""


def _image_limb_asymmetry(im: np.ndarray) -> tuple[float | None, np.ndarray | None, str]:
    """Image-space limb lengths (upper arm, forearm, thigh, shin) over the torso's image
    length; a limb's true length shows as its p90 over frames (least foreshortened). Value:
    mean over the four pairs of |log(p90 left / p90 right)|. Unlike the 3D world landmarks,
    which BlazePose regularises towards a plausible body, the 2D landmarks follow the pixels."""
    a = np.array([b[0] for b in BONES])
    b = np.array([b[1] for b in BONES])
    ln = np.linalg.norm(im[:, a] - im[:, b], axis=-1)                 # [T, B]
    torso = 0.5 * (ln[:, 10] + ln[:, 11])
    rel = ln / np.where(torso > 1.0, torso, np.nan)[:, None]
    ok = np.isfinite(rel).all(1)
    if ok.sum() < 5:
        return None, None, "too few frames with all limbs visible in the image"
    p90 = np.percentile(rel[ok], 90, axis=0)
    val = float(np.mean([abs(np.log(p90[i] / p90[j])) for i, j in PAIRS]))
    pf = np.nanmean(np.stack([np.abs(np.log(rel[:, i] / rel[:, j])) for i, j in PAIRS], 1), axis=1)
    return val, pf, ""


def feet_for_flow(track: "PoseTrack") -> tuple[np.ndarray, float]:
    """Mean ankle image position per frame (NaN where not visible) and a quarter of the
    body's image height: where and how wide the pixel stage samples the ground flow."""
    im = np.where(track.visibility[..., None] >= MIN_VISIBILITY, track.image, np.nan)
    im = np.where(track.present[:, None, None], im, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        feet = np.nanmean(im[:, [LAN, RAN]], axis=1)
        radius = 0.25 * _image_body_height(im) if np.isfinite(im).any() else float("nan")
    return feet, radius


def _image_body_height(im: np.ndarray) -> float:
    sh = 0.5 * (im[:, LSH] + im[:, RSH])
    an = 0.5 * (im[:, LAN] + im[:, RAN])
    h = np.linalg.norm(sh - an, axis=-1)
    h = h[np.isfinite(h)]
    return max(float(np.median(h)) if h.size else 1.0, 4.0)


def pose_cues(track: PoseTrack, fps: float, bg_shift: np.ndarray | None = None) -> dict:
    """Cue values for a tracked video (low-visibility landmarks are treated as missing)."""
    world = track.world.copy()
    image = track.image.copy()
    low = track.visibility < MIN_VISIBILITY
    world[low] = np.nan
    image[low] = np.nan
    return landmark_cues(world, image, track.present, fps, bg_shift)
