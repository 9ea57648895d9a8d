"""Building blocks of the dual-modal U-Net, assembled from `diffusers` layers.

Feature maps are laid out ``[(B * M * T), C, H, W]``: batch, modality (0 = RGB video, 1 = depth
colour map), frame. :class:`SpatialBlock` is the per-frame transformer of one U-Net level:

* spatial self-attention whose keys/values are the frame's own tokens **and**, with cross-modal
  attention on, the other modality's tokens of the same frame (IDOL's cross-modal attention);
  above ``max_tokens`` tokens per frame the spatial attention is replaced by pixel-aligned
  attention across the two modalities (RGB and depth are registered pixel for pixel), so the
  exchange happens in every block at a cost a CPU can pay;
* cross-attention to the reference image's tokens (appearance), computed explicitly so its
  attention maps can be returned for the attention-consistency loss;
* a feed-forward layer.

:class:`RefEncoder` turns the reference image into tokens (learned null tokens when the
reference is dropped for classifier-free guidance). The temporal "motion modules" are diffusers'
``AnimateDiffTransformer3D`` as used by ``UNetMotionModel``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D
from torch import nn


def groups_for(channels: int) -> int:
    """GroupNorm groups: 8 when they divide the channels, else the largest divisor below 8."""
    return next(g for g in (8, 4, 2, 1) if channels % g == 0)


class RefEncoder(nn.Module):
    """Reference image [B, 3, H, W] in [-1, 1] -> tokens [B, side*side, dim]."""

    def __init__(self, dim: int, side: int) -> None:
        super().__init__()
        mid = max(16, dim // 2)
        self.convs = nn.Sequential(
            nn.Conv2d(3, mid // 2, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(mid // 2, mid, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(mid, dim, 3, padding=1))
        self.side = side
        self.pos = nn.Parameter(torch.randn(side * side, dim) * 0.02)
        self.null = nn.Parameter(torch.randn(side * side, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)

    def forward(self, ref: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """``keep`` [B] bool: False rows get the learned null tokens (condition dropped)."""
        x = F.adaptive_avg_pool2d(self.convs(ref), self.side)
        tokens = self.norm(x.flatten(2).transpose(1, 2) + self.pos)
        if keep is not None:
            tokens = torch.where(keep[:, None, None], tokens, self.null.expand_as(tokens))
        return tokens


class SpatialBlock(nn.Module):
    """Per-frame transformer: (cross-modal) self-attention, reference cross-attention, feed-forward."""

    def __init__(self, dim: int, heads: int, ref_dim: int, tokens: int, max_tokens: int,
                 cross_modal: bool) -> None:
        super().__init__()
        head_dim = dim // heads
        self.cross_modal = cross_modal
        self.spatial = tokens <= max_tokens
        self.norm_in = nn.GroupNorm(groups_for(dim), dim, eps=1e-6)
        self.proj_in = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads=heads, dim_head=head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, cross_attention_dim=ref_dim, heads=heads, dim_head=head_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, mult=2, activation_fn="geglu")
        self.proj_out = nn.Linear(dim, dim)

    def _self_attention(self, x: torch.Tensor, modalities: int, frames: int) -> torch.Tensor:
        """x [N, L, C] with N = B*M*T (modality-major within a sample)."""
        n, length, c = x.shape
        two = self.cross_modal and modalities == 2
        if self.spatial:
            if not two:
                return self.attn1(x)
            other = x.reshape(-1, 2, frames, length, c).flip(1).reshape(n, length, c)
            return self.attn1(x, encoder_hidden_states=torch.cat([x, other], dim=1))
        if not two:
            return torch.zeros_like(x)   # high-resolution level without cross-modal exchange
        b = n // (2 * frames)
        pix = x.reshape(b, 2, frames, length, c).permute(0, 2, 3, 1, 4).reshape(-1, 2, c)
        out = self.attn1(pix)            # per pixel: attention across the two modalities
        return out.reshape(b, frames, length, 2, c).permute(0, 3, 1, 2, 4).reshape(n, length, c)

    def _ref_attention(self, x: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        attn = self.attn2
        q = attn.head_to_batch_dim(attn.to_q(x))
        k = attn.head_to_batch_dim(attn.to_k(ref))
        v = attn.head_to_batch_dim(attn.to_v(ref))
        probs = attn.get_attention_scores(q, k)            # [N*heads, L, R]
        out = attn.batch_to_head_dim(torch.bmm(probs, v))
        return attn.to_out[1](attn.to_out[0](out)), probs

    def forward(self, h: torch.Tensor, ref: torch.Tensor, modalities: int,
                frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """h [N, C, H, W], ref tokens [N, R, D] -> (h, reference attention maps [N, heads, H*W, R])."""
        n, c, hh, ww = h.shape
        x = self.proj_in(self.norm_in(h).flatten(2).transpose(1, 2))
        x = x + self._self_attention(self.norm1(x), modalities, frames)
        out, probs = self._ref_attention(self.norm2(x), ref)
        x = x + out
        x = x + self.ff(self.norm3(x))
        x = self.proj_out(x).transpose(1, 2).reshape(n, c, hh, ww)
        heads = probs.shape[0] // n
        return h + x, probs.reshape(n, heads, hh * ww, -1)


def motion_module(dim: int, heads: int) -> AnimateDiffTransformer3D:
    """A temporal transformer over the frames of each pixel (AnimateDiff's motion module)."""
    return AnimateDiffTransformer3D(num_attention_heads=heads, attention_head_dim=dim // heads, in_channels=dim,
                                    norm_num_groups=groups_for(dim), activation_fn="geglu",
                                    positional_embeddings="sinusoidal", num_positional_embeddings=64,
                                    double_self_attention=True)

