"""The two-stage baseline's second stage: a per-frame depth estimator (RGB -> depth colour map).

IDOL compares against generating the video first (an RGB-only diffusion model of the same size:
``IdolUNet(modalities=1)``) and estimating depth from it afterwards. This estimator is a small
``diffusers`` ``UNet2DModel`` used as a plain regressor (timestep fixed at 0), trained on the same
renders (ground-truth RGB in, ground-truth depth colour map out).
"""
from __future__ import annotations

import torch
from diffusers import UNet2DModel

from app.engine.idol.blocks import groups_for


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
