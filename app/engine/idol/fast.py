"""Inference fast path of :class:`IdolUNet`: the same weights and the same function, less work per step.

Sampling calls the U-Net 10-20 times with the same reference image, so :func:`build_cache` computes,
once per sampling run, what does not change between steps: the reference tokens' keys and values of
every :class:`SpatialBlock` (and the reference encoder with them), and the fused query/key/value
weights of every self-attention. The per-step paths then avoid what the training path pays for
its auxiliary outputs and generality:

* reference cross-attention as one ``scaled_dot_product_attention`` per sample (all of a sample's
  frames and modalities share the reference tokens) instead of explicit maps per frame;
* cross-modal self-attention at 16x16 projects keys/values once and swaps the modalities of the
  projections (not of the inputs); pixel-aligned attention at 32x32 (two keys per pixel) in
  closed form (softmax over two scores = a sigmoid of their difference);
* the temporal motion modules with one layout change in and one out (GroupNorm folded into a
  per-channel scale and shift on the token layout) and fused q/k/v projections.

Results equal the training path to float rounding (``tests/engine/test_idol_model.py``); no
attention maps or features are returned (use the training path, ``return_aux=True``, for those).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D
from torch import nn

from app.engine.idol.blocks import SpatialBlock


@dataclass
class InferenceCache:
    """Step-invariant tensors of one sampling run (see :func:`build_cache`)."""

    ref_kv: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)  # [B, heads, R, d]
    qkv: dict[nn.Module, tuple[torch.Tensor, torch.Tensor | None]] = field(default_factory=dict)


def _fused(attn: Attention) -> tuple[torch.Tensor, torch.Tensor | None]:
    lins = (attn.to_q, attn.to_k, attn.to_v)
    w = torch.cat([lin.weight for lin in lins])
    b = None if lins[0].bias is None else torch.cat([lin.bias for lin in lins])
    return w, b


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, L, C] -> [B, heads, L, C / heads] (a view)."""
    b, length, c = x.shape
    return x.view(b, length, heads, c // heads).transpose(1, 2)


def _merge(x: torch.Tensor) -> torch.Tensor:
    """[B, heads, L, d] -> [B, L, heads * d]."""
    b, h, length, d = x.shape
    return x.transpose(1, 2).reshape(b, length, h * d)


@torch.no_grad()
def build_cache(unet: nn.Module, reference: torch.Tensor, keep_ref: torch.Tensor | None) -> InferenceCache:
    """Reference keys/values and fused projections for :meth:`IdolUNet.forward` (``cache=``)."""
    cache = InferenceCache()
    ref = unet.ref_encoder(reference, keep_ref)                       # [B, R, D]
    for mod in unet.modules():
        if isinstance(mod, SpatialBlock):
            a = mod.attn2
            cache.ref_kv[mod] = (_heads(a.to_k(ref), a.heads), _heads(a.to_v(ref), a.heads))
            cache.qkv[mod.attn1] = _fused(mod.attn1)
        elif isinstance(mod, AnimateDiffTransformer3D):
            for blk in mod.transformer_blocks:
                cache.qkv[blk.attn1] = _fused(blk.attn1)
                cache.qkv[blk.attn2] = _fused(blk.attn2)
    return cache


def _qkv(attn: Attention, x: torch.Tensor, cache: InferenceCache) -> tuple[torch.Tensor, ...]:
    w, b = cache.qkv[attn]
    return F.linear(x, w, b).chunk(3, dim=-1)


def _self_attention(attn: Attention, x: torch.Tensor, cache: InferenceCache) -> torch.Tensor:
    q, k, v = _qkv(attn, x, cache)
    out = F.scaled_dot_product_attention(_heads(q, attn.heads), _heads(k, attn.heads), _heads(v, attn.heads))
    return attn.to_out[0](_merge(out))


def _cross_modal(block: SpatialBlock, x: torch.Tensor, modalities: int, frames: int,
                 cache: InferenceCache) -> torch.Tensor:
    """:meth:`SpatialBlock._self_attention` on the fast path (x [N, L, C], N = B*M*T)."""
    attn = block.attn1
    n, length, c = x.shape
    two = block.cross_modal and modalities == 2
    if not two:
        return _self_attention(attn, x, cache) if block.spatial else torch.zeros_like(x)
    q, k, v = _qkv(attn, x, cache)
    if block.spatial:   # keys/values: the frame's own tokens, then the other modality's
        swap = lambda a: a.reshape(-1, 2, frames, length, c).flip(1).reshape(n, length, c)  # noqa: E731
        k, v = torch.cat([k, swap(k)], dim=1), torch.cat([v, swap(v)], dim=1)
        out = F.scaled_dot_product_attention(_heads(q, attn.heads), _heads(k, attn.heads), _heads(v, attn.heads))
        return attn.to_out[0](_merge(out))
    # per pixel, two keys (RGB, depth): softmax([s0, s1]) = [sigmoid(s0 - s1), 1 - sigmoid(s0 - s1)]
    heads = attn.heads
    split = lambda a: a.reshape(-1, 2, frames * length, heads, c // heads)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    dk, dv = k[:, 0] - k[:, 1], v[:, 0] - v[:, 1]                    # [B, F*L, heads, d]
    w = torch.sigmoid((q * dk[:, None]).sum(-1, keepdim=True) * attn.scale)   # [B, 2, F*L, heads, 1]
    out = torch.addcmul(v[:, 1:2], w, dv[:, None])
    return attn.to_out[0](out.reshape(n, length, c))


def spatial_block(block: SpatialBlock, h: torch.Tensor, modalities: int, frames: int,
                  cache: InferenceCache) -> torch.Tensor:
    """:meth:`SpatialBlock.forward` without the attention maps."""
    n, c, hh, ww = h.shape
    x = block.proj_in(block.norm_in(h).flatten(2).transpose(1, 2))
    x = x + _cross_modal(block, block.norm1(x), modalities, frames, cache)
    a = block.attn2
    k, v = cache.ref_kv[block]
    b = k.shape[0]
    q = a.to_q(block.norm2(x)).reshape(b, -1, c)                      # a sample's frames share the reference
    out = _merge(F.scaled_dot_product_attention(_heads(q, a.heads), k, v)).reshape(n, hh * ww, c)
    x = x + a.to_out[0](out)
    x = x + block.ff(block.norm3(x))
    x = block.proj_out(x).transpose(1, 2).reshape(n, c, hh, ww)
    return h + x


def temporal_block(mod: AnimateDiffTransformer3D, h: torch.Tensor, frames: int,
                   cache: InferenceCache) -> torch.Tensor:
    """``AnimateDiffTransformer3D.forward`` (attention over the frames of each pixel), fewer copies."""
    n, c, hh, ww = h.shape
    bm, hw = n // frames, hh * ww
    tokens = h.reshape(bm, frames, c, hw).permute(0, 3, 1, 2).reshape(bm, hw * frames, c)
    norm = mod.norm                                                   # GroupNorm over (C/G, T, H, W)
    g = norm.num_groups
    grouped = tokens.view(bm, hw * frames, g, c // g)
    var, mean = torch.var_mean(grouped, dim=(1, 3), keepdim=True, correction=0)
    scale = torch.rsqrt(var + norm.eps) * norm.weight.view(g, c // g)
    x = torch.addcmul(norm.bias.view(g, c // g) - mean * scale, grouped, scale)
    x = mod.proj_in(x.view(bm * hw, frames, c))
    for blk in mod.transformer_blocks:
        pe = blk.pos_embed.pe[:, :frames] if blk.pos_embed is not None else 0.0
        x = x + _self_attention(blk.attn1, blk.norm1(x) + pe, cache)
        x = x + _self_attention(blk.attn2, blk.norm2(x) + pe, cache)
        x = x + blk.ff(blk.norm3(x))
    x = mod.proj_out(x).view(bm, hh, ww, frames, c).permute(0, 3, 4, 1, 2).reshape(n, c, hh, ww)
    return x + h
