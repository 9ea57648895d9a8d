"""IdolUNet: ONE U-Net that denoises the RGB video and its depth colour map together.

Both modalities go through the same weights; a learned modality embedding is added to the
timestep embedding (so every ResNet block knows which branch it is computing), and each
attention level exchanges information between the branches (:class:`SpatialBlock`). Conditions:
the pose image and the background frame are concatenated to the noisy input of every branch,
the reference image is attended to through cross-attention, and temporal motion modules tie the
frames together. A ``diffusers`` ``ModelMixin``/``ConfigMixin`` model: ``save_pretrained`` /
``from_pretrained`` on a local folder.

Shapes: ``sample`` [B, M, T, 3, H, W]; ``pose`` and ``background`` [B, T, 3, H, W]; ``reference``
[B, 3, H, W]; all in [-1, 1]. Returns the prediction [B, M, T, 3, H, W] and, on request, the
intermediate decoder features and reference attention maps used by the alignment losses.

Also here: the two-stage baseline's depth estimator (:func:`depth_estimator`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from diffusers import UNet2DModel
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.downsampling import Downsample2D
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.upsampling import Upsample2D
from torch import nn

from app.engine.idol import fast
from app.engine.idol.blocks import RefEncoder, SpatialBlock, groups_for, motion_module

COND_CHANNELS = 6   # pose image + background frame


@dataclass
class UNetOutput:
    sample: torch.Tensor
    features: list[torch.Tensor] = field(default_factory=list)   # [B, M, T, C, h, w] per decoder level
    attention: list[torch.Tensor] = field(default_factory=list)  # [B, M, T, heads, h*w, R] per block


class _Level(nn.Module):
    """ResNet blocks, then (optionally) a spatial transformer and a motion module after each."""

    def __init__(self, in_chs: list[int], out_ch: int, temb: int, attn: bool, cfg: dict, tokens: int) -> None:
        super().__init__()
        g = groups_for(out_ch)
        self.resnets = nn.ModuleList(ResnetBlock2D(in_channels=c, out_channels=out_ch, temb_channels=temb,
                                                   groups=groups_for(c), groups_out=g) for c in in_chs)
        self.spatial = nn.ModuleList(
            SpatialBlock(out_ch, cfg["heads"], cfg["ref_dim"], tokens, cfg["max_tokens"], cfg["cross_modal"])
            for _ in in_chs) if attn else None
        self.temporal = nn.ModuleList(motion_module(out_ch, cfg["heads"]) for _ in in_chs) \
            if attn and cfg["temporal"] else None


class IdolUNet(ModelMixin, ConfigMixin):
    """The dual-modal video U-Net (see the module notes)."""

    @register_to_config
    def __init__(self, size: int = 64, channels: tuple[int, ...] = (32, 64, 128), layers_per_block: int = 1,
                 heads: int = 4, ref_tokens_side: int = 8, ref_dim: int = 128, modalities: int = 2,
                 cross_modal: bool = True, temporal: bool = True, max_tokens: int = 256) -> None:
        super().__init__()
        channels = tuple(channels)
        temb = channels[0] * 4
        cfg = dict(heads=heads, ref_dim=ref_dim, max_tokens=max_tokens, cross_modal=cross_modal, temporal=temporal)
        self.time_proj = Timesteps(channels[0], flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(channels[0], temb)
        self.modality_embedding = nn.Embedding(modalities, temb)
        self.ref_encoder = RefEncoder(ref_dim, ref_tokens_side)
        self.conv_in = nn.Conv2d(3 + COND_CHANNELS, channels[0], 3, padding=1)
        self.down, self.downsamplers = nn.ModuleList(), nn.ModuleList()
        skips, prev, res = [channels[0]], channels[0], size
        for i, ch in enumerate(channels):
            ins = [prev] + [ch] * (layers_per_block - 1)
            self.down.append(_Level(ins, ch, temb, i > 0, cfg, res * res))
            skips += [ch] * layers_per_block
            prev = ch
            if i < len(channels) - 1:
                self.downsamplers.append(Downsample2D(ch, use_conv=True, name="op"))
                skips.append(ch)
                res //= 2
        self.mid = _Level([prev, prev], prev, temb, True, cfg, res * res)
        self.up, self.upsamplers = nn.ModuleList(), nn.ModuleList()
        for i, ch in reversed(list(enumerate(channels))):
            ins = []
            for _ in range(layers_per_block + 1):
                ins.append(prev + skips.pop())
                prev = ch
            self.up.append(_Level(ins, ch, temb, i > 0, cfg, res * res))
            if i > 0:
                self.upsamplers.append(Upsample2D(ch, use_conv=True))
                res *= 2
        self.norm_out = nn.GroupNorm(groups_for(channels[0]), channels[0], eps=1e-6)
        self.conv_out = nn.Conv2d(channels[0], 3, 3, padding=1)

    def _run_level(self, level: _Level, h: torch.Tensor, temb: torch.Tensor, ref: torch.Tensor | None, m: int,
                   t: int, maps: list, skips: list | None = None, push: list | None = None,
                   cache: fast.InferenceCache | None = None) -> torch.Tensor:
        for k, resnet in enumerate(level.resnets):
            if skips is not None:
                h = torch.cat([h, skips.pop()], dim=1)
            h = resnet(h, temb)
            if level.spatial is not None:
                if cache is not None:
                    h = fast.spatial_block(level.spatial[k], h, m, t, cache)
                else:
                    h, probs = level.spatial[k](h, ref, m, t)
                    maps.append(probs)
            if level.temporal is not None:
                h = fast.temporal_block(level.temporal[k], h, t, cache) if cache is not None \
                    else level.temporal[k](h, num_frames=t)
            if push is not None:
                push.append(h)
        return h

    def inference_cache(self, reference: torch.Tensor, keep_ref: torch.Tensor | None = None) -> fast.InferenceCache:
        """Step-invariant tensors for sampling with this reference (see ``app/engine/idol/fast.py``)."""
        return fast.build_cache(self, reference, keep_ref)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, pose: torch.Tensor, background: torch.Tensor,
                reference: torch.Tensor, keep_ref: torch.Tensor | None = None,
                return_aux: bool = False, cache: fast.InferenceCache | None = None) -> UNetOutput:
        """``cache`` (from :meth:`inference_cache`, same reference and ``keep_ref``): the inference fast path
        (no gradients, no auxiliary outputs; ``reference`` and ``keep_ref`` are then taken from the cache)."""
        if cache is not None and (return_aux or torch.is_grad_enabled()):
            raise ValueError("the inference cache is for sampling only (no gradients, no auxiliary outputs)")
        b, m, t, _, hh, ww = sample.shape
        if m != self.config.modalities:
            raise ValueError(f"the model has {self.config.modalities} modalities, the sample {m}")
        timestep = torch.as_tensor(timestep, device=sample.device).reshape(-1).expand(b)
        emb = self.time_embedding(self.time_proj(timestep).to(sample.dtype))          # [B, E]
        emb = emb[:, None] + self.modality_embedding.weight[None, :m]                  # [B, M, E]
        temb = emb[:, :, None].expand(b, m, t, emb.shape[-1]).reshape(b * m * t, -1)
        cond = torch.cat([pose, background], dim=2)[:, None].expand(b, m, t, COND_CHANNELS, hh, ww)
        x = torch.cat([sample, cond], dim=3).reshape(b * m * t, 3 + COND_CHANNELS, hh, ww)
        ref = None
        if cache is None:
            ref = self.ref_encoder(reference, keep_ref)                                # [B, R, D]
            ref = ref[:, None].expand(b, m * t, *ref.shape[1:]).reshape(b * m * t, *ref.shape[1:])
        maps: list[torch.Tensor] = []
        h = self.conv_in(x)
        skips = [h]
        for i, level in enumerate(self.down):
            h = self._run_level(level, h, temb, ref, m, t, maps, push=skips, cache=cache)
            if i < len(self.downsamplers):
                h = self.downsamplers[i](h)
                skips.append(h)
        h = self._run_level(self.mid, h, temb, ref, m, t, maps, cache=cache)
        features = []
        for i, level in enumerate(self.up):
            h = self._run_level(level, h, temb, ref, m, t, maps, skips=skips, cache=cache)
            if level.spatial is not None:
                features.append(h.reshape(b, m, t, *h.shape[1:]))
            if i < len(self.upsamplers):
                h = self.upsamplers[i](h)
        out = self.conv_out(nn.functional.silu(self.norm_out(h))).reshape(b, m, t, 3, hh, ww)
        if not return_aux:
            return UNetOutput(out)
        attention = [p.reshape(b, m, t, *p.shape[1:]) for p in maps]
        return UNetOutput(out, features, attention)

# -- the two-stage baseline's second stage ---------------------------------------------------------
# IDOL compares against generating the video first (an RGB-only diffusion model of the same size:
# ``IdolUNet(modalities=1)``) and estimating depth from it afterwards: a small diffusers ``UNet2DModel``
# used as a plain per-frame regressor (timestep fixed at 0), trained on the same renders (true RGB in,
# true depth colour map out).

def depth_estimator(size: int, channels: tuple[int, ...]) -> UNet2DModel:
    """A regressor as deep as the diffusion U-Net (same channels, plain ResNet levels)."""
    n = len(channels)
    return UNet2DModel(sample_size=size, in_channels=3, out_channels=3, layers_per_block=1,
                       block_out_channels=tuple(channels), down_block_types=("DownBlock2D",) * n,
                       up_block_types=("UpBlock2D",) * n, norm_num_groups=min(groups_for(c) for c in channels))


def estimate_depth(model: UNet2DModel, rgb: torch.Tensor) -> torch.Tensor:
    """RGB frames [N, 3, H, W] in [-1, 1] -> depth colour maps [N, 3, H, W] in [-1, 1]."""
    t = torch.zeros(rgb.shape[0], dtype=torch.long, device=rgb.device)
    return torch.tanh(model(rgb, t).sample)


def estimator_loss(model: UNet2DModel, rgb: torch.Tensor, depth_vis: torch.Tensor, mask: torch.Tensor,
                   person_weight: float = 1.0) -> torch.Tensor:
    """L1 to the true colour map, person pixels weighted ``1 + person_weight`` (all [N, ., H, W])."""
    pred = estimate_depth(model, rgb)
    w = 1.0 + person_weight * mask.float()
    return ((pred - depth_vis).abs().mean(1, keepdim=True) * w).sum() / w.sum()
