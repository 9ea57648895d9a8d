"""Evaluation of a recogniser on cached videos: localisation mAP, open-set AUROC, real top-1.

* localisation: proposals on held-out compositions (corpus test split) against the frame
  segments of known atoms, mAP at tIoU 0.1-0.7 and their average;
* open set: uncertainty K / S of the evidence over each ground-truth segment; positives are
  segments of atoms held out of training (``cfg.unknown_atoms``);
* real mocap: top-1 of the clip probabilities on windows whose label maps to an atom.
"""
from __future__ import annotations

import numpy as np
import torch

from .config import RecognitionConfig
from .data import Video, all_atom_names, pad_videos, real_atom
from .ensemble import ATSCNEnsemble, mean_outputs
from .localize import UNKNOWN, frame_uncertainty, proposals, runs, segment, span_uncertainty
from .metrics import auroc, detection_map
from .model import ATSCN, dirichlet, pooled_evidence, video_scores


@torch.no_grad()
def predict(model: ATSCN | ATSCNEnsemble, videos: list[Video], batch_size: int = 32) -> list[dict]:
    """Per video: fused attention [T], fused probabilities [T, K], video probabilities [K],
    evidence [T, K], evidential clip probabilities [K] and clip uncertainty (an ensemble's
    members averaged)."""
    if isinstance(model, ATSCNEnsemble):
        per_member = [predict(m, videos, batch_size) for m in model.members]
        return [mean_outputs(list(outs)) for outs in zip(*per_member)]
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    out: list[dict] = []
    order = np.argsort([v.length for v in videos])
    results: dict[int, dict] = {}
    for k in range(0, len(order), batch_size):
        idx = order[k:k + batch_size]
        b = {key: torch.from_numpy(val).to(dev) for key, val in pad_videos([videos[i] for i in idx]).items()}
        o = model(b["pose"], b["motion"], b["mask"])
        vp = video_scores(o, b["mask"], model.cfg.topk_ratio)
        cp, cu = dirichlet(pooled_evidence(o["evidence"], o["fused_att"] * b["mask"]))
        for j, i in enumerate(idx):
            t = videos[i].length
            results[int(i)] = {"att": o["fused_att"][j, :t].cpu().numpy(), "prob": o["fused_prob"][j, :t].cpu().numpy(),
                               "video_prob": vp[j].cpu().numpy(), "evidence": o["evidence"][j, :t].cpu().numpy(),
                               "clip_prob": cp[j].cpu().numpy(), "clip_u": float(cu[j])}
    out = [results[i] for i in range(len(videos))]
    model.train(was_training)
    return out


def gt_segments(video: Video, names: list[str]) -> list[tuple[str, int, int]]:
    """(atom, start, end) frame runs of a video's frame labels."""
    out = []
    for atom_idx in np.unique(video.frames):
        if atom_idx >= 0:
            out += [(names[atom_idx], a, b) for a, b in runs(video.frames == atom_idx)]
    return sorted(out, key=lambda s: s[1])


def localisation(model: ATSCN, videos: list[Video], preds: list[dict] | None = None) -> dict:
    """mAP of proposals (and of the non-overlapping segmentation) against known-atom segments."""
    cfg = model.cfg
    preds = preds or predict(model, videos)
    names = all_atom_names()
    gts, dets, seg_dets = [], [], []
    for v, p in zip(videos, preds):
        gts += [(v.id, a, s, e) for a, s, e in gt_segments(v, names)]
        dets += [(v.id, cfg.labels[q.cls], q.start, q.end, q.score)
                 for q in proposals(p["att"], p["prob"], p["video_prob"], cfg)]
        for act in segment(p["att"], p["prob"], p["video_prob"], p["evidence"], cfg.labels,
                           _known_only(cfg)):
            seg_dets.append((v.id, act["label"], act["start_s"] * cfg.fps, act["end_s"] * cfg.fps, act["confidence"]))
    out = detection_map(dets, gts, cfg.labels)
    out["segmentation"] = detection_map(seg_dets, gts, cfg.labels)
    return out


def _known_only(cfg: RecognitionConfig) -> RecognitionConfig:
    from dataclasses import replace
    return replace(cfg, unknown_threshold=1.1, unknown_frame_threshold=0.0)


def open_set(model: ATSCN, videos: list[Video], preds: list[dict] | None = None) -> dict:
    """AUROC of the segment uncertainty (unknown atoms positive) and of the clip uncertainty on
    single-atom videos; also the share of known / unknown segments above ``unknown_threshold``."""
    preds = preds or predict(model, videos)
    names = all_atom_names()
    unknown = set(model.cfg.unknown_atoms)
    seg_u, seg_pos, clip_u, clip_pos = [], [], [], []
    for v, p in zip(videos, preds):
        segs = gt_segments(v, names)
        for atom, a, b in segs:
            seg_u.append(span_uncertainty(p["evidence"][a:b])[1])
            seg_pos.append(atom in unknown)
        if len({s[0] for s in segs}) == 1:
            clip_u.append(p["clip_u"])
            clip_pos.append(segs[0][0] in unknown)
    seg_u, seg_pos = np.array(seg_u), np.array(seg_pos, bool)
    thr = model.cfg.unknown_threshold
    return {"auroc_segments": round(auroc(seg_u, seg_pos), 4), "auroc_single_atom_clips": round(auroc(clip_u, clip_pos), 4),
            "segments_known": int((~seg_pos).sum()), "segments_unknown": int(seg_pos.sum()),
            "unknown_rate_known": round(float((seg_u[~seg_pos] > thr).mean()), 4) if (~seg_pos).any() else None,
            "unknown_rate_unknown": round(float((seg_u[seg_pos] > thr).mean()), 4) if seg_pos.any() else None}


def known_segment_uncertainties(model: ATSCN, videos: list[Video]) -> np.ndarray:
    """Uncertainty of every ground-truth segment of a known atom (for calibrating the threshold)."""
    names = all_atom_names()
    unknown = set(model.cfg.unknown_atoms)
    out = []
    for v, p in zip(videos, predict(model, videos)):
        out += [span_uncertainty(p["evidence"][a:b])[1] for atom, a, b in gt_segments(v, names) if atom not in unknown]
    return np.array(out)


def real_top1(model: ATSCN, videos: list[Video], splits: tuple[str, ...] | None = None) -> dict:
    """Top-1 accuracy on real windows mapped to known atoms (evidential clip probabilities and
    top-k CAS video probabilities), without and with the dance styles mapped to "dance"."""
    labels = model.cfg.labels
    out: dict = {}
    for key, with_dance in (("mapped", False), ("with_dance", True)):
        sel = [v for v in videos if (splits is None or v.split in splits)
               and (real_atom(v.label, with_dance) or "") in labels]
        if not sel:
            out[key] = {"n": 0}
            continue
        preds = predict(model, sel)
        truth = [real_atom(v.label, with_dance) for v in sel]
        clip = [labels[int(np.argmax(p["clip_prob"]))] for p in preds]
        cas = [labels[int(np.argmax(p["video_prob"]))] for p in preds]
        per: dict[str, list[int]] = {}
        for t, c in zip(truth, clip):
            per.setdefault(t, [0, 0])
            per[t][0] += int(t == c)
            per[t][1] += 1
        out[key] = {"n": len(sel), "top1": round(float(np.mean([t == c for t, c in zip(truth, clip)])), 4),
                    "top1_cas": round(float(np.mean([t == c for t, c in zip(truth, cas)])), 4),
                    "per_atom": {k: f"{a}/{n}" for k, (a, n) in sorted(per.items())}}
    return out


def frame_uncertainty_threshold(model: ATSCN, videos: list[Video], quantile: float = 0.98) -> float:
    """The ``quantile`` of the per-frame uncertainty (:func:`frame_uncertainty`) over the frames of known
    atoms: the ``unknown_frame_threshold`` that marks ``1 - quantile`` of known frames unknown (calibrate on val)."""
    cfg, names = model.cfg, all_atom_names()
    unknown = {names.index(a) for a in cfg.unknown_atoms if a in names}
    window = max(1, int(round(cfg.unknown_window_s * cfg.fps)))
    u = [frame_uncertainty(p["evidence"], window)[(v.frames >= 0) & ~np.isin(v.frames, list(unknown))]
         for v, p in zip(videos, predict(model, videos))]
    return float(np.quantile(np.concatenate(u), quantile))


def unknown_in_compositions(model: ATSCN, videos: list[Video], preds: list[dict] | None = None) -> dict:
    """On videos mixing held-out and known atoms, frame by frame against :func:`segment`'s actions: the share
    of held-out atoms' frames labelled "unknown" and the share of known atoms' frames given their own atom."""
    cfg, names = model.cfg, all_atom_names()
    unknown = {names.index(a) for a in cfg.unknown_atoms if a in names}
    known = lambda f: f >= 0 and int(f) not in unknown  # noqa: E731
    mixed = [i for i, v in enumerate(videos) if any(int(f) in unknown for f in np.unique(v.frames))
             and any(known(f) for f in np.unique(v.frames))]
    preds = preds or predict(model, videos)
    hit_u, hit_k = [], []
    for i in mixed:
        v, p = videos[i], preds[i]
        lab = np.full(v.length, "", dtype=object)
        for act in segment(p["att"], p["prob"], p["video_prob"], p["evidence"], cfg.labels, cfg):
            lab[int(round(act["start_s"] * cfg.fps)):int(round(act["end_s"] * cfg.fps))] = act["label"]
        for t, f in enumerate(v.frames):
            if int(f) in unknown:
                hit_u.append(lab[t] == UNKNOWN)
            elif f >= 0:
                hit_k.append(lab[t] == names[f])
    return {"videos": len(mixed), "unknown_frames_called_unknown": round(float(np.mean(hit_u)), 4) if hit_u else None,
            "known_frames_named": round(float(np.mean(hit_k)), 4) if hit_k else None}
