"""Configuration of the skeleton-route recogniser (A-TSCN with an evidential head).

``RecognitionConfig`` describes the network, its losses and inference; ``TrainConfig`` the
optimisation.  ``*_CPU`` presets train in well under an hour on 2 CPU cores; ``*_GPU`` are a
wider, deeper network for a GPU.  Both round-trip through ``config.json``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from app.core.config_overrides import apply_overrides

from .features import FEATURE_VERSION, MOTION_DIM, POSE_DIM

# atoms never trained on: the open-set protocol reports them as "unknown" (one per family, plus one)
UNKNOWN_ATOMS = ("jumping_jacks", "lunge", "clap", "arm_circles", "toe_touch")
STREAMS = ("pose", "motion")


@dataclass
class RecognitionConfig:
    model_type: str = "a-tscn"
    labels: list[str] = field(default_factory=list)          # known atoms, in output order
    unknown_atoms: list[str] = field(default_factory=lambda: list(UNKNOWN_ATOMS))
    streams: list[str] = field(default_factory=lambda: list(STREAMS))
    pose_dim: int = POSE_DIM
    motion_dim: int = MOTION_DIM
    feature_version: int = FEATURE_VERSION
    root_motion: bool = True       # motion stream sees root velocity / yaw rate (video input has none)
    fps: float = 20.0
    hidden: int = 64
    layers: int = 5                # dilated residual conv blocks, dilation 1, 2, 4, ...
    kernel: int = 3
    dropout: float = 0.1
    # multiple-instance losses
    topk_ratio: float = 8.0        # k = ceil(T / topk_ratio) frames per class
    w_mil_att: float = 1.0         # attention-weighted pooling
    w_mil_topk: float = 1.0        # top-k pooling
    w_norm: float = 0.1            # adaptive attention normalisation loss (0 = off)
    # pseudo ground truth from the fused streams, refreshed refine_iters times
    refine_iters: int = 2
    pseudo_att_threshold: float = 0.5
    pseudo_smooth: int = 5         # frames of the moving average before the class argmax
    pseudo_cls_everywhere: bool = True  # pseudo classes on every frame (our motions have no background)
    w_pseudo_att: float = 1.0
    w_pseudo_cls: float = 1.0
    # augmentation (training only), in units of each feature group's std: a constant offset per
    # video (posture / rig / style), per-frame noise, and a random speed factor on the motion stream
    aug_offset: float = 0.5
    aug_noise: float = 0.2
    aug_speed: float = 0.2
    # evidential head
    w_edl: float = 1.0
    w_edl_kl: float = 0.05         # KL to the uniform Dirichlet on wrong-class evidence, annealed in
    evidence_clamp: float = 10.0   # evidence = exp(clamp(logit))
    # inference
    class_threshold: float = 0.1   # video-level probability for a class to get proposals
    frame_class_threshold: float = 0.8  # also a class that wins >= min_segment_s of frames at this probability
                                        # (a softmax video score splits a 3-action clip below class_threshold); 0 = off
    max_classes: int = 6
    proposal_thresholds: list[float] = field(default_factory=lambda: [0.15, 0.3, 0.45, 0.6, 0.75])
    att_power: float = 0.0         # frame score = class probability * attention ** att_power
    nms_iou: float = 0.5
    min_segment_s: float = 0.4
    background_threshold: float = 0.0  # frames with a lower fused attention are background (0: none)
    unknown_threshold: float = 0.5  # segment / clip uncertainty above this -> "unknown" (calibrated on val)
    # frames whose evidential uncertainty (evidence averaged over unknown_window_s) exceeds this are "unknown"
    # before the runs are formed, so an unknown action inside a known one gets its own span (0: off)
    unknown_frame_threshold: float = 0.0
    unknown_window_s: float = 1.0
    min_frames: int = 10            # shorter inputs are rejected

    @property
    def num_classes(self) -> int:
        return len(self.labels)


@dataclass
class TrainConfig:
    steps: int = 4000
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 100
    grad_clip: float = 1.0
    max_minutes: float = 0.0       # wall-clock budget; progress = max(step/steps, elapsed/budget)
    threads: int = 2
    seed: int = 0
    log_every: int = 25
    val_every: int = 400
    ckpt_every_s: float = 180.0
    subset: int = 0                # train on the first N eligible videos only (0 = all)


RECOG_CPU = RecognitionConfig()
RECOG_GPU = RecognitionConfig(hidden=256, layers=7, dropout=0.2)
TRAIN_CPU = TrainConfig()
TRAIN_GPU = TrainConfig(steps=20000, batch_size=64, lr=1e-3, threads=8)


def config_to_dict(cfg: RecognitionConfig) -> dict:
    return asdict(cfg)


def config_from_dict(d: dict) -> RecognitionConfig:
    """A config from a dict; unknown keys (e.g. training metadata) are ignored."""
    names = {f.name for f in fields(RecognitionConfig)}
    return RecognitionConfig(**{k: v for k, v in d.items() if k in names})


def train_config_from_dict(d: dict) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in d.items() if k in names})


def save_config(cfg: RecognitionConfig, path: str | Path, **meta) -> None:
    Path(path).write_text(json.dumps({**config_to_dict(cfg), "meta": meta}, indent=1))


def load_config(path: str | Path) -> tuple[RecognitionConfig, dict]:
    """(config, meta) from ``config.json``."""
    d = json.loads(Path(path).read_text())
    return config_from_dict(d), d.get("meta", {})


override = apply_overrides  # KEY=VALUE strings onto a dataclass config (shared with text to motion)
