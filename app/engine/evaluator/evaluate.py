"""Evaluate generated motions against a corpus split with the text-motion evaluator.

`evaluate_motions(pred, split)` -> the HumanML3D table row for a set of generated clips (each
with its prompt in ``clip.text``):
- FID between the evaluator embeddings of `pred` and of the split's ground-truth motions;
- R-precision top-1/2/3 (batches of 32) and MM-Dist between each clip and its own text;
- Diversity (300 pairs, fewer for small sets) of `pred`;
- MultiModality over clips sharing the same text (None when every text has one clip);
- foot skate ratio, jitter and ground penetration (see :mod:`.metrics`).

`reference_row(split)` is the ground-truth ("Real") row: R-precision, MM-Dist, Diversity and
the physical metrics of the split's own motions with their first (canonical) text, and FID
between two disjoint random halves of the split (seeded), so it shows the noise floor of
FID at this sample size rather than a trivial 0.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import numpy as np

from app.core.motion import MotionClip
from app.engine.corpus.dataset import DEFAULT_DIR as CORPUS_DIR
from app.engine.corpus.dataset import CorpusItem, load_corpus

from . import metrics as M
from .model import DEFAULT_DIR as MODEL_DIR
from .model import Evaluator

log = logging.getLogger(__name__)

FPS = 20.0
COLUMNS = ("FID", "R@1", "R@2", "R@3", "MM-Dist", "Diversity", "MultiModality", "FootSkate", "Jitter",
           "Penetration")
_EVALUATORS: dict[str, Evaluator] = {}
_GT_EMB: dict[tuple, np.ndarray] = {}  # ground-truth embeddings per (evaluator, corpus, split)


def get_evaluator(directory: str | Path = MODEL_DIR) -> Evaluator:
    """The evaluator in `directory`, loaded once per process."""
    key = str(Path(directory).resolve())
    if key not in _EVALUATORS:
        _EVALUATORS[key] = Evaluator.load(directory)
    return _EVALUATORS[key]


def _at_fps(clip: MotionClip) -> MotionClip:
    return clip if abs(clip.fps - FPS) < 1e-6 else clip.resample(FPS)


def embed_clips(clips: list[MotionClip], evaluator: Evaluator) -> np.ndarray:
    """Evaluator embeddings of clips (resampled to 20 fps)."""
    from app.engine.repr.humanml3d import clip_to_features
    return evaluator.embed_features([clip_to_features(_at_fps(c)) for c in clips])


def _item_embeddings(items: list[CorpusItem], evaluator: Evaluator) -> np.ndarray:
    return evaluator.embed_features([it.features for it in items])


def _row(text_emb: np.ndarray, motion_emb: np.ndarray, joints: list[np.ndarray], seed: int) -> dict:
    r = M.r_precision(text_emb, motion_emb, seed=seed)
    row = {"R@1": float(r[0]), "R@2": float(r[1]), "R@3": float(r[2]),
           "MM-Dist": M.mm_dist(text_emb, motion_emb), "Diversity": M.diversity(motion_emb, seed=seed)}
    phys = M.physical_metrics(joints, FPS)
    row.update({"FootSkate": phys["foot_skate"], "Jitter": phys["jitter"], "Penetration": phys["penetration"]})
    return row


def evaluate_motions(pred: list[MotionClip], split: str = "test", evaluator: Evaluator | None = None,
                     corpus: str | Path = CORPUS_DIR, seed: int = 0) -> dict:
    """Metrics of generated clips (text in ``clip.text``) against the split's ground truth."""
    if not pred:
        raise ValueError("no motions to evaluate")
    if any(not c.text for c in pred):
        raise ValueError("every motion needs its prompt in clip.text")
    ev = evaluator or get_evaluator()
    clips = [_at_fps(c) for c in pred]
    motion_emb = embed_clips(clips, ev)
    text_emb = ev.embed_texts([c.text for c in clips])
    key = (id(ev), str(corpus), split)
    if key not in _GT_EMB:
        _GT_EMB[key] = _item_embeddings(load_corpus(corpus, split), ev)
    gt_emb = _GT_EMB[key]
    row = {"FID": M.fid(gt_emb, motion_emb) if len(pred) >= 2 else float("nan")}
    row.update(_row(text_emb, motion_emb, [c.joints() for c in clips], seed))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(clips):
        groups[c.text].append(i)
    row["MultiModality"] = M.multimodality([motion_emb[g] for g in groups.values()], seed=seed)
    row["count"] = len(pred)
    row["split"] = split
    return {k: row[k] for k in COLUMNS + ("count", "split")}


def reference_row(split: str = "test", evaluator: Evaluator | None = None, corpus: str | Path = CORPUS_DIR,
                  seed: int = 0, source: str | None = None) -> dict:
    """The ground-truth row: the split's motions with their canonical texts (see module doc).

    source: 'procedural' or 'real' restricts to one source (None = all).
    """
    ev = evaluator or get_evaluator()
    items = [it for it in load_corpus(corpus, split) if source is None or it.source == source]
    if len(items) < 4:
        raise ValueError(f"split {split!r} has too few motions ({len(items)})")
    motion_emb = _item_embeddings(items, ev)
    text_emb = ev.embed_texts([it.texts[0] for it in items])
    perm = np.random.default_rng(seed).permutation(len(items))
    half = len(items) // 2
    row = {"FID": M.fid(motion_emb[perm[:half]], motion_emb[perm[half:2 * half]])}
    row.update(_row(text_emb, motion_emb, [it.clip.joints() for it in items], seed))
    row.update({"MultiModality": None, "count": len(items), "split": split})
    return {k: row[k] for k in COLUMNS + ("count", "split")}


def format_table(rows: dict[str, dict]) -> str:
    """Plain-text table, one line per named row."""
    head = f"{'model':<18}" + "".join(f"{c:>14}" for c in COLUMNS) + f"{'N':>7}"
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        cells = []
        for c in COLUMNS:
            v = row.get(c)
            cells.append(f"{'n/a':>14}" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:>14.4f}")
        lines.append(f"{name:<18}" + "".join(cells) + f"{row.get('count', ''):>7}")
    return "\n".join(lines)
