"""The text-motion evaluator network (in the spirit of Guo et al. 2022, HumanML3D).

Motion encoder: normalised 263-dim HumanML3D features at 20 fps (at most ``MAX_FRAMES`` = 200
frames = 10 s per pass) -> two strided 1-D convolutions (x4 downsampling, as HumanML3D's
MovementConvEncoder) -> a small pre-norm transformer over the tokens (padding masked) ->
masked mean pooling -> linear -> unit-length embedding.  Longer motions are cut into 10 s
windows with 5 s hop whose embeddings are averaged and renormalised.

Text encoder: the frozen MiniLM sentence embedding (384 dims, :mod:`app.engine.text_encoder`)
-> a trainable two-layer MLP -> unit-length embedding in the same space.  Trained with the
symmetric InfoNCE loss and a learned temperature (``scripts/train_evaluator.py``).

Files (``models/evaluator/``): ``evaluator.safetensors`` (weights), ``config.json``,
``evaluator.normalizer.npz`` (feature mean/std), ``TRAINING.md``.
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

from app.engine.repr.normalizer import Normalizer

MAX_FRAMES = 200
HOP_FRAMES = 100
ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DIR = ROOT / "models" / "evaluator"
WEIGHTS, CONFIG = "evaluator.safetensors", "config.json"


@dataclass
class EvaluatorConfig:
    feature_dim: int = 263
    text_dim: int = 384
    width: int = 256
    layers: int = 2
    heads: int = 4
    ff: int = 512
    embed_dim: int = 256
    max_tokens: int = MAX_FRAMES // 4 + 2
    fps: float = 20.0
    temperature: float = 0.07


def token_lengths(lengths: torch.Tensor) -> torch.Tensor:
    """Tokens left after the two stride-2 convolutions (kernel 4, padding 1): floor(floor(T/2)/2)."""
    return torch.clamp((lengths // 2) // 2, min=1)


class MotionEncoder(nn.Module):
    """[B, T, 263] normalised features (+ lengths) -> [B, embed_dim] unit vectors."""

    def __init__(self, cfg: EvaluatorConfig) -> None:
        super().__init__()
        w = cfg.width
        self.conv1 = nn.Sequential(nn.Conv1d(cfg.feature_dim, w, 4, 2, 1), nn.GELU())
        self.conv2 = nn.Sequential(nn.Conv1d(w, w, 4, 2, 1), nn.GELU())
        self.pos = nn.Parameter(torch.zeros(1, cfg.max_tokens, w))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(w, cfg.heads, cfg.ff, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(w)
        self.out = nn.Linear(w, cfg.embed_dim)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x.transpose(1, 2))                          # [B, w, T/2]
        valid = torch.arange(h.shape[-1], device=x.device)[None] < (lengths // 2)[:, None]
        h = self.conv2(h * valid[:, None].to(h.dtype)).transpose(1, 2)  # [B, N, w]; padding stays out
        n = h.shape[1]
        tl = token_lengths(lengths).clamp(max=n)
        mask = torch.arange(n, device=x.device)[None] >= tl[:, None]  # True = padding
        h = self.transformer(h + self.pos[:, :n], src_key_padding_mask=mask)
        keep = (~mask).unsqueeze(-1).to(h.dtype)
        pooled = (self.norm(h) * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return F.normalize(self.out(pooled), dim=-1)


class TextProjection(nn.Module):
    """Frozen MiniLM sentence embedding [B, 384] -> [B, embed_dim] unit vectors."""

    def __init__(self, cfg: EvaluatorConfig) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cfg.text_dim, 512), nn.GELU(), nn.Linear(512, cfg.embed_dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.mlp(t), dim=-1)


class Evaluator(nn.Module):
    """Motion encoder + text projection + learned InfoNCE temperature."""

    def __init__(self, cfg: EvaluatorConfig | None = None, normalizer: Normalizer | None = None) -> None:
        super().__init__()
        self.cfg = cfg or EvaluatorConfig()
        self.motion = MotionEncoder(self.cfg)
        self.text = TextProjection(self.cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / self.cfg.temperature)))
        self.normalizer = normalizer

    def loss(self, feats: torch.Tensor, lengths: torch.Tensor, text_emb: torch.Tensor,
             same: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Symmetric InfoNCE; `same` [B, B] marks off-diagonal pairs that are not negatives."""
        m = self.motion(feats, lengths)
        t = self.text(text_emb)
        logits = self.logit_scale.clamp(max=math.log(100.0)).exp() * (t @ m.T)
        if same is not None:
            logits = logits.masked_fill(same & ~torch.eye(len(m), dtype=torch.bool, device=m.device), -1e4)
        target = torch.arange(len(m), device=m.device)
        loss = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        return loss, logits

    # --- inference helpers (numpy in, numpy out) ----------------------
    @torch.no_grad()
    def embed_features(self, feats: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Unnormalised [T_i, 263] feature arrays -> [N, embed_dim] (10 s windows averaged)."""
        if self.normalizer is None:
            raise RuntimeError("evaluator has no normaliser")
        self.eval()
        pieces, owner = [], []
        for i, f in enumerate(feats):
            f = np.asarray(f, dtype=np.float32)
            if len(f) < 4:
                raise ValueError("a motion needs at least 5 frames to be embedded")
            starts = [0] if len(f) <= MAX_FRAMES else list(range(0, len(f) - MAX_FRAMES + 1, HOP_FRAMES))
            if len(f) > MAX_FRAMES and starts[-1] + MAX_FRAMES < len(f):
                starts.append(len(f) - MAX_FRAMES)
            for s in starts:
                pieces.append(self.normalizer.normalize(f[s:s + MAX_FRAMES]))
                owner.append(i)
        order = np.argsort([len(p) for p in pieces])
        out = np.zeros((len(pieces), self.cfg.embed_dim), np.float32)
        for k in range(0, len(order), batch_size):
            idx = order[k:k + batch_size]
            x, lengths = pad_batch([pieces[j] for j in idx])
            out[idx] = self.motion(x, lengths).numpy()
        owner_arr = np.array(owner)
        emb = np.stack([out[owner_arr == i].mean(0) for i in range(len(feats))])
        return emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-9)

    @torch.no_grad()
    def embed_text_vectors(self, sentence_emb: np.ndarray) -> np.ndarray:
        """MiniLM sentence embeddings [N, 384] -> [N, embed_dim]."""
        self.eval()
        return self.text(torch.as_tensor(np.asarray(sentence_emb, np.float32))).numpy()

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        from app.engine.text_encoder import TextEncoder
        return self.embed_text_vectors(TextEncoder.get().encode(list(texts)))

    # --- files --------------------------------------------------------
    def save(self, directory: str | Path, extra: dict | None = None) -> Path:
        from safetensors.torch import save_file
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().contiguous() for k, v in self.state_dict().items()}, str(d / WEIGHTS))
        (d / WEIGHTS).chmod(0o644)
        (d / CONFIG).write_text(json.dumps(dict(asdict(self.cfg), **(extra or {})), indent=1, sort_keys=True))
        if self.normalizer is not None:
            self.normalizer.save(Normalizer.path_beside(d / WEIGHTS))
        return d

    @classmethod
    def load(cls, directory: str | Path = DEFAULT_DIR) -> "Evaluator":
        from safetensors.torch import load_file
        d = Path(directory)
        if not (d / WEIGHTS).is_file():
            raise FileNotFoundError(f"no evaluator weights in {d}")
        raw = json.loads((d / CONFIG).read_text())
        fields = EvaluatorConfig.__dataclass_fields__
        cfg = EvaluatorConfig(**{k: v for k, v in raw.items() if k in fields})
        norm_path = Normalizer.path_beside(d / WEIGHTS)
        model = cls(cfg, Normalizer.load(norm_path) if norm_path.is_file() else None)
        model.load_state_dict(load_file(str(d / WEIGHTS)))
        return model.eval()


def pad_batch(arrays: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """List of [T_i, D] -> zero-padded [B, max T, D] float tensor and lengths [B]."""
    lengths = torch.tensor([len(a) for a in arrays], dtype=torch.long)
    x = torch.zeros(len(arrays), int(lengths.max()), arrays[0].shape[-1])
    for i, a in enumerate(arrays):
        x[i, :len(a)] = torch.as_tensor(a)
    return x, lengths
