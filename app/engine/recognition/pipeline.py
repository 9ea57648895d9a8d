"""Recognition pipeline (diffusers-like): ``RecognitionPipeline.from_pretrained(dir).recognize(clip)``.

The result holds the clip's top-5 atoms with probabilities (Dirichlet expectation of the
attention-pooled evidence), its uncertainty K / S in [0, 1] (1 = an action the model does not
know), and the localised actions: non-overlapping spans with a label, start / end in
seconds and a confidence, labelled "unknown" where the span's uncertainty exceeds the
calibrated threshold.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip

from .ensemble import ATSCNEnsemble, load, mean_outputs
from .features import FEATURE_VERSION, FPS, clip_features
from .localize import segment
from .model import ATSCN, dirichlet, pooled_evidence, video_scores

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DIR = ROOT / "models" / "recognition"
ROUTE = "skeleton"


@dataclass
class RecognitionResult:
    """What the recogniser says about one input (``to_dict`` is the CLI's JSON)."""

    clip: list[dict]
    uncertainty: float
    actions: list[dict]
    route: str = ROUTE
    model: str = ""
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    routes: dict = field(default_factory=dict)     # route "both": each route's own clip opinion

    def to_dict(self) -> dict:
        return asdict(self)


def atom_descriptions() -> dict[str, str]:
    """Every corpus atom with a one-line description (its first phrasing, default parameters)."""
    from app.engine.corpus.describe import phrase
    from app.engine.corpus.registry import ATOMS

    rng = np.random.default_rng(0)
    return {name: "a person " + phrase(name, spec.defaults(), rng, only=[0]) for name, spec in ATOMS.items()}


class RecognitionPipeline:
    """A loaded A-TSCN model (or an ensemble of them) plus pre- and post-processing."""

    def __init__(self, model: ATSCN | ATSCNEnsemble, name: str = "") -> None:
        self.model = model.eval()
        self.cfg = model.cfg
        self.name = name or "a-tscn"
        self.device = next(model.parameters()).device

    @classmethod
    def from_pretrained(cls, directory: str | Path = DEFAULT_DIR, device: str | None = None) -> "RecognitionPipeline":
        directory = Path(directory)
        if not (directory / "config.json").is_file() or not (directory / "model.safetensors").is_file():
            raise InvalidInputError(f"no recognition model in {directory} (train one: scripts/train_recognition.py)")
        model = load(directory, device)
        if model.cfg.feature_version != FEATURE_VERSION:
            raise InvalidInputError(f"the recognition model in {directory} was trained on features v"
                                    f"{model.cfg.feature_version}, this code computes v{FEATURE_VERSION}: retrain it "
                                    "(scripts/train_recognition.py)")
        return cls(model, name=directory.name)

    def save_pretrained(self, directory: str | Path, **meta) -> Path:
        return self.model.save_pretrained(directory, **meta)

    @property
    def labels(self) -> list[str]:
        return list(self.cfg.labels)

    def features(self, clip: MotionClip) -> tuple[np.ndarray, np.ndarray]:
        """Stream inputs of a clip, after checking that it can be recognised."""
        if not clip.is_smpl22():
            raise InvalidInputError("recognition needs an SMPL-22 motion")
        if not (np.isfinite(clip.trans).all() and np.isfinite(clip.rotations).all()):
            raise InvalidInputError("the motion contains NaN or infinite values")
        frames = int(round((clip.num_frames - 1) * FPS / clip.fps)) + 1
        if frames < self.cfg.min_frames:
            raise InvalidInputError(f"too short to recognise: {clip.duration:.2f} s "
                                    f"(at least {self.cfg.min_frames / FPS:.1f} s needed)")
        return clip_features(clip, self.cfg.root_motion)

    def raw(self, pose: np.ndarray, motion: np.ndarray) -> dict:
        """Network outputs for one video as numpy: attention, probabilities, evidence, clip scores
        (an ensemble's members averaged)."""
        members = self.model.members if isinstance(self.model, ATSCNEnsemble) else [self.model]
        return mean_outputs([self._raw_one(m, pose, motion) for m in members])

    @torch.no_grad()
    def _raw_one(self, model: ATSCN, pose: np.ndarray, motion: np.ndarray) -> dict:
        dev = self.device
        p = torch.from_numpy(pose)[None].to(dev)
        m = torch.from_numpy(motion)[None].to(dev)
        mask = torch.ones(1, len(pose), device=dev)
        out = model(p, m, mask)
        probs, u = dirichlet(pooled_evidence(out["evidence"], out["fused_att"] * mask))
        return {"att": out["fused_att"][0].cpu().numpy(), "prob": out["fused_prob"][0].cpu().numpy(),
                "evidence": out["evidence"][0].cpu().numpy(),
                "video_prob": video_scores(out, mask, self.cfg.topk_ratio)[0].cpu().numpy(),
                "clip_prob": probs[0].cpu().numpy(), "clip_u": float(u[0])}

    def recognize(self, clip: MotionClip, top: int = 5) -> RecognitionResult:
        """Clip-level top atoms, uncertainty and localised actions of a motion."""
        pose, motion = self.features(clip)
        r = self.raw(pose, motion)
        order = np.argsort(-r["clip_prob"])[:top]
        actions = segment(r["att"], r["prob"], r["video_prob"], r["evidence"], self.labels, self.cfg)
        for act in actions:
            act.pop("uncertainty", None)
        return RecognitionResult(
            clip=[{"label": self.labels[i], "probability": round(float(r["clip_prob"][i]), 4)} for i in order],
            uncertainty=round(float(np.clip(r["clip_u"], 0.0, 1.0)), 4), actions=actions, model=self.name,
            duration_s=round(len(pose) / FPS, 3))


def warm_up(pipe: RecognitionPipeline, seconds: float = 2.0) -> None:
    """One pass on a standing clip (first-call allocations out of the way)."""
    n = int(seconds * FPS)
    trans = np.zeros((n, 3))
    trans[:, 1] = 0.95
    pipe.recognize(MotionClip(FPS, trans, np.zeros((n, 22, 3))))
