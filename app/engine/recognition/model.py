"""The A-TSCN network: two temporal conv streams (pose, motion) and an evidential head.

Each stream maps its per-frame input [B, T, D] (normalised with stored statistics) through
dilated residual 1-D convolutions to features, a frame **attention** a_t in (0, 1) and a
**class activation sequence** (CAS, logits [B, T, K]).  Fusion is late: the streams'
attentions and class probabilities are averaged.  The evidential head reads the
concatenated stream features and gives non-negative per-frame evidence e_t (Dirichlet
alpha = e + 1); the uncertainty of a span is K / S with S the sum of alpha over classes.

``save_pretrained(dir)`` / ``from_pretrained(dir)`` write and read ``model.safetensors`` +
``config.json`` (the normalisation statistics are buffers in the weights).
"""
from __future__ import annotations

import logging

import torch
from torch import nn
from torch.nn import functional as F

from .config import RecognitionConfig, load_config, save_config
from .persist import Pretrained, pick_device

log = logging.getLogger(__name__)



class TemporalBlock(nn.Module):
    """Residual block: per-frame layer norm -> dilated conv -> GELU -> dropout -> 1x1 conv, masked
    (per-frame normalisation, so padding never changes a video's result)."""

    def __init__(self, hidden: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(hidden, hidden, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)
        self.proj = nn.Conv1d(hidden, hidden, 1)
        self.norm = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.drop(F.gelu(self.conv(self.norm(x.transpose(1, 2)).transpose(1, 2) * mask))))
        return (x + h) * mask


class Stream(nn.Module):
    """One stream: input projection, temporal blocks, attention and CAS heads."""

    def __init__(self, in_dim: int, cfg: RecognitionConfig) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        self.inp = nn.Conv1d(in_dim, cfg.hidden, 1)
        self.blocks = nn.ModuleList(TemporalBlock(cfg.hidden, cfg.kernel, 2 ** i, cfg.dropout)
                                    for i in range(cfg.layers))
        self.att = nn.Conv1d(cfg.hidden, 1, 1)
        self.cas = nn.Conv1d(cfg.hidden, cfg.num_classes, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [B, T, D], mask [B, T] -> features [B, H, T], attention [B, T], CAS logits [B, T, K]."""
        m = mask[:, None, :]
        h = self.inp(((x - self.mean) / self.std).transpose(1, 2)) * m
        for block in self.blocks:
            h = block(h, m)
        att = torch.sigmoid(self.att(h)[:, 0]) * mask
        return h, att, self.cas(h).transpose(1, 2)


class ATSCN(Pretrained, nn.Module):
    """Two-stream consensus network with an evidential head (see the module docstring)."""

    _save_config = staticmethod(save_config)
    _load_config = staticmethod(load_config)

    def __init__(self, cfg: RecognitionConfig) -> None:
        super().__init__()
        if not cfg.labels:
            raise ValueError("the config names no labels")
        self.cfg = cfg
        dims = {"pose": cfg.pose_dim, "motion": cfg.motion_dim}
        self.streams = nn.ModuleDict({name: Stream(dims[name], cfg) for name in cfg.streams})
        self.evidence = nn.Conv1d(cfg.hidden * len(cfg.streams), cfg.num_classes, 3, padding=1)

    def set_stats(self, stats: dict) -> None:
        """Store per-stream (mean, std) of the training inputs."""
        for name, stream in self.streams.items():
            mean, std = stats[name]
            stream.mean.copy_(torch.as_tensor(mean))
            stream.std.copy_(torch.as_tensor(std))

    def forward(self, pose: torch.Tensor, motion: torch.Tensor, mask: torch.Tensor) -> dict:
        """Per-stream attention / CAS, fused attention and probabilities, evidence [B, T, K]."""
        inputs = {"pose": pose, "motion": motion}
        out: dict = {"att": {}, "cas": {}}
        feats = []
        for name, stream in self.streams.items():
            h, att, cas = stream(inputs[name], mask)
            feats.append(h)
            out["att"][name], out["cas"][name] = att, cas
        out["fused_att"] = torch.stack(list(out["att"].values())).mean(0)
        out["fused_prob"] = torch.stack([c.softmax(-1) for c in out["cas"].values()]).mean(0)
        logits = self.evidence(torch.cat(feats, 1)).transpose(1, 2)
        out["evidence"] = torch.exp(logits.clamp(-self.cfg.evidence_clamp, self.cfg.evidence_clamp))
        return out


def video_scores(out: dict, mask: torch.Tensor, topk_ratio: float) -> torch.Tensor:
    """Video-level class probabilities [B, K]: the streams' top-k pooled CAS, softmaxed, averaged."""
    from .losses import topk_pool

    return torch.stack([topk_pool(c, mask, topk_ratio).softmax(-1) for c in out["cas"].values()]).mean(0)


def pooled_evidence(evidence: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted mean evidence over time [B, K] (weights [B, T], e.g. attention x mask)."""
    w = weights / weights.sum(1, keepdim=True).clamp_min(1e-6)
    return (evidence * w[..., None]).sum(1)


def dirichlet(evidence: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(expected probabilities alpha / S, uncertainty K / S) of evidence [..., K]."""
    alpha = evidence + 1.0
    s = alpha.sum(-1, keepdim=True)
    return alpha / s, (evidence.shape[-1] / s)[..., 0]
