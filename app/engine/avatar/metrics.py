"""Image metrics for splat-vs-mesh comparisons (torch, images [H, W, 3] in [0, 1]).

``mask`` [H, W] (the person mask of the reference) restricts a metric to the person: on renders
over a black background most pixels are background that any avatar gets right, which inflates
whole-frame PSNR / SSIM.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """PSNR in dB over all pixels, or over the pixels where ``mask`` > 0.5 (NaN for an empty mask)."""
    err = ((a.float() - b.float()) ** 2).mean(dim=-1)
    if mask is not None:
        inside = mask.float() > 0.5
        if not bool(inside.any()):
            return float("nan")
        err = err[inside]
    mse = float(err.mean())
    return float("inf") if mse <= 1e-12 else 10.0 * math.log10(1.0 / mse)


def _gauss_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None].repeat(3, 1, 1, 1)


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11, lite: bool = False,
         mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean SSIM (Wang et al., 11x11 Gaussian window); ``lite`` uses a 7x7 box filter (cheaper, for losses);
    ``mask``: the mean of the SSIM map over the pixels where it is > 0.5 (NaN for an empty mask)."""
    x = a.permute(2, 0, 1)[None].float()
    y = b.permute(2, 0, 1)[None].float()
    if lite:
        def blur(t):
            return F.avg_pool2d(t, 7, stride=1, padding=3, count_include_pad=False)
    else:
        w = _gauss_window(window).to(x)

        def blur(t):
            return F.conv2d(t, w, padding=window // 2, groups=3)
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    if mask is None:
        return s.mean()
    inside = (mask.float() > 0.5).to(s.device)
    if not bool(inside.any()):
        return torch.tensor(float("nan"))
    return s[0].mean(dim=0)[inside].mean()
