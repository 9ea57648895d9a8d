"""Evaluation of the RGB route: closed-set accuracy, open-set AUROC and macro-F1, split into
bias-aligned and bias-conflicting test clips.

- closed-set accuracy: top-1 over the known classes, on known-atom clips;
- open-set AUROC: the clip uncertainty K / S as the score for "unknown" (held-out atoms
  positive, known atoms negative), on all test clips and on the aligned / conflicting known
  clips (each with all unknown clips);
- open-set macro-F1 over the K known classes plus "unknown": a clip is "unknown" when its
  uncertainty exceeds the threshold calibrated on known validation clips (95th percentile).
"""
from __future__ import annotations

import numpy as np
import torch

from app.engine.recognition.metrics import auroc

from .data import ClipSet, fit_frames
from .model import SOAR, dirichlet

CALIBRATION_QUANTILE = 0.95


@torch.no_grad()
def clip_evidence(model: SOAR, rgb: np.ndarray, batch_size: int = 64) -> torch.Tensor:
    """Dirichlet evidence [N, K] (CPU) of uint8 clips [N, T, S, S, 3], in eval mode."""
    rgb = fit_frames(rgb, model.cfg.frames)
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    out = [model(torch.from_numpy(np.ascontiguousarray(rgb[i:i + batch_size])).to(dev))["evidence"].cpu()
           for i in range(0, len(rgb), batch_size)]
    model.train(was)
    return torch.cat(out) if out else torch.zeros(0, model.cfg.num_classes)


def predict(model: SOAR, rgb: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(expected probabilities [N, K], uncertainty [N]) of uint8 clips [N, T, S, S, 3]."""
    p, u = dirichlet(clip_evidence(model, rgb, batch_size))
    return p.numpy(), u.numpy()


def calibrate(u_known: np.ndarray, quantile: float = CALIBRATION_QUANTILE) -> float:
    """Unknown threshold: the ``quantile`` of known validation clips' uncertainty."""
    return float(np.quantile(u_known, quantile)) if len(u_known) else 0.5


def macro_f1(true: list[str], pred: list[str]) -> float:
    """Mean F1 over the classes that occur in ``true``."""
    t, p = np.asarray(true), np.asarray(pred)
    scores = []
    for c in np.unique(t):
        tp = float(np.sum((t == c) & (p == c)))
        fp, fn = float(np.sum((t != c) & (p == c))), float(np.sum((t == c) & (p != c)))
        scores.append(2 * tp / max(2 * tp + fp + fn, 1e-9))
    return float(np.mean(scores)) if scores else 0.0


def evaluate(model: SOAR, clips: ClipSet, threshold: float) -> dict:
    """Metrics of ``model`` on a test :class:`ClipSet` (see the module notes)."""
    labels = list(model.cfg.labels)
    probs, u = predict(model, clips.rgb)
    known = np.asarray([a in labels for a in clips.atoms])
    unknown = ~known
    truth = np.asarray([labels.index(a) if a in labels else -1 for a in clips.atoms])
    top1 = probs.argmax(1) if len(probs) else np.zeros(0, int)
    hit = (top1 == truth) & known
    out: dict = {"n_known": int(known.sum()), "n_unknown": int(unknown.sum()), "threshold": threshold}
    for name, sel in (("all", known), ("aligned", known & clips.aligned), ("conflicting", known & ~clips.aligned)):
        out[f"acc_{name}"] = float(hit[sel].mean()) if sel.any() else float("nan")
        pos_neg = sel | unknown
        out[f"auroc_{name}"] = auroc(u[pos_neg], unknown[pos_neg]) if unknown.any() and sel.any() else float("nan")
    true_names = [a if k else "unknown" for a, k in zip(clips.atoms, known)]
    pred_names = ["unknown" if uu > threshold else labels[i] for i, uu in zip(top1, u)]
    out["macro_f1"] = macro_f1(true_names, pred_names)
    from app.engine.corpus.registry import ATOMS

    fam_hit = [ATOMS[labels[i]].family == f for i, f, k in zip(top1, clips.families, known) if k]
    out["family_acc"] = float(np.mean(fam_hit)) if fam_hit else float("nan")
    out["u_known_mean"] = float(u[known].mean()) if known.any() else float("nan")
    out["u_unknown_mean"] = float(u[unknown].mean()) if unknown.any() else float("nan")
    return out
