"""A text-motion matching model that ranks sampled candidates (sample-and-rank generation).

ATOM draws several candidate motions for a text in one batch; this model scores each against the
text the model was given and the pipeline keeps the best (``TextToMotionPipeline.candidates``).
Unlike the text-motion *evaluator* (:mod:`app.engine.evaluator.model`, pooled MiniLM vector, used
for FID / R-precision and never for selection), the ranker reads what the pooled vector blurs: the
per-token MiniLM states and the prompt slots (side, direction, speed, repetitions,
:mod:`.text_cond`), and it is trained with *edited* texts as hard negatives (left and right swapped,
the count changed, forward and backward swapped: :mod:`.ranker_data`).

Motion side: the evaluator's encoder architecture (two strided convolutions + a small transformer,
masked mean pool) on features normalised with the buffers the checkpoint carries. Text side: token
states and four slot embeddings through a small transformer, masked mean pool. Both unit length;
the score is their cosine. Files (``models/ranker/``): ``model.safetensors``, ``config.json``.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from app.engine.evaluator.model import EvaluatorConfig, MotionEncoder

from .config import DEFAULT_CANDIDATES, RANKER_DIR
from .layers import FeatureNormMixin, encoder_layer
from .text_cond import SLOT_SIZES

DEFAULT_DIR = RANKER_DIR
WEIGHTS, CONFIG = "model.safetensors", "config.json"
__all__ = ["DEFAULT_CANDIDATES", "MotionTextRanker", "RankerConfig", "load_ranker", "pick_best"]


@dataclass
class RankerConfig:
    feature_dim: int = 263
    text_dim: int = 384
    width: int = 256
    layers: int = 2
    text_layers: int = 2
    heads: int = 4
    ff: int = 512
    embed_dim: int = 256
    max_frames: int = 200
    temperature: float = 0.07
    clip_sigma: float = 8.0   # normalised features clipped here, as the text-to-motion models see them


class TextTower(nn.Module):
    """Token states [B, L, 384] (mask True = real) + slots [B, 4] -> [B, embed_dim] unit vectors."""

    def __init__(self, cfg: RankerConfig) -> None:
        super().__init__()
        w = cfg.width
        self.proj = nn.Linear(cfg.text_dim, w)
        self.slots = nn.ModuleList(nn.Embedding(n, w) for n in SLOT_SIZES)
        self.slot_type = nn.Parameter(torch.zeros(len(SLOT_SIZES), w))
        nn.init.normal_(self.slot_type, std=0.02)
        self.transformer = nn.TransformerEncoder(encoder_layer(w, cfg.heads, cfg.ff, 0.0), cfg.text_layers,
                                                 enable_nested_tensor=False)
        self.norm = nn.LayerNorm(w)
        self.out = nn.Linear(w, cfg.embed_dim)

    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        s = torch.stack([emb(slots[:, k]) for k, emb in enumerate(self.slots)], 1) + self.slot_type
        h = torch.cat([s, self.proj(tokens.float())], 1)
        keep = torch.cat([torch.ones_like(slots, dtype=torch.bool), token_mask.bool()], 1)
        h = self.norm(self.transformer(h, src_key_padding_mask=~keep))
        k = keep.unsqueeze(-1).to(h.dtype)
        return F.normalize(self.out((h * k).sum(1) / k.sum(1)), dim=-1)


class MotionTextRanker(FeatureNormMixin, nn.Module):
    """Motion tower + text tower + learned InfoNCE temperature; :meth:`score` = cosine."""

    def __init__(self, cfg: RankerConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or RankerConfig()
        ecfg = EvaluatorConfig(feature_dim=self.cfg.feature_dim, width=self.cfg.width, layers=self.cfg.layers,
                               heads=self.cfg.heads, ff=self.cfg.ff, embed_dim=self.cfg.embed_dim,
                               max_tokens=self.cfg.max_frames // 4 + 2)
        self.motion = MotionEncoder(ecfg)
        self.text = TextTower(self.cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / self.cfg.temperature)))
        self.init_feature_norm(self.cfg.feature_dim)

    def normalize(self, feats: torch.Tensor) -> torch.Tensor:
        """Raw 263-dim features -> the clipped normalised features the motion tower reads."""
        c = self.cfg.clip_sigma
        return ((feats - self.feat_mean) / self.feat_std).clamp(-c, c)

    def embed_motion(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Normalised features [B, T, 263] (at most ``max_frames``) -> [B, embed_dim]."""
        return self.motion(x[:, :self.cfg.max_frames], lengths.clamp(max=self.cfg.max_frames))

    def embed_text(self, cond: dict) -> torch.Tensor:
        return self.text(cond["tokens"], cond["token_mask"], cond["slots"])

    @torch.no_grad()
    def score(self, feats: torch.Tensor, cond: dict) -> torch.Tensor:
        """Cosine of each raw-feature motion [N, T, 263] with its text (``cond``: tokens [N, L, 384],
        token_mask [N, L], slots [N, 4], as :meth:`TextCond.to_torch` gives) -> [N]. A motion longer than
        ``max_frames`` is scored on evenly spaced windows, averaged."""
        self.eval()
        x = self.normalize(feats.float())
        t, w = x.shape[1], self.cfg.max_frames
        starts = [0] if t <= w else np.linspace(0, t - w, int(math.ceil(t / w)) + 1).round().astype(int).tolist()
        lengths = torch.full((len(x),), min(t, w), dtype=torch.long, device=x.device)
        m = torch.stack([self.embed_motion(x[:, s:s + w], lengths) for s in starts]).mean(0)
        return (F.normalize(m, dim=-1) * self.embed_text(cond)).sum(-1)

    # --- files ------------------------------------------------------
    def save(self, directory: str | Path, extra: dict | None = None) -> Path:
        from safetensors.torch import save_file
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().contiguous() for k, v in self.state_dict().items()}, str(d / WEIGHTS))
        (d / CONFIG).write_text(json.dumps(dict(asdict(self.cfg), **(extra or {})), indent=1, sort_keys=True))
        return d

    @classmethod
    def from_pretrained(cls, directory: str | Path = DEFAULT_DIR, device: str | torch.device = "cpu"
                        ) -> "MotionTextRanker":
        from safetensors.torch import load_file
        d = Path(directory)
        if not (d / WEIGHTS).is_file():
            raise FileNotFoundError(f"no ranker weights in {d}")
        raw = json.loads((d / CONFIG).read_text())
        cfg = RankerConfig(**{k: v for k, v in raw.items() if k in RankerConfig.__dataclass_fields__})
        model = cls(cfg)
        model.load_state_dict(load_file(str(d / WEIGHTS), device=str(device)))
        return model.to(device).eval()


def load_ranker(directory: str | Path = DEFAULT_DIR, device: str | torch.device = "cpu") -> MotionTextRanker | None:
    """The ranker in ``directory``, or None when there is none."""
    try:
        return MotionTextRanker.from_pretrained(directory, device)
    except FileNotFoundError:
        return None


def pick_best(scores: torch.Tensor, k: int) -> list[int]:
    """Row index of the best-scored candidate in each consecutive group of ``k`` rows (first on ties)."""
    s = scores.detach().float().cpu().view(-1, k)
    return [i * k + int(j) for i, j in enumerate(s.argmax(1).tolist())]
