"""The appearance stage: evidence from the person's face, hands and body surface.

Pose-driven animation copies real motion, so its tell is the generated person. This stage
re-decodes a subset of the analysis frames at up to :data:`APPEARANCE_MAX_SIDE` (faces and
hands are small in full-body footage) at about :data:`TARGET_FPS` frames per second, so the
temporal statistics (second differences) mean the same thing at any source frame rate, and
runs FaceMesh, Hands and selfie segmentation there (:mod:`face_cues`, :mod:`hand_cues`,
:mod:`surface_cues`). Per-frame curves are mapped back onto the analysis frames (NaN where
the stage did not look); the landmarks and masks are kept for the GUI overlays.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .blur_cues import BLUR_CUES, blur_cues, end_velocities
from .face_cues import FACE_CUES, FaceMeasure, face_cues
from .face_identity import IDENTITY_CUES, FaceIdentity, identity_cues
from .hand_cues import HAND_CUES, HandMeasure, hand_box, hand_cues
from .surface_cues import SURFACE_CUES, Segmenter, surface_cues
from .video_io import VideoInfo, iter_frames

log = logging.getLogger(__name__)

APPEARANCE_CUES = {**FACE_CUES, **IDENTITY_CUES, **HAND_CUES, **SURFACE_CUES, **BLUR_CUES}
FAMILIES = {"face": tuple(FACE_CUES) + tuple(IDENTITY_CUES), "hands": tuple(HAND_CUES),
            "surface": tuple(SURFACE_CUES) + tuple(BLUR_CUES)}
TARGET_FPS = 10.0
MAX_APPEARANCE_FRAMES = 80
APPEARANCE_MAX_SIDE = 960


@dataclass
class AppearanceTrack:
    """What the appearance stage saw, in analysis-frame pixels: positions of its frames among
    the analysis frames, face meshes [468,2] and hand landmarks [21,2] (None where not found),
    person masks (uint8 0..255, small)."""

    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    faces: list = field(default_factory=list)
    hands: list = field(default_factory=list)      # per frame: list of [21,2] arrays
    masks: list = field(default_factory=list)


def pick_positions(n: int, fps: float, target_fps: float = TARGET_FPS, max_frames: int = MAX_APPEARANCE_FRAMES) -> np.ndarray:
    """Positions among `n` analysis frames at about `target_fps` (at most `max_frames`)."""
    step = max(1, int(round(fps / target_fps))) if fps > 0 else 1
    pos = np.arange(0, n, step)
    return pos[:max_frames]


def _decode(info: VideoInfo, indices: np.ndarray, max_side: int) -> list[np.ndarray]:
    """RGB frames at the given source indices (one pass through the file)."""
    want = set(int(i) for i in indices)
    last = int(max(indices)) + 1
    steps = np.diff(np.asarray(indices, int))
    even = len(steps) and int(indices[0]) == 0 and np.all(steps == steps[0])
    stride = int(steps[0]) if even else 1      # off-stride frames are only grabbed, not converted
    out: dict[int, np.ndarray] = {}
    for i, _t, rgb, _c in iter_frames(info.path, max_side=max_side, stride=stride, limit=last,
                                      crop_box=info.crop_box):
        if i in want and rgb is not None:
            out[i] = rgb
    return [out[int(i)] for i in indices if int(i) in out]


def _spread(values: np.ndarray | None, positions: np.ndarray, n: int) -> np.ndarray | None:
    if values is None:
        return None
    full = np.full(n, np.nan)
    full[positions[:len(values)]] = values[:len(positions)]
    return full


def appearance_cues(info: VideoInfo, indices: np.ndarray, fps: float, analysis_size: tuple[int, int],
                    pose_image: np.ndarray | None, pose_vis: np.ndarray | None, *, frames: np.ndarray | None = None
                    ) -> Iterator[float | tuple[dict, AppearanceTrack]]:
    """Generator: yields progress; returns ({cue: (value, per-frame over analysis frames, reason)},
    :class:`AppearanceTrack`). `frames` (analysis frames) replaces re-decoding (tests, synthetic input)."""
    n = len(indices)
    pos = pick_positions(n, fps)
    track = AppearanceTrack(positions=pos)
    if len(pos) < 5:
        reason = f"only {len(pos)} frames at {TARGET_FPS:g} fps for appearance analysis"
        return {k: (None, None, reason) for k in APPEARANCE_CUES}, track
    if frames is not None:
        imgs = [frames[p] for p in pos]
    else:
        imgs = _decode(info, indices[pos], APPEARANCE_MAX_SIDE)
        if len(imgs) != len(pos):
            pos = pos[:len(imgs)]
            track.positions = pos
    aw, ah = analysis_size
    k = imgs[0].shape[1] / max(aw, 1)      # appearance pixels per analysis pixel
    m = len(pos)
    if pose_image is None:
        lms, vis = np.full((m, 33, 2), np.nan), np.zeros((m, 33))
        velocity = np.full((m, 4, 2), np.nan)
    else:
        lms, vis = pose_image[pos] * k, pose_vis[pos]
        velocity = end_velocities(pose_image, pose_vis, pos, fps, k)
    yield 0.05
    masks, meshes, hands, ids = [], [], [[], []], []
    fid = FaceIdentity()
    wrist_vis = np.zeros((2, m), bool)
    torso = np.full(m, np.nan)
    with FaceMeasure() as fm, HandMeasure() as hm, Segmenter() as sg:
        for t, img in enumerate(imgs):
            masks.append(sg.mask(img))
            box, score = fm.box(img, lms[t] if np.isfinite(lms[t, 0]).all() else None, vis[t])
            mesh = fm.landmarks(img, box) if box is not None else None
            meshes.append(mesh)
            ids.append(fid.describe(img, box) if box is not None and score > 0 else None)   # detected faces only
            for s in (0, 1):
                hb = hand_box(lms[t], vis[t], s)
                wrist_vis[s, t] = hb is not None
                hands[s].append(hm.measure(img, hb) if hb is not None else None)
            sh, hp = 0.5 * (lms[t, 11] + lms[t, 12]), 0.5 * (lms[t, 23] + lms[t, 24])
            if min(vis[t, [11, 12, 23, 24]]) >= 0.5:
                torso[t] = float(np.linalg.norm(sh - hp))
            yield 0.05 + 0.85 * (t + 1) / m
    cues: dict = {}
    cues.update(face_cues(meshes, torso))
    cues.update(identity_cues(ids, fid.reason))
    no_body = "" if pose_image is not None else "body tracking switched off: no wrists to look at"
    cues.update(hand_cues(hands, wrist_vis, no_body))
    cues.update(surface_cues(imgs, masks, lms, vis))
    try:
        cues.update(blur_cues(imgs, lms, vis, velocity, torso))
    except Exception as exc:  # noqa: BLE001 - one cue must not cost the report
        log.warning("motion-blur cue failed: %s", exc)
        cues.update({k: (None, None, f"the motion-blur check failed ({type(exc).__name__})") for k in BLUR_CUES})
    out = {name: (v, _spread(pf, pos, n), r) for name, (v, pf, r) in cues.items()}
    track.faces = [None if me is None else me[:, :2] / k for me in meshes]
    track.hands = [[h[1] / k for h in (hands[0][t], hands[1][t]) if h is not None] for t in range(m)]
    track.masks = [np.clip(_small_mask(mk) * 255, 0, 255).astype(np.uint8) for mk in masks]
    return out, track


def _small_mask(mask: np.ndarray, side: int = 240) -> np.ndarray:
    import cv2
    h, w = mask.shape
    s = min(1.0, side / max(h, w))
    return cv2.resize(mask, (max(8, int(w * s)), max(8, int(h * s))), interpolation=cv2.INTER_AREA)


def family_of(name: str) -> str | None:
    return next((f for f, names in FAMILIES.items() if name in names), None)
