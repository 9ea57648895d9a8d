"""From cue values to a verdict: each cue is compared with its reference range from real
material; cues outside the range raise suspicion, weighted by how physical the cue is.

* cue suspicion s in [0, 1]: 0 inside [lo, hi]; outside it grows as a half-Gaussian in units
  of the reference's tail width (p99 - p95), so a value at p99 gives about 0.4 and one three
  tail widths beyond p95 about 0.99. ``score`` = 1 - s (1 = looks real).
* authenticity = 1 - (0.5 * weighted mean suspicion + 0.5 * E), E = 1 - prod (1 - s_i)^w_i
  (weight-tempered noisy-OR of the cues' tail likelihoods), over measured cues only; unmeasured
  cues never count as evidence either way. E lets an overwhelming cue count fully (the former
  "strongest weighted suspicion" saturated at the cue's weight); the mean term keeps a single
  cue from convicting alone (docs/forensics.md, "Scoring").
* verdict: >= 0.65 likely real, <= 0.35 likely generated, else uncertain; confidence shrinks
  with the share of cue weight that could be measured; below 25 % coverage (or fewer than
  three measured cues) the verdict is always 'uncertain'.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import calibration as cal
from .blur_cues import BLUR_CUES
from .face_cues import FACE_CUES
from .face_identity import IDENTITY_CUES
from .hand_cues import HAND_CUES
from .likelihood import LIKELIHOOD_CUES
from .pixel_cues import PIXEL_CUES
from .pose_cues import POSE_CUES
from .residual_cues import RESIDUAL_CUES
from .sfm_cues import SFM_CUES
from .surface_cues import SURFACE_CUES

GROUPS = {"body": {**POSE_CUES, **LIKELIHOOD_CUES}, "face": {**FACE_CUES, **IDENTITY_CUES}, "hands": HAND_CUES,
          "surface": {**SURFACE_CUES, **BLUR_CUES}, "scene": SFM_CUES, "pixel": PIXEL_CUES, "noise": RESIDUAL_CUES}
WEIGHTS = {"bone_length_cv": 1.0, "joint_angle_violations": 0.7, "jerk": 0.8, "motion_hf_ratio": 0.6,
           "lr_asymmetry": 0.8, "foot_sliding": 0.8, "swap_rate": 0.6,
           "registered_share": 0.8, "reprojection_error": 1.0, "epipolar_residual": 1.0, "background_rigidity": 1.0,
           "track_length": 0.5, "camera_path_jerk": 0.6, "focal_consistency": 0.6,
           "warp_residual": 0.6, "flicker": 0.5, "noise_instability": 0.5, "upsampling_peaks": 0.4,
           "image_limb_asymmetry": 0.8, "motion_likelihood": 0.6, "temporal_alternation": 0.6}
REAL_AT, GENERATED_AT = 0.65, 0.35
MIN_COVERAGE, MIN_CUES = 0.25, 3
VERDICTS = ("likely real", "uncertain", "likely generated")


@dataclass
class Cue:
    """One measured (or unmeasurable) cue with its reference and score."""

    name: str
    group: str
    label: str
    value: float | None
    per_frame: np.ndarray | None = None
    reason: str = ""                     # why it could not be measured
    reference: dict | None = None
    suspicion: float | None = None
    weight: float = 0.0

    @property
    def measured(self) -> bool:
        return self.value is not None and math.isfinite(self.value)

    @property
    def score(self) -> float | None:
        return None if self.suspicion is None else 1.0 - self.suspicion


@dataclass
class Verdict:
    authenticity: float
    verdict: str
    confidence: float
    coverage: float
    reasons: list[str] = field(default_factory=list)
    timeline: np.ndarray | None = None
    probability: float | None = None          # calibrated P(generated); None with the hand-set combination
    families: list[str] = field(default_factory=list)   # cue families that could be measured
    calibrated: bool = False


def group_of(name: str) -> str:
    return next((g for g, names in GROUPS.items() if name in names), "other")


def label_of(name: str) -> str:
    return GROUPS.get(group_of(name), {}).get(name, name)


def suspicion(value: float | np.ndarray, ref: dict) -> float | np.ndarray:
    """Suspicion of `value` (scalar or array; NaN stays NaN) against reference `ref`."""
    v = np.asarray(value, dtype=float)
    lo, hi = ref.get("lo"), ref.get("hi")
    if lo is None or hi is None:
        return np.full(v.shape, np.nan) if v.ndim else float("nan")
    span = max(hi - lo, 1e-9)
    up = max(ref.get("p99", hi) - hi, 0.25 * span, 1e-9)
    down = max(lo - ref.get("p1", lo), 0.25 * span, 1e-9)
    d = ref.get("direction", "high")
    excess = np.zeros_like(v)
    if d in ("high", "both"):
        excess = np.maximum(excess, (v - hi) / up)
    if d in ("low", "both"):
        excess = np.maximum(excess, (lo - v) / down)
    s = 1.0 - np.exp(-0.5 * np.maximum(excess, 0.0) ** 2)
    s = np.where(np.isfinite(v), s, np.nan)
    return float(s) if s.ndim == 0 else s


def score_cue(cue: Cue, ref: dict | None) -> Cue:
    cue.reference = ref
    cue.weight = WEIGHTS.get(cue.name, 0.5)
    if cue.measured and ref and ref.get("lo") is not None:
        cue.suspicion = float(suspicion(cue.value, ref))
    elif cue.measured:
        cue.reason = cue.reason or "no reference range for this cue"
    return cue


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def reason_text(cue: Cue) -> str:
    r = cue.reference or {}
    side = "above" if cue.value > r.get("hi", cue.value) else "below"
    bound = r.get("hi") if side == "above" else r.get("lo")
    return (f"{cue.label}: {_fmt(cue.value)} is {side} the range of real material "
            f"({_fmt(r.get('lo', float('nan')))}–{_fmt(r.get('hi', float('nan')))}; limit {_fmt(bound)})")


AGGREGATION = "mean_evidence"


def aggregate(w: np.ndarray, s: np.ndarray, how: str | None = None) -> float:
    """Authenticity from cue weights and suspicions (see the module notes)."""
    how = how or AGGREGATION
    s = np.clip(s, 0.0, 1.0 - 1e-12)
    mean_s = float((w * s).sum() / w.sum())
    evidence = float(1.0 - np.exp(np.sum(w * np.log1p(-s))))   # 1 - prod (1 - s_i)^w_i
    if how == "mean_max":
        return float(np.clip(1.0 - (0.5 * mean_s + 0.5 * float((w * s).max())), 0.0, 1.0))
    if how == "product":
        return float(np.clip(1.0 - evidence, 0.0, 1.0))
    return float(np.clip(1.0 - (0.5 * mean_s + 0.5 * evidence), 0.0, 1.0))


def combine(cues: list[Cue], num_frames: int) -> Verdict:
    """The authenticity score, verdict, reasons and per-frame suspicion timeline."""
    total_w = sum(WEIGHTS.get(c.name, 0.5) for c in cues) or 1.0
    scored = [c for c in cues if c.suspicion is not None]
    coverage = sum(c.weight for c in scored) / total_w
    timeline = _timeline(scored, num_frames)
    if not scored:
        return Verdict(0.5, "uncertain", 0.0, 0.0, ["No cue could be measured, so there is no evidence either way."],
                       timeline)
    w = np.array([c.weight for c in scored])
    s = np.array([c.suspicion for c in scored])
    auth = aggregate(w, s)
    if auth >= REAL_AT:
        verdict = "likely real"
    elif auth <= GENERATED_AT:
        verdict = "likely generated"
    else:
        verdict = "uncertain"
    strength = abs(auth - 0.5) * 2
    confidence = float(strength * (0.4 + 0.6 * coverage))
    reasons = [reason_text(c) for c in sorted(scored, key=lambda c: -c.weight * c.suspicion)
               if c.suspicion > 0.3][:3]
    if coverage < MIN_COVERAGE or len(scored) < MIN_CUES:
        verdict = "uncertain"
        confidence = min(confidence, 0.2)
        reasons.append(f"Only {len(scored)} cues ({coverage:.0%} of the evidence) could be measured.")
    if not reasons:
        near = [c.label for c in scored if c.suspicion > 0]
        reasons = ([f"All {len(scored)} measured cues lie within the ranges of real material."] if not near else
                   [f"No measured cue is far outside the ranges of real material; {len(near)} of {len(scored)} "
                    f"are slightly outside: {'; '.join(near[:3])}{' …' if len(near) > 3 else ''}."])
    return Verdict(auth, verdict, confidence, float(coverage), reasons, timeline)


def _timeline(cues: list[Cue], n: int) -> np.ndarray:
    """Per-frame weighted mean suspicion of the cues with per-frame curves (NaN = no data)."""
    num = np.zeros(n)
    den = np.zeros(n)
    for c in cues:
        if c.per_frame is None or c.reference is None or len(c.per_frame) != n:
            continue
        ref = c.reference.get("per_frame") or c.reference
        s = suspicion(np.asarray(c.per_frame, float), ref)
        ok = np.isfinite(s)
        num[ok] += c.weight * s[ok]
        den[ok] += c.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        tl = np.where(den > 0, num / np.maximum(den, 1e-9), np.nan)
    return tl


def _plain(cue: Cue, model: "cal.CalibratedModel", towards: str) -> str:
    ref = model.reference.get(cue.name) or {}
    rng = (f" (real clips: {_fmt(ref['lo'])}–{_fmt(ref['hi'])})" if ref.get("lo") is not None else "")
    return f"{cue.label}: {_fmt(cue.value)}, {towards}{rng}"


def combine_calibrated(cues: list[Cue], num_frames: int, model: "cal.CalibratedModel") -> Verdict:
    """Verdict from the calibrated model (probability of 'generated', thresholds chosen out of fold)."""
    values = {c.name: c.value for c in cues if c.measured}
    families = cal.measured_families(values)
    p = model.probability(values)
    verdict, notes = cal.decide(p, families, model)
    scored = [c for c in cues if c.suspicion is not None]
    timeline = _timeline(scored, num_frames)
    contrib = model.contributions(values)
    by_name = {c.name: c for c in cues}
    reasons: list[str] = []
    if verdict == "likely generated" or (verdict == "uncertain" and p >= 0.5):
        top = sorted((v, k) for k, v in contrib.items() if v > 0.15)[::-1][:3]
        reasons = [_plain(by_name[k], model, "more like generated clips") for _, k in top]
    elif verdict == "likely real" or p < 0.5:
        top = sorted((v, k) for k, v in contrib.items() if v < -0.15)[:3]
        reasons = [_plain(by_name[k], model, "more like real footage") for _, k in top]
    head = (f"Calibrated probability of generated: {p:.2f} (likely generated from {model.generated_at:.2f}, "
            f"likely real up to {model.real_at:.2f}); measured: {', '.join(cal.FAMILY_WORDS[f] for f in families) or 'nothing'}.")
    coverage = len(families) / len(cal.FAMILY_CUES)
    strength = abs(p - 0.5) * 2
    confidence = float(strength * (0.4 + 0.6 * coverage)) if not notes else min(0.2, strength)
    return Verdict(authenticity=1.0 - p, verdict=verdict, confidence=confidence, coverage=coverage,
                   reasons=[head] + notes + reasons, timeline=timeline, probability=p, families=families,
                   calibrated=True)
