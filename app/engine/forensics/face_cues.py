"""Face cues: one real person's face keeps its geometry; a generated face drifts and jitters.

Per appearance frame (see :mod:`appearance`): mediapipe face detection (full range,
``model_selection=1``) finds the face, falling back to the head landmarks of the body
track; FaceMesh then runs on an upscaled crop. From the 3-D mesh (x, y in crop pixels,
z on the x scale) nine landmark-distance ratios are formed; 3-D distances divided by the
outer inter-ocular distance do not change with head rotation or scale, so head pose is
factored out. Cues:

* ``face_shape_jitter``: median frame-to-frame second difference of those ratios;
* ``face_shape_spread``: their robust spread over time (drift);
* ``eye_asymmetry``: median |left - right| eye-opening ratio (real eyes blink together);
* ``face_body_ratio``: face height over shoulder-to-hip length (both in image pixels).
"""
from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

FACE_CUES = {
    "face_shape_jitter": "Face-shape jitter (2nd difference of landmark ratios)",
    "face_shape_spread": "Face-shape drift (robust spread of landmark ratios)",
    "eye_asymmetry": "Left/right eye-opening mismatch",
    "face_body_ratio": "Face height / torso length",
}
# FaceMesh indices: eye corners, nose, chin, forehead, cheeks, mouth
R_OUT, R_IN, L_IN, L_OUT = 33, 133, 362, 263
PAIRS = ((R_IN, L_IN), (1, 152), (10, 152), (234, 454), (168, 1), (1, 13), (R_OUT, R_IN), (L_IN, L_OUT), (61, 291))
EYE_R = (159, 145, R_OUT, R_IN)
EYE_L = (386, 374, L_IN, L_OUT)
CROP_SIZE = 256
MIN_FACE_FRAMES = 5
MIN_FACE_PX = 12


def _box_from_pose(lm: np.ndarray, vis: np.ndarray) -> tuple[float, float, float] | None:
    """(cx, cy, half size) of the head from BlazePose face landmarks 0-10 (frame pixels)."""
    ok = (vis[:11] > 0.5) & np.all(np.isfinite(lm[:11]), axis=1)
    if ok.sum() < 3:
        return None
    p = lm[:11][ok]
    span = float(np.max(np.ptp(p, axis=0)))
    c = p.mean(axis=0)
    return float(c[0]), float(c[1]), max(span * 1.1, MIN_FACE_PX / 2)


class FaceMeasure:
    """FaceMesh (+ face detection) on one frame at a time; use as a context manager."""

    def __enter__(self) -> "FaceMeasure":
        import mediapipe as mp
        self.det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                    refine_landmarks=False, min_detection_confidence=0.3)
        return self

    def __exit__(self, *exc) -> None:
        self.det.close()
        self.mesh.close()

    def box(self, frame: np.ndarray, pose_lm: np.ndarray | None, pose_vis: np.ndarray | None
            ) -> tuple[tuple[float, float, float] | None, float]:
        """Face (cx, cy, half size) in frame pixels and the detector score (0 if only the body track)."""
        h, w = frame.shape[:2]
        res = self.det.process(frame)
        best = None
        for d in res.detections or []:
            bb = d.location_data.relative_bounding_box
            cx, cy = (bb.xmin + bb.width / 2) * w, (bb.ymin + bb.height / 2) * h
            half = max(bb.width * w, bb.height * h) * 0.5
            score = float(d.score[0]) if d.score else 0.0
            if pose_lm is not None and np.isfinite(pose_lm[0]).all():   # the tracked person's face
                dist = np.hypot(cx - pose_lm[0, 0], cy - pose_lm[0, 1]) / max(half, 1.0)
                score -= 0.1 * dist
            if best is None or score > best[1]:
                best = ((cx, cy, half), float(d.score[0]) if d.score else 0.0)
        if best is not None and best[0][2] * 2 >= MIN_FACE_PX:
            return best
        if pose_lm is not None and pose_vis is not None:
            return _box_from_pose(pose_lm, pose_vis), 0.0
        return None, 0.0

    def landmarks(self, frame: np.ndarray, box: tuple[float, float, float]) -> np.ndarray | None:
        """FaceMesh landmarks [468, 3] in frame pixels (z on the x scale) of an upscaled crop."""
        cx, cy, half = box
        cut = square_crop(frame, cx, cy, half * 1.6, CROP_SIZE)
        if cut is None:
            return None
        up, k, x0, y0 = cut
        res = self.mesh.process(up)
        if not res.multi_face_landmarks:
            return None
        pts = np.array([(p.x * CROP_SIZE, p.y * CROP_SIZE, p.z * CROP_SIZE) for p in res.multi_face_landmarks[0].landmark])
        return np.c_[pts[:, 0] * k + x0, pts[:, 1] * k + y0, pts[:, 2] * k]


def square_crop(frame: np.ndarray, cx: float, cy: float, half: float, size: int
                ) -> tuple[np.ndarray, float, int, int] | None:
    """The square of half-width ``half`` around (cx, cy), borders replicated, upscaled to size x size:
    (crop, frame pixels per crop pixel, x0, y0 of the square in the frame), or None when too small."""
    import cv2
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    side = max(8, int(round(2 * half)))
    pad = cv2.copyMakeBorder(frame, side, side, side, side, cv2.BORDER_REPLICATE)
    crop = pad[y0 + side:y0 + 2 * side, x0 + side:x0 + 2 * side]
    if crop.shape[0] < 8 or crop.shape[1] < 8:
        return None
    up = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(up), side / size, x0, y0


def ratios(mesh: np.ndarray) -> np.ndarray:
    """Nine pose-invariant distance ratios of one face mesh [468, 3]."""
    d = lambda a, b: float(np.linalg.norm(mesh[a] - mesh[b]))   # noqa: E731
    iod = max(d(R_OUT, L_OUT), 1e-6)
    return np.array([d(a, b) / iod for a, b in PAIRS])


def eye_open(mesh: np.ndarray) -> tuple[float, float]:
    def ear(e: tuple[int, int, int, int]) -> float:
        return float(np.linalg.norm(mesh[e[0]] - mesh[e[1]]) / max(np.linalg.norm(mesh[e[2]] - mesh[e[3]]), 1e-6))
    return ear(EYE_L), ear(EYE_R)


def second_difference(series: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Per-frame median |x[t+1] - 2 x[t] + x[t-1]| over features, NaN where a neighbour is missing."""
    out = np.full(len(series), np.nan)
    for t in range(1, len(series) - 1):
        if ok[t - 1] and ok[t] and ok[t + 1]:
            out[t] = float(np.median(np.abs(series[t + 1] - 2 * series[t] + series[t - 1])))
    return out


def robust_spread(series: np.ndarray) -> float:
    """Median over features of (p90 - p10) / median over time."""
    p90, p10, med = (np.nanpercentile(series, q, axis=0) for q in (90, 10, 50))
    return float(np.median((p90 - p10) / np.maximum(np.abs(med), 1e-6)))


def face_cues(meshes: list[np.ndarray | None], torso_px: np.ndarray, reason_none: str = "") -> dict:
    """Cues {name: (value, per-frame curve over the appearance frames, reason)}."""
    n = len(meshes)
    ok = np.array([m is not None for m in meshes], bool)
    if ok.sum() < MIN_FACE_FRAMES:
        why = reason_none or f"a face was found in only {int(ok.sum())} of {n} frames (faces small, turned away or absent)"
        return {k: (None, None, why) for k in FACE_CUES}
    r = np.full((n, len(PAIRS)), np.nan)
    eyes = np.full((n, 2), np.nan)
    height = np.full(n, np.nan)
    for i, m in enumerate(meshes):
        if m is not None:
            r[i] = ratios(m)
            eyes[i] = eye_open(m)
            height[i] = float(np.linalg.norm(m[10, :2] - m[152, :2]))
    d2 = second_difference(r, ok)
    out: dict = {}
    if np.isfinite(d2).sum() >= 3:
        out["face_shape_jitter"] = (float(np.nanmedian(d2)), d2, "")
    else:
        out["face_shape_jitter"] = (None, None, "the face was not found in three consecutive frames")
    out["face_shape_spread"] = (robust_spread(r[ok]), None, "")
    asym = np.abs(eyes[:, 0] - eyes[:, 1]) / np.maximum(eyes.mean(axis=1), 1e-3)
    out["eye_asymmetry"] = (float(np.nanmedian(asym)), asym, "")
    fb = height / np.where(torso_px > 1, torso_px, np.nan)
    if np.isfinite(fb).sum() >= MIN_FACE_FRAMES:
        out["face_body_ratio"] = (float(np.nanmedian(fb)), fb, "")
    else:
        out["face_body_ratio"] = (None, None, "face and torso were not seen together")
    return out
