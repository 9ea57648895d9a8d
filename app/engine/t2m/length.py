"""How long a prompt's motion should last: a small learned length estimator.

Text-to-motion systems (Guo et al., CVPR 2022; MoMask) predict a motion's length from its text before generating,
so "jumps once" gets a short clip and "jumps three times" a longer one. Here: the pooled MiniLM vector plus the
prompt slots (side, direction, speed, repetitions; :func:`.text_cond.parse_slots`) go through an MLP that predicts a
Gaussian over log-seconds, trained with its negative log-likelihood on the corpus's (text, duration) pairs
(``scripts/train_length.py``). :meth:`LengthEstimator.seconds` returns the median, clipped to one model window.
Used by the pipeline when no duration is given (``seconds=None``), per part of a composed prompt.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from .text_cond import SLOT_SIZES, parse_slots

log = logging.getLogger(__name__)

MIN_ESTIMATE_S, MAX_ESTIMATE_S = 1.0, 10.0  # an estimate lies within one model window (10 s)


@dataclass
class LengthConfig:
    text_dim: int = 384
    hidden: int = 256
    dropout: float = 0.1
    count_head: bool = False  # a counted prompt lasts base + per-repetition time x count (session 35)


def slot_onehots(slots: np.ndarray) -> np.ndarray:
    """[N, 4] slot ids -> [N, sum(SLOT_SIZES)] one-hot blocks."""
    slots = np.asarray(slots, np.int64).reshape(-1, len(SLOT_SIZES))
    blocks = [np.eye(n, dtype=np.float32)[np.clip(slots[:, i], 0, n - 1)] for i, n in enumerate(SLOT_SIZES)]
    return np.concatenate(blocks, axis=1)


class LengthEstimator(nn.Module):
    """Pooled text vector + slot one-hots -> (mean, log-std) of log-seconds.

    With ``count_head`` a prompt that names a count n lasts ``base + per * n`` seconds, base and per read from the
    text (people repeat an action at its own tempo), so a count the training texts seldom pair
    with an action still gets its time; a prompt without one gets the plain estimate."""

    def __init__(self, cfg: LengthConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or LengthConfig()
        d_in = self.cfg.text_dim + sum(SLOT_SIZES)
        self.net = nn.Sequential(nn.Linear(d_in, self.cfg.hidden), nn.GELU(), nn.Dropout(self.cfg.dropout),
                                 nn.Linear(self.cfg.hidden, self.cfg.hidden), nn.GELU(), nn.Dropout(self.cfg.dropout),
                                 nn.Linear(self.cfg.hidden, 4 if self.cfg.count_head else 2))
        self.encoder: Callable[[list[str]], np.ndarray] | None = None  # texts -> pooled [N, text_dim]

    def forward(self, pooled: torch.Tensor, slots_1h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.cfg.count_head:
            out = self.net(torch.cat([pooled, slots_1h], dim=-1))
            return out[..., 0], out[..., 1].clamp(-4.0, 2.0)
        n_reps = SLOT_SIZES[-1]
        reps = slots_1h[..., -n_reps:].argmax(-1).to(pooled.dtype)
        out = self.net(torch.cat([pooled, slots_1h[..., :-n_reps], torch.zeros_like(slots_1h[..., -n_reps:])], -1))
        counted = torch.log(torch.exp(out[..., 2]) + torch.exp(out[..., 3]) * reps.clamp(min=1.0))
        mu = torch.where(reps > 0, counted, out[..., 0])
        return mu, out[..., 1].clamp(-4.0, 2.0)

    def nll(self, pooled: torch.Tensor, slots_1h: torch.Tensor, seconds: torch.Tensor) -> torch.Tensor:
        """Gaussian negative log-likelihood of log(seconds) (constant dropped), averaged."""
        mu, log_std = self(pooled, slots_1h)
        z = (torch.log(seconds) - mu) * torch.exp(-log_std)
        return (0.5 * z ** 2 + log_std).mean()

    @torch.no_grad()
    def predict(self, pooled: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Median seconds for pooled vectors [N, D] and slot ids [N, 4], clipped to [MIN_ESTIMATE_S, MAX_ESTIMATE_S]."""
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        mu, _ = self(torch.as_tensor(np.asarray(pooled, np.float32), device=dev),
                     torch.as_tensor(slot_onehots(slots), device=dev))
        self.train(was)
        return np.clip(np.exp(mu.cpu().numpy()), MIN_ESTIMATE_S, MAX_ESTIMATE_S)

    def seconds(self, texts: list[str]) -> np.ndarray:
        """Estimated duration of each text (needs :attr:`encoder`, the pooled MiniLM by default)."""
        if not texts:
            return np.zeros(0)
        if self.encoder is None:
            from app.engine.text_encoder import TextEncoder
            self.encoder = TextEncoder.get().encode
        return self.predict(self.encoder(list(texts)), np.stack([parse_slots(t) for t in texts]))

    # --- files -------------------------------------------------------
    def save(self, out_dir: str | Path, **meta) -> Path:
        from safetensors.torch import save_file
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()},
                  str(out_dir / "model.safetensors"))
        (out_dir / "config.json").write_text(json.dumps(dict(asdict(self.cfg), **meta), indent=1))
        return out_dir

    @classmethod
    def from_pretrained(cls, path: str | Path) -> "LengthEstimator":
        from safetensors.torch import load_file
        path = Path(path)
        raw = json.loads((path / "config.json").read_text())
        cfg = LengthConfig(**{k: raw[k] for k in asdict(LengthConfig()) if k in raw})
        model = cls(cfg)
        model.load_state_dict(load_file(str(path / "model.safetensors")))
        return model.eval()


def load_length_estimator(path: str | Path) -> LengthEstimator | None:
    """The estimator in ``path`` (a directory), or None when there is none or it cannot be read."""
    path = Path(path)
    if not (path / "model.safetensors").is_file():
        return None
    from safetensors import SafetensorError
    try:
        return LengthEstimator.from_pretrained(path)
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, SafetensorError) as e:
        log.warning("length estimator in %s not loaded: %s", path, e)
        return None
