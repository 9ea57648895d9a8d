"""From frame scores to actions (numpy): multi-threshold proposals + NMS, and a non-overlapping
segmentation with evidential "unknown" labels.

Inputs are one video's fused attention [T], fused class probabilities [T, K], video-level
class probabilities [K] and per-frame evidence [T, K]; times are frames unless named *_s.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RecognitionConfig

UNKNOWN = "unknown"
UNKNOWN_CLASS = -2  # frame label of frames too uncertain to name (-1: background)


@dataclass
class Proposal:
    """A scored class-specific span [start, end) in frames."""

    cls: int
    start: int
    end: int
    score: float


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) spans where the boolean ``mask`` is True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def tiou(a: tuple[float, float], b: np.ndarray) -> np.ndarray:
    """Temporal IoU of span ``a`` with spans ``b`` [N, 2]."""
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    inter = np.clip(np.minimum(a[1], b[:, 1]) - np.maximum(a[0], b[:, 0]), 0, None)
    union = (a[1] - a[0]) + (b[:, 1] - b[:, 0]) - inter
    return inter / np.maximum(union, 1e-9)


def nms(props: list[Proposal], iou: float) -> list[Proposal]:
    """Greedy per-class non-maximum suppression (higher score first)."""
    keep: list[Proposal] = []
    for p in sorted(props, key=lambda q: -q.score):
        same = [(q.start, q.end) for q in keep if q.cls == p.cls]
        if not same or tiou((p.start, p.end), np.array(same)).max() <= iou:
            keep.append(p)
    return keep


def detected_classes(video_prob: np.ndarray, cfg: RecognitionConfig, prob: np.ndarray | None = None) -> np.ndarray:
    """Classes whose video probability passes ``class_threshold`` (at least the top one); with the frame
    probabilities ``prob`` [T, K] also every class that is the frames' best at >= ``frame_class_threshold`` for
    ``min_segment_s`` in a row (the video score is a distribution over classes: a clip of a walk, two jumps and
    a wave scored them 0.86 / 0.09 / 0.05 while the frames of each part gave their own class 0.89-0.96)."""
    order = np.argsort(-video_prob)[: cfg.max_classes]
    keep = [int(c) for c in order if video_prob[c] >= cfg.class_threshold] or [int(order[0])]
    if prob is not None and cfg.frame_class_threshold > 0:
        top, sure = prob.argmax(1), prob.max(1) >= cfg.frame_class_threshold
        min_len = max(1, int(round(cfg.min_segment_s * cfg.fps)))
        keep += [int(c) for c in sorted(set(top[sure].tolist()) - set(keep))
                 if any(b - a >= min_len for a, b in runs(sure & (top == c)))]
    return np.array(keep, dtype=int)


def frame_scores(att: np.ndarray, prob: np.ndarray, cfg: RecognitionConfig) -> np.ndarray:
    """Class scores per frame [T, K]: fused probability x attention ** att_power."""
    return prob * np.power(np.clip(att, 0, 1), cfg.att_power)[:, None]


def _contrast(s: np.ndarray, a: int, b: int) -> float:
    """Outer-inner contrast: mean score inside [a, b) minus the mean over a margin of a quarter
    of the length on each side."""
    m = max(1, (b - a) // 4)
    outer = np.concatenate([s[max(0, a - m):a], s[b:b + m]])
    return float(s[a:b].mean()) - (float(outer.mean()) if outer.size else 0.0)


def frame_uncertainty(evidence: np.ndarray, window: int) -> np.ndarray:
    """[T] evidential uncertainty K / S of the evidence averaged over ``window`` frames around each frame."""
    e = np.asarray(evidence, dtype=np.float64)
    if window > 1 and len(e) > 1:
        c = np.cumsum(np.pad(e, ((window // 2, window - 1 - window // 2), (0, 0)), mode="edge"), axis=0)
        c = np.concatenate([np.zeros((1, e.shape[1])), c])
        e = (c[window:] - c[:-window]) / window
    return e.shape[1] / (e + 1.0).sum(1)


def frame_labels(att: np.ndarray, prob: np.ndarray, video_prob: np.ndarray, cfg: RecognitionConfig,
                 evidence: np.ndarray | None = None) -> np.ndarray:
    """Per frame the best detected class (-1 = background: attention below ``background_threshold``;
    ``UNKNOWN_CLASS``: with ``evidence`` and ``unknown_frame_threshold`` > 0, frames whose
    :func:`frame_uncertainty` exceeds it), runs shorter than ``min_segment_s`` merged into a neighbour."""
    classes = detected_classes(video_prob, cfg, prob)
    lab = classes[np.argmax(prob[:, classes], axis=1)]
    lab = np.where(att < cfg.background_threshold, -1, lab)
    if evidence is not None and cfg.unknown_frame_threshold > 0:
        u = frame_uncertainty(evidence, max(1, int(round(cfg.unknown_window_s * cfg.fps))))
        lab = np.where(u > cfg.unknown_frame_threshold, UNKNOWN_CLASS, lab)
    min_len = max(1, int(round(cfg.min_segment_s * cfg.fps)))
    spans = _label_runs(lab)
    while len(spans) > 1:  # merge the shortest too-short run into its longer neighbour
        short = [i for i, (a, b, _) in enumerate(spans) if b - a < min_len]
        if not short:
            break
        i = min(short, key=lambda k: spans[k][1] - spans[k][0])
        longer_prev = i > 0 and (i == len(spans) - 1 or spans[i - 1][1] - spans[i - 1][0]
                                 >= spans[i + 1][1] - spans[i + 1][0])
        lab[spans[i][0]:spans[i][1]] = spans[i - 1 if longer_prev else i + 1][2]
        spans = _label_runs(lab)
    return lab


def proposals(att: np.ndarray, prob: np.ndarray, video_prob: np.ndarray, cfg: RecognitionConfig) -> list[Proposal]:
    """Class-specific proposals, NMS per class.  First the runs of :func:`frame_labels` (the
    classes compete frame by frame), scored 1 + their mean frame score; then, ranked after all
    of those, runs of each detected class's frame score above each of ``proposal_thresholds``,
    scored by outer-inner contrast + 0.25 x video probability (in [-1, 1))."""
    scores = frame_scores(att, prob, cfg)
    out = [Proposal(c, a, b, 1.0 + float(scores[a:b, c].mean()))
           for a, b, c in _label_runs(frame_labels(att, prob, video_prob, cfg)) if c >= 0]
    min_len = max(1, int(round(cfg.min_segment_s * cfg.fps / 2)))
    for c in detected_classes(video_prob, cfg):
        s = scores[:, c]
        for thr in cfg.proposal_thresholds:
            out += [Proposal(int(c), a, b, min(0.99, _contrast(s, a, b) + 0.25 * float(video_prob[c]) - 0.25))
                    for a, b in runs(s >= thr) if b - a >= min_len]
    return nms(out, cfg.nms_iou)


def span_uncertainty(evidence: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(expected class probabilities, uncertainty K / S) of the mean evidence over a span."""
    w = np.ones(len(evidence)) if weights is None else np.asarray(weights, dtype=np.float64)
    e = (evidence * w[:, None]).sum(0) / max(float(w.sum()), 1e-9)
    alpha = e + 1.0
    s = float(alpha.sum())
    return alpha / s, evidence.shape[1] / s


def segment(att: np.ndarray, prob: np.ndarray, video_prob: np.ndarray, evidence: np.ndarray,
            labels: list[str], cfg: RecognitionConfig) -> list[dict]:
    """Non-overlapping actions: the runs of :func:`frame_labels` (with per-frame unknowns); a run of
    uncertain frames, or one whose evidential uncertainty exceeds ``unknown_threshold``, is labelled
    "unknown" (adjacent unknowns merge)."""
    t = len(att)
    actions: list[dict] = []
    for a, b, c in _label_runs(frame_labels(att, prob, video_prob, cfg, evidence)):
        if c == -1:
            continue
        _, u = span_uncertainty(evidence[a:b])
        name, conf = (UNKNOWN, u) if c == UNKNOWN_CLASS else (labels[c], float(prob[a:b, c].mean()) * (1.0 - u))
        if u > cfg.unknown_threshold:
            name, conf = UNKNOWN, u
        if actions and actions[-1]["label"] == name == UNKNOWN and actions[-1]["end"] == a:
            actions[-1]["end"] = b
            continue
        actions.append({"label": name, "start": a, "end": b, "confidence": round(float(conf), 4),
                        "uncertainty": round(float(u), 4)})
    for act in actions:
        act["start_s"], act["end_s"] = round(act.pop("start") / cfg.fps, 3), round(min(act.pop("end"), t) / cfg.fps, 3)
    return actions


def _label_runs(lab: np.ndarray) -> list[tuple[int, int, int]]:
    cuts = np.flatnonzero(np.diff(lab)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(lab)]])
    return [(int(a), int(b), int(lab[a])) for a, b in zip(starts, ends)]
