"""The calibrated combination of cues: a logistic regression fitted on labelled clips.

``models/forensics/calibrated.json`` (written by ``scripts/fit_forensics.py``) holds the
cues it uses, their transform (log for non-negative cues, robust centring and scaling,
clipping), one "measured" indicator per cue family, the coefficients, and the verdict
thresholds chosen on out-of-fold probabilities (leave-one-source-out). A cue that could not
be measured contributes 0 (the training median) and its family's indicator says so.

The verdict is honest about coverage: with fewer than ``min_families`` measured cue
families it is "uncertain" whatever the probability, and a clip is never "likely real"
by default.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .boost import Stumps

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "models" / "forensics" / "calibrated.json"
FAMILY_CUES = {
    "body": ("bone_length_cv", "joint_angle_violations", "jerk", "motion_hf_ratio", "lr_asymmetry", "foot_sliding",
             "swap_rate", "image_limb_asymmetry"),
    "motion": ("motion_likelihood",),
    "pixel": ("warp_residual", "flicker", "noise_instability", "upsampling_peaks", "temporal_alternation"),
    "scene": ("epipolar_residual", "background_rigidity"),
    "face": ("face_shape_jitter", "face_shape_spread", "eye_asymmetry", "face_body_ratio", "face_identity_spread",
             "face_identity_jitter"),
    "hands": ("hand_shape_spread", "hand_shape_jitter", "hand_vanish_rate", "hand_score"),
    "surface": ("limbs_outside_mask", "mask_flicker", "part_colour_jitter", "part_colour_drift", "texture_boil",
                "person_acceleration"),
    "noise": ("residual_level", "residual_temporal_corr", "residual_spatial_corr", "latent_grid_peak",
              "residual_energy_accel", "frame_accel_ratio", "noise_brightness_slope"),
}
# pycolmap's incremental SfM cues vary run to run and are slow: shown, never scored; the motion-blur
# coupling separated nothing on the development clips (single-cue AUROC 0.51; with it the nested fit fell
# 0.812 -> 0.728, session 21): shown, never scored
UNSCORED = ("registered_share", "reprojection_error", "track_length", "camera_path_jerk", "focal_consistency",
            "blur_speed_coupling")
FAMILY_WORDS = {"body": "body motion", "motion": "motion likelihood", "pixel": "pixel consistency",
                "scene": "background geometry", "face": "face", "hands": "hands", "surface": "body surface",
                "noise": "sensor noise"}
CLIP_Z = 4.0


def family_of_cue(name: str) -> str | None:
    return next((f for f, names in FAMILY_CUES.items() if name in names), None)


@dataclass
class Transform:
    """Per-cue transform fitted on training clips: z = clip((g(x) - center) / scale)."""

    log: bool
    offset: float
    center: float
    scale: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        v = np.asarray(x, float)
        if self.log:
            v = np.log(np.maximum(v, 0.0) + self.offset)
        z = np.clip((v - self.center) / self.scale, -CLIP_Z, CLIP_Z)
        return np.where(np.isfinite(z), z, 0.0)

    @classmethod
    def fit(cls, x: np.ndarray) -> "Transform":
        v = np.asarray(x, float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return cls(False, 0.0, 0.0, 1.0)
        use_log = bool(v.min() >= 0)
        offset = 0.0
        if use_log:
            pos = v[v > 0]
            offset = float(0.1 * np.median(pos)) if pos.size else 1.0
            v = np.log(v + offset)
        q25, q50, q75 = np.percentile(v, [25, 50, 75])
        scale = float(q75 - q25) / 1.349
        if not scale > 1e-9:
            scale = float(np.std(v)) or 1.0
        return cls(use_log, offset, float(q50), scale)


def design(raw: np.ndarray, cues: list[str], transforms: list[Transform], families: list[str]) -> np.ndarray:
    """Design matrix: transformed cues (0 where missing) and one measured indicator per family."""
    raw = np.atleast_2d(np.asarray(raw, float))
    z = np.column_stack([t.apply(raw[:, j]) for j, t in enumerate(transforms)]) if cues else np.zeros((len(raw), 0))
    ind = np.column_stack([np.any(np.isfinite(raw[:, [cues.index(c) for c in FAMILY_CUES[f] if c in cues]]), axis=1)
                           for f in families]).astype(float) if families else np.zeros((len(raw), 0))
    return np.hstack([z, ind])


@dataclass
class CalibratedModel:
    cues: list[str]
    transforms: list[Transform]
    families: list[str]
    coef: np.ndarray
    intercept: float
    generated_at: float            # p >= this: "likely generated"
    real_at: float                 # p <= this: "likely real"
    min_families: int = 3
    reference: dict = field(default_factory=dict)   # per-cue ranges of the real training clips
    meta: dict = field(default_factory=dict)
    stumps: Stumps | None = None    # boosted stumps on the raw cues instead of the logistic regression

    @property
    def kind(self) -> str:
        return "stumps" if self.stumps is not None else "logistic"

    def probability(self, values: dict[str, float | None]) -> float:
        raw = np.array([[finite_or_nan(values.get(c)) for c in self.cues]])
        if self.stumps is not None:
            return float(self.stumps.predict(raw)[0])
        x = design(raw, self.cues, self.transforms, self.families)[0]
        return float(1.0 / (1.0 + math.exp(-(float(x @ self.coef) + self.intercept))))

    def contributions(self, values: dict[str, float | None]) -> dict[str, float]:
        """Per measured cue, in logit units (positive = towards generated): coefficient x
        transformed value, or for stumps the sum of that cue's stump outputs."""
        out = {}
        for j, c in enumerate(self.cues):
            v = finite_or_nan(values.get(c))
            if not math.isfinite(v):
                continue
            if self.stumps is not None:
                s = self.stumps
                out[c] = float(sum((lv if v <= t else rv) for f, t, lv, rv in
                                   zip(s.feature, s.threshold, s.left, s.right) if f == j))
            else:
                out[c] = float(self.coef[j] * self.transforms[j].apply(np.array([v]))[0])
        return out

    def to_dict(self) -> dict:
        return {"format": "action-studio-forensics-calibrated", "version": 1, "cues": self.cues,
                "transforms": [t.__dict__ for t in self.transforms], "families": self.families,
                "coef": [float(c) for c in self.coef], "intercept": float(self.intercept),
                "thresholds": {"generated_at": self.generated_at, "real_at": self.real_at,
                               "min_families": self.min_families},
                "reference": self.reference, "meta": self.meta,
                **({"kind": "stumps", "stumps": self.stumps.to_dict()} if self.stumps is not None else {})}

    @classmethod
    def from_dict(cls, d: dict) -> "CalibratedModel":
        th = d["thresholds"]
        return cls(cues=list(d["cues"]), transforms=[Transform(**t) for t in d["transforms"]],
                   families=list(d["families"]), coef=np.asarray(d["coef"], float), intercept=float(d["intercept"]),
                   generated_at=float(th["generated_at"]), real_at=float(th["real_at"]),
                   min_families=int(th.get("min_families", 3)), reference=d.get("reference", {}),
                   meta=d.get("meta", {}),
                   stumps=Stumps.from_dict(d["stumps"]) if d.get("kind") == "stumps" else None)


def finite_or_nan(v) -> float:
    """float(v) when it is a finite number, else NaN (missing or unmeasured cue values)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return x if math.isfinite(x) else float("nan")


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> CalibratedModel:
    with open(path, encoding="utf-8") as f:
        return CalibratedModel.from_dict(json.load(f))


def load_model(path: str | Path | None = None) -> CalibratedModel | None:
    """The shipped calibrated model, or None (logged) when the file is missing or unreadable."""
    p = Path(path) if path else DEFAULT_PATH
    if not p.is_file():
        log.warning("no calibrated forensics model at %s: falling back to the hand-set combination", p)
        return None
    try:
        return _load(str(p), p.stat().st_mtime)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("calibrated forensics model %s unreadable: %s", p, exc)
        return None


def measured_families(values: dict[str, float | None]) -> list[str]:
    return [f for f, names in FAMILY_CUES.items() if any(math.isfinite(finite_or_nan(values.get(c))) for c in names)]


def decide(p: float, families: list[str], model: CalibratedModel) -> tuple[str, list[str]]:
    """(verdict, coverage reasons) from the probability of 'generated' and the measured families."""
    notes: list[str] = []
    if len(families) < model.min_families:
        missing = [FAMILY_WORDS[f] for f in FAMILY_CUES if f not in families]
        have = ", ".join(FAMILY_WORDS[f] for f in families) or "none"
        notes.append(f"Only {len(families)} of {len(FAMILY_CUES)} kinds of evidence could be measured ({have}); "
                     f"not measured: {', '.join(missing)}. Too little to decide either way.")
        return "uncertain", notes
    if p >= model.generated_at:
        return "likely generated", notes
    if p <= model.real_at:
        return "likely real", notes
    return "uncertain", notes


__all__ = ["CalibratedModel", "Transform", "FAMILY_CUES", "UNSCORED", "design", "load_model", "decide",
           "measured_families", "family_of_cue"]
