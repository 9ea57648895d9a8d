"""The SOAR network: a small (2+1)D conv backbone with SOAR's three heads.

- **Evidential action head**: a linear classifier on the pooled features gives logits, evidence
  ``e = exp(c tanh(logit / c))``, Dirichlet ``alpha = e + 1``, probabilities ``alpha / S`` and the
  uncertainty ``K / S`` that decides known vs unknown.  The same classifier applied at every
  feature position gives the class activation map (CAM) and an uncertainty *map*.
- **Adversarial scene reconstruction**: a 3D deconvolution decoder behind gradient reversal
  rebuilds the temporally median-filtered clip (the scene) from the features.
- **Adaptive adversarial scene classification**: a per-position MLP behind gradient reversal
  predicts scene pseudo-labels; its map is pooled with weights on the action foreground
  (low uncertainty), so the backbone is pushed to carry no scene information there.

``save_pretrained(dir)`` / ``from_pretrained(dir)`` write and read ``model.safetensors`` +
``config.json``.
"""
from __future__ import annotations


import torch
from torch import nn
from torch.nn import functional as F

from app.engine.recognition.model import dirichlet
from app.engine.recognition.persist import Pretrained, pick_device

from .config import SoarConfig, load_config, save_config



class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.alpha * grad, None


def grad_reverse(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Identity forward; the gradient is multiplied by ``-alpha`` on the way back."""
    return _GradReverse.apply(x, float(alpha))


class Block2p1D(nn.Module):
    """(2+1)D residual block: spatial 3x3 conv (stride s) -> BN -> ReLU -> temporal 3 conv
    (stride st) -> BN, plus a strided 1x1x1 shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, s: int, st: int) -> None:
        super().__init__()
        mid = cout
        self.spatial = nn.Conv3d(cin, mid, (1, 3, 3), stride=(1, s, s), padding=(0, 1, 1), bias=False)
        self.bn1 = nn.BatchNorm3d(mid)
        self.temporal = nn.Conv3d(mid, cout, (3, 1, 1), stride=(st, 1, 1), padding=(1, 0, 0), bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.short = (nn.Sequential(nn.Conv3d(cin, cout, 1, stride=(st, s, s), bias=False), nn.BatchNorm3d(cout))
                      if (cin != cout or s != 1 or st != 1) else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn2(self.temporal(F.relu(self.bn1(self.spatial(x)))))
        return F.relu(h + self.short(x))


class Backbone(nn.Module):
    """Stem (spatial 3x3 at full resolution) and three (2+1)D blocks, each halving H and W
    (the first two also T): [B, 3, T, S, S] -> [B, C, T/4, S/8, S/8]."""

    def __init__(self, widths: list[int], in_channels: int = 3) -> None:
        super().__init__()
        w0, w1, w2, w3 = widths
        self.stem = nn.Sequential(nn.Conv3d(in_channels, w0, (1, 3, 3), padding=(0, 1, 1), bias=False), nn.BatchNorm3d(w0),
                                  nn.ReLU())
        self.blocks = nn.Sequential(Block2p1D(w0, w1, 2, 2), Block2p1D(w1, w2, 2, 2), Block2p1D(w2, w3, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(x))


class Decoder(nn.Module):
    """Features -> a clip [B, 3, T, R, R] (two 2x transposed convs, a 3x3x3 conv, resize)."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose3d(cin, cin // 2, 2, stride=2), nn.ReLU(),
                                 nn.ConvTranspose3d(cin // 2, cin // 4, 2, stride=2), nn.ReLU(),
                                 nn.Conv3d(cin // 4, 3, 3, padding=1))

    def forward(self, h: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
        out = self.net(h)
        return out if tuple(out.shape[2:]) == shape else F.interpolate(out, shape, mode="trilinear",
                                                                         align_corners=False)


class SOAR(Pretrained, nn.Module):
    """Backbone + evidential action head + adversarial scene decoder and scene classifier."""

    _save_config = staticmethod(save_config)
    _load_config = staticmethod(load_config)

    def __init__(self, cfg: SoarConfig) -> None:
        super().__init__()
        if not cfg.labels:
            raise ValueError("the config names no labels")
        if cfg.scene_adv not in ("grl", "confusion"):
            raise ValueError(f"scene_adv must be 'grl' or 'confusion', not {cfg.scene_adv!r}")
        self.cfg = cfg
        c = cfg.widths[-1]
        self.backbone = Backbone(cfg.widths, 6 if cfg.motion_channels else 3)
        self.drop = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(c, cfg.num_classes)
        self.decoder = Decoder(c)
        self.scene = nn.Sequential(nn.Conv3d(c, c, 1), nn.LeakyReLU(), nn.Conv3d(c, c, 1), nn.LeakyReLU(),
                                   nn.Conv3d(c, cfg.num_scenes, 1))
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1, 1))
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1, 1))

    def normalise(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 (or [0, 1] float) clips [B, T, H, W, 3] -> normalised [B, 3, T, H, W]."""
        x = clips.float()
        if clips.dtype == torch.uint8:
            x = x / 255.0
        return (x.permute(0, 4, 1, 2, 3) - self.mean) / self.std

    def evidence(self, logits: torch.Tensor) -> torch.Tensor:
        """exp of the logits soft-clamped to (-c, c): a hard clamp leaves no gradient once every
        logit sits below -c, and the KL term drives wrong-class logits there (dead evidence)."""
        c = self.cfg.evidence_clamp
        return torch.exp(c * torch.tanh(logits / c))

    def forward(self, clips: torch.Tensor, recon_alpha: float = 0.0, scene_alpha: float = 0.0,
                heads: bool = False) -> dict:
        """Clip logits and evidence; with ``heads`` also the uncertainty map, the reconstruction
        (behind gradient reversal x recon_alpha) and the scene map (x scene_alpha)."""
        x = self.normalise(clips)
        inp = x
        if self.cfg.motion_channels:         # + frame differences: the moving person, not the static scene
            diff = torch.cat([torch.zeros_like(x[:, :, :1]), x[:, :, 1:] - x[:, :, :-1]], 2)
            inp = torch.cat([x, diff], 1)
        h = self.backbone(inp)                                          # [B, C, t, s, s]
        pooled = h.mean((2, 3, 4))
        logits = self.fc(self.drop(pooled))
        out = {"logits": logits, "evidence": self.evidence(logits), "features": pooled, "input": x}
        if heads:
            cam = torch.einsum("bcthw,kc->bkthw", h, self.fc.weight) + self.fc.bias.view(1, -1, 1, 1, 1)
            alpha = self.evidence(cam) + 1.0
            out["u_map"] = self.cfg.num_classes / alpha.sum(1, keepdim=True)      # [B, 1, t, s, s]
            if self.cfg.recon:
                r = self.cfg.recon_size
                out["recon"] = self.decoder(grad_reverse(h, recon_alpha), (x.shape[2], r, r))
            if self.cfg.scene_cls and self.cfg.scene_adv == "confusion":
                out["scene_map"] = self.scene(h.detach())                          # the classifier learns
                frozen = {k: v.detach() for k, v in self.scene.named_parameters()}
                out["scene_map_backbone"] = torch.func.functional_call(self.scene, frozen, (h,))
            elif self.cfg.scene_cls:
                out["scene_map"] = self.scene(grad_reverse(h, scene_alpha))        # [B, S, t, s, s]
        return out



def median_filter_clip(x: torch.Tensor, window: int) -> torch.Tensor:
    """Temporal median of [B, C, T, H, W] over ``window`` frames centred on each frame (clipped
    at the ends): the person moves, the scene stays, so this keeps mostly the scene."""
    t = x.shape[2]
    half = window // 2
    frames = [x[:, :, max(0, i - half):min(t, i + half + 1)].median(dim=2).values for i in range(t)]
    return torch.stack(frames, 2)
