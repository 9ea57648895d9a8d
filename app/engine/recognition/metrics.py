"""Detection mAP at temporal IoU thresholds (THUMOS / ActivityNet protocol) and AUROC."""
from __future__ import annotations

import numpy as np

from .localize import tiou

TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def average_precision(dets: list[tuple[str, float, float, float]], gts: list[tuple[str, float, float]],
                      threshold: float) -> float:
    """AP of one class: detections (video, start, end, score), ground truth (video, start, end);
    each ground-truth span matches at most one detection (greedy by score); the precision
    envelope is integrated over recall."""
    if not gts:
        return float("nan")
    by_video: dict[str, list[int]] = {}
    for i, (vid, _, _) in enumerate(gts):
        by_video.setdefault(vid, []).append(i)
    gt_spans = np.array([[s, e] for _, s, e in gts], dtype=np.float64)
    used = np.zeros(len(gts), bool)
    order = sorted(range(len(dets)), key=lambda i: -dets[i][3])
    tp = np.zeros(len(order))
    for rank, i in enumerate(order):
        vid, s, e, _ = dets[i]
        cand = by_video.get(vid, [])
        if not cand:
            continue
        ious = tiou((s, e), gt_spans[cand])
        for j in np.argsort(-ious):
            if ious[j] < threshold:
                break
            if not used[cand[j]]:
                used[cand[j]] = True
                tp[rank] = 1
                break
    if not len(order):
        return 0.0
    ctp = np.cumsum(tp)
    recall = ctp / len(gts)
    precision = ctp / np.arange(1, len(order) + 1)
    mprec = np.concatenate([[0.0], precision, [0.0]])
    mrec = np.concatenate([[0.0], recall, [recall[-1]]])
    for k in range(len(mprec) - 2, -1, -1):
        mprec[k] = max(mprec[k], mprec[k + 1])
    idx = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def detection_map(dets: list[tuple[str, str, float, float, float]], gts: list[tuple[str, str, float, float]],
                  classes: list[str], thresholds: tuple[float, ...] = TIOUS) -> dict:
    """mAP (percent) per tIoU threshold and their average over classes with ground truth.

    dets: (video, class, start, end, score); gts: (video, class, start, end)."""
    out: dict = {}
    per_class_d: dict[str, list] = {c: [] for c in classes}
    per_class_g: dict[str, list] = {c: [] for c in classes}
    for vid, c, s, e, sc in dets:
        if c in per_class_d:
            per_class_d[c].append((vid, s, e, sc))
    for vid, c, s, e in gts:
        if c in per_class_g:
            per_class_g[c].append((vid, s, e))
    with_gt = [c for c in classes if per_class_g[c]]
    for thr in thresholds:
        aps = [average_precision(per_class_d[c], per_class_g[c], thr) for c in with_gt]
        out[f"mAP@{thr:.1f}"] = round(100.0 * float(np.mean(aps)), 2) if aps else float("nan")
    out["mAP_avg"] = round(float(np.mean([out[f"mAP@{t:.1f}"] for t in thresholds])), 2)
    out["classes"] = len(with_gt)
    return out


def auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (ties count half): P(score of a positive > score of a negative)."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
