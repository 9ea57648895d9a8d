"""IDOL's evaluation metrics on one generated clip against its ground-truth render (numpy + cv2).

* Depth: L2 (mean squared error) of *normalised* depth, ``(depth - near) / (far - near)`` clipped to
  [0, 1] with no-geometry pixels at 1, over all pixels (the metric IDOL reports); AbsRel in metres
  on the ground-truth person pixels where the generated depth is not empty.
* Video: PSNR against the render.
* Cross-modal alignment: IoU of the person seen in the generated RGB (differs from the known
  background) and in the generated depth.
* Pose following: BlazePose (mediapipe 0.10.14) on frames upscaled to 256 px: the share of frames
  where it finds a person, and PCK of its 12 limb keypoints against the conditioning skeleton
  (threshold: ``alpha`` x the skeleton's bounding-box height).
* Temporal consistency: flow-warping error. Farneback flow is estimated on the ground-truth frames,
  the next generated frame is warped back with it, and the mean absolute difference (0-255) to the
  current generated frame is taken on pixels whose flow is consistent forward/backward.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.skeleton import SMPL22_NAMES
from app.engine.idol.conditions import depth_person_mask, iou, rgb_person_mask

# BlazePose landmark index -> SMPL-22 joint (the person's left/right in both)
BLAZE_TO_SMPL = {11: "left_shoulder", 12: "right_shoulder", 13: "left_elbow", 14: "right_elbow",
                 15: "left_wrist", 16: "right_wrist", 23: "left_hip", 24: "right_hip", 25: "left_knee",
                 26: "right_knee", 27: "left_ankle", 28: "right_ankle"}
UPSCALE = 256


def normalised(depth: np.ndarray, near: float, far: float) -> np.ndarray:
    d = np.asarray(depth, np.float32)
    out = np.clip((d - near) / max(far - near, 1e-6), 0.0, 1.0)
    out[d <= 0] = 1.0
    return out


def depth_errors(pred: np.ndarray, gt: np.ndarray, gt_mask: np.ndarray, near: float, far: float) -> dict:
    l2 = float(np.mean((normalised(pred, near, far) - normalised(gt, near, far)) ** 2))
    sel = gt_mask & (pred > 0) & (gt > 0)
    absrel = float(np.mean(np.abs(pred[sel] - gt[sel]) / gt[sel])) if sel.any() else float("nan")
    return {"depth_l2_norm": l2, "depth_absrel": absrel, "depth_coverage": float(sel.sum() / max(gt_mask.sum(), 1))}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.asarray(a, np.float32) - np.asarray(b, np.float32)) ** 2))
    return 99.0 if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def alignment_iou(rgb: np.ndarray, depth: np.ndarray, background: np.ndarray, env: np.ndarray | None) -> float:
    """Mean per-frame IoU of the person in generated RGB and in generated depth."""
    m_rgb = rgb_person_mask(rgb, background)
    m_d = depth_person_mask(depth, env)
    return float(np.mean([iou(a, b) for a, b in zip(m_rgb, m_d)]))


def warping_error(gen: np.ndarray, gt: np.ndarray) -> float:
    """Mean |gen_t - warp(gen_t+1)| with flow from the ground truth (consistent pixels only)."""
    errs = []
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in gt]
    h, w = grey[0].shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for t in range(len(gen) - 1):
        fwd = cv2.calcOpticalFlowFarneback(grey[t], grey[t + 1], None, 0.5, 2, 9, 3, 5, 1.1, 0)
        bwd = cv2.calcOpticalFlowFarneback(grey[t + 1], grey[t], None, 0.5, 2, 9, 3, 5, 1.1, 0)
        mx, my = gx + fwd[..., 0], gy + fwd[..., 1]
        back = cv2.remap(bwd, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        ok = np.linalg.norm(fwd + back, axis=-1) < 0.5
        warped = cv2.remap(gen[t + 1], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if ok.any():
            errs.append(float(np.abs(warped.astype(np.float32) - gen[t].astype(np.float32)).mean(-1)[ok].mean()))
    return float(np.mean(errs)) if errs else float("nan")


class PoseChecker:
    """BlazePose on upscaled frames: person-found share and PCK against 2D keypoints; a context manager."""

    def __init__(self, alpha: float = 0.1) -> None:
        import mediapipe as mp

        self.pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
        self.alpha = alpha
        self.smpl_idx = [SMPL22_NAMES.index(n) for n in BLAZE_TO_SMPL.values()]

    def __enter__(self) -> "PoseChecker":
        return self

    def __exit__(self, *exc) -> None:
        self.pose.close()

    def check(self, frames: np.ndarray, keypoints: np.ndarray) -> dict:
        """frames [T, S, S, 3] uint8; keypoints [T, 22, 3] pixels of the same frames."""
        found, hits, total = 0, 0, 0
        size = frames.shape[1]
        for img, kp in zip(frames, keypoints):
            big = cv2.resize(img, (UPSCALE, UPSCALE), interpolation=cv2.INTER_CUBIC)
            res = self.pose.process(big)
            gt = kp[self.smpl_idx, :2]
            span = np.ptp(kp[:, 1]) if np.isfinite(kp).all() else size
            thr = self.alpha * max(span, 1.0)
            if res.pose_landmarks is None:
                total += len(gt)
                continue
            found += 1
            lm = res.pose_landmarks.landmark
            pred = np.array([[lm[i].x * size - 0.5, lm[i].y * size - 0.5] for i in BLAZE_TO_SMPL])
            hits += int((np.linalg.norm(pred - gt, axis=1) < thr).sum())
            total += len(gt)
        n = max(len(frames), 1)
        return {"person_found": found / n, "pck": hits / max(total, 1)}
