"""Configuration of the RGB route (SOAR: scene-debiasing open-set action recognition).

``SoarConfig`` describes the network (a small (2+1)D conv backbone), its heads (evidential
action head, scene-reconstruction decoder and scene classifier, both behind gradient reversal)
and the loss weights; ``SoarTrainConfig`` the optimisation.  ``*_CPU`` presets train in a few
minutes on 2 CPU cores at 32 x 32 x 8 (5 fps); ``*_GPU`` is a wider network on 64 x 64 clips.  The
model config round-trips through ``config.json`` (``save_pretrained`` / ``from_pretrained``).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from app.engine.recognition.config import UNKNOWN_ATOMS


@dataclass
class SoarConfig:
    model_type: str = "soar"
    labels: list[str] = field(default_factory=list)          # known atoms, in output order
    unknown_atoms: list[str] = field(default_factory=lambda: list(UNKNOWN_ATOMS))
    size: int = 32                 # input frames are size x size
    frames: int = 8                # clip length (16 rendered frames at 10 fps are taken every 2nd)
    fps: float = 5.0
    widths: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    motion_channels: bool = True   # frame differences as 3 extra input channels
    dropout: float = 0.3
    # evidential head (Dirichlet): evidence = exp(c tanh(logit / c)), uncertainty = K / S
    evidence_clamp: float = 10.0
    edl_loss: str = "log"          # "log": log S - log alpha_y (SOAR, DEAR); "digamma": psi(S) - psi(alpha_y)
    w_edl_kl: float = 0.0          # KL of the wrong-class evidence to Dir(1), annealed in (SOAR: none)
    # accuracy-vs-uncertainty calibration (DEAR's EUC, SOAR's ``with_avuloss``): right clips certain,
    # wrong clips uncertain, the weight moving from the wrong to the right ones over training
    w_avu: float = 0.0
    avu_anneal_start: float = 0.01
    # adversarial scene reconstruction: decoder behind gradient reversal rebuilds the
    # temporally median-filtered clip at recon_size, L1 weighted by the action uncertainty map
    recon: bool = True
    w_recon: float = 1.0
    recon_grl: float = 0.2         # gradient reversal factor into the backbone
    recon_size: int = 16
    median_window: int = 7         # frames of the temporal median filter
    # uncertainty-map normalisation (SOAR's UncNormLoss): the top-k share of positions by
    # reconstruction error (the moving person) made certain, the bottom-k (static scene) uncertain
    w_uncnorm: float = 0.0
    uncnorm_k: float = 0.125
    # adaptive adversarial scene classification on scene pseudo-labels (k-means of median frames)
    scene_cls: bool = True
    num_scenes: int = 5            # k of the k-means pseudo-labels
    w_scene: float = 0.5
    scene_grl: float = 0.5
    # how the backbone plays the scene game: "grl" (SOAR: gradient reversal, the backbone maximises the
    # classifier's cross-entropy) or "confusion" (the classifier learns on detached features; the backbone,
    # x scene_grl, makes its frozen copy's output uniform: invariance, not an inverted scene code)
    scene_adv: str = "grl"
    # importance weights p(scene) p(action) / p(scene, action) on the scene classifier's loss, so that in the weighted
    # data the pseudo-scene says nothing about the action: the classifier cannot name a scene from action cues and
    # the game removes scene information, not action information (capped at scene_balance_cap x the mean)
    scene_balance: bool = False
    scene_balance_cap: float = 50.0
    # inference
    unknown_threshold: float = 0.5  # clip uncertainty above this -> "unknown" (calibrated on val)
    mean: list[float] = field(default_factory=lambda: [0.45, 0.45, 0.45])
    std: list[float] = field(default_factory=lambda: [0.25, 0.25, 0.25])

    @property
    def num_classes(self) -> int:
        return len(self.labels)


@dataclass
class SoarTrainConfig:
    steps: int = 1200
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup: int = 50
    grad_clip: float = 2.0
    max_minutes: float = 0.0       # wall-clock budget; progress = max(step / steps, elapsed / budget)
    threads: int = 2
    seed: int = 0
    log_every: int = 25
    val_every: int = 300
    ckpt_every_s: float = 120.0
    subset: int = 0                # train on the first N clips only (0 = all)
    val_share: float = 0.1         # share of train clips held out for calibration / monitoring
    flip: bool = True              # horizontal flip augmentation


SOAR_CPU = SoarConfig()
SOAR_GPU = SoarConfig(size=64, frames=16, fps=10.0, median_window=15, widths=[32, 64, 128, 256], recon_size=32,
                      dropout=0.4)
TRAIN_CPU = SoarTrainConfig()
TRAIN_GPU = SoarTrainConfig(steps=20000, batch_size=64, lr=1e-3, threads=8)


def config_from_dict(d: dict) -> SoarConfig:
    """A config from a dict; unknown keys (e.g. training metadata) are ignored."""
    names = {f.name for f in fields(SoarConfig)}
    return SoarConfig(**{k: v for k, v in d.items() if k in names})


def train_config_from_dict(d: dict) -> SoarTrainConfig:
    names = {f.name for f in fields(SoarTrainConfig)}
    return SoarTrainConfig(**{k: v for k, v in d.items() if k in names})


def save_config(cfg: SoarConfig, path: str | Path, **meta) -> None:
    Path(path).write_text(json.dumps({**asdict(cfg), "meta": meta}, indent=1))


def load_config(path: str | Path) -> tuple[SoarConfig, dict]:
    """(config, meta) from ``config.json``; raises ValueError for another model type."""
    d = json.loads(Path(path).read_text())
    if d.get("model_type") != "soar":
        raise ValueError(f"{path}: not a SOAR model config (model_type {d.get('model_type')!r})")
    return config_from_dict(d), d.get("meta", {})


def with_updates(cfg, **kw):
    return replace(cfg, **kw)
