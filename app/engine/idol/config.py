"""IDOL configurations: the model, its conditions and losses, and the training run.

``IDOL_CPU`` trains in about 3 hours on 2 CPU cores (64x64 pixels, 8 frames); ``IDOL_GPU`` is the
same model at 128x128, 16 frames and wider channels for a GPU; ``IDOL_MINI`` (32x32, narrow) only
checks that training overfits a few clips when the CPU is scarce; ``IDOL_TINY`` is for tests.
``VARIANTS`` switch off the parts the ablation rows remove (cross-modal attention, each alignment
loss) and select the two-stage baseline (an RGB-only diffusion model of the same size plus a
separate depth estimator).
Configs round-trip through JSON (``idol.json`` beside the weights).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

VARIANTS = ("full", "no_xattn", "no_motion_loss", "no_attn_loss", "two_stage")


@dataclass
class IdolConfig:
    """Everything that fixes the network and its training objective."""

    size: int = 64                    # square frames, pixel space (see models/idol/README.md for the VAE choice)
    frames: int = 8                   # frames per generated clip (temporal attention is length-agnostic)
    channels: tuple[int, ...] = (32, 64, 128)   # per U-Net level; attention at every level but the first
    layers_per_block: int = 1
    heads: int = 4
    ref_tokens_side: int = 8          # reference image -> side x side tokens for cross-attention
    ref_dim: int = 128
    modalities: int = 2               # 2: RGB + depth colour map; 1: RGB only (two-stage baseline)
    cross_modal: bool = True          # cross-modal attention in each attention block
    temporal: bool = True             # AnimateDiff-style motion modules
    # conditions and classifier-free guidance (condition dropout during training)
    p_drop_all: float = 0.1           # pose, reference and background dropped together
    p_drop_ref: float = 0.05          # reference dropped alone
    guidance: float = 1.0             # CFG scale at sampling; 2.0 doubled the RGB error of a young model
    # diffusion
    train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    prediction_type: str = "v_prediction"
    sampler: str = "ddim"             # ddim | dpm (DPMSolverMultistep)
    sample_steps: int = 20
    precision: str = "fp32"           # sampling arithmetic: fp32 | bf16 (autocast where the CPU or GPU has bf16)
    # losses
    w_motion: float = 0.1             # motion consistency of intermediate features across modalities
    w_attn: float = 1.0               # cross-attention map consistency (video maps vs depth maps; small values)
    motion_window: int = 2            # local correlation radius (in feature pixels) for the motion fields
    motion_detach_video: bool = True  # the video branch's motion field is the target (stop-gradient)
    w_depth_mask: float = 1.0         # two-stage depth estimator: extra weight on person pixels
    variant: str = "full"

    def __post_init__(self) -> None:
        self.channels = tuple(int(c) for c in self.channels)
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose from {', '.join(VARIANTS)}")
        if self.size % (2 ** (len(self.channels) - 1)):
            raise ValueError(f"size {self.size} must be divisible by {2 ** (len(self.channels) - 1)}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "IdolConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "IdolConfig":
        return cls.from_dict(json.loads(Path(path).read_text()))


def with_variant(cfg: IdolConfig, variant: str) -> IdolConfig:
    """``cfg`` with the switches of one ablation row (or the two-stage baseline)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    out = replace(cfg, variant=variant)
    if variant == "no_xattn":
        out = replace(out, cross_modal=False)
    elif variant == "no_motion_loss":
        out = replace(out, w_motion=0.0)
    elif variant == "no_attn_loss":
        out = replace(out, w_attn=0.0)
    elif variant == "two_stage":
        out = replace(out, modalities=1, cross_modal=False, w_motion=0.0, w_attn=0.0)
    return out


@dataclass
class TrainConfig:
    """One training run (``scripts/train_idol.py``)."""

    batch_clips: int = 1              # clips per step (x modalities x frames images)
    lr: float = 2e-4
    warmup: int = 200
    grad_clip: float = 1.0
    ema: float = 0.999                # EMA of the weights, used for sampling; 0 = off
    checkpoint_minutes: float = 5.0
    log_every: int = 10
    sample_every: int = 0             # steps between sample previews of a training clip (0 = never)
    eval_every: int = 0               # steps between fixed-noise denoising errors on the eval clips (0 = never)
    max_steps: int = 1_000_000
    max_minutes: float = 180.0
    threads: int = 2
    seed: int = 0
    subset: int = 0                   # train on the first N clips only (0 = all): overfit checks
    flip: bool = True                 # mirror half the windows (pose colours keep left and right true)
    export_every: int = 0             # also export the EMA model every N steps to model_step{N}/ (equal-budget rows)
    prefetch: bool = False            # build the next batch on a helper thread while this step runs (GPU runs)
    amp: str = "fp32"                 # fp32 | bf16: autocast the forward pass (GPU runs: 64 px is memory-bound)
    extra: dict = field(default_factory=dict)


IDOL_CPU = IdolConfig()
IDOL_GPU = IdolConfig(size=128, frames=16, channels=(64, 128, 256, 256), heads=8, ref_dim=256,
                      sample_steps=25)
IDOL_MINI = IdolConfig(size=32, frames=8, channels=(16, 32, 64), heads=2, ref_tokens_side=4, ref_dim=64,
                       sample_steps=20)  # overfit checks on a starved CPU (same architecture, 1/16 of the compute)
IDOL_TINY = IdolConfig(size=16, frames=3, channels=(8, 16), heads=2, ref_tokens_side=2, ref_dim=16,
                       sample_steps=2)   # tests only
PRESETS = {"cpu": IDOL_CPU, "gpu": IDOL_GPU, "mini": IDOL_MINI, "tiny": IDOL_TINY}
