"""MDM-style baseline (Tevet et al. 2023): a transformer-encoder denoiser over the 263-dim sequence.

The denoiser predicts x0 (not the noise) from x_t; its first token is timestep embedding +
projected MiniLM text embedding (dropped to zero for 10% of training samples, so sampling can
use classifier-free guidance).  Cosine noise schedule with 1000 training steps; sampling with
deterministic DDIM (eta = 0) over ``sampling_steps`` (50 by default) evenly spaced steps.
"""
from __future__ import annotations

import math
from typing import Generator

import numpy as np
import torch
from torch import nn

from app.engine.jobs import drain
from app.engine.repr import humanml3d_torch

from .config import MDMConfig
from .layers import FeatureNormMixin, PositionalEncoding, encoder_layer, masked_mse, padding_mask, sinusoid


def cosine_alphas_cumprod(steps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """alpha-bar_t of the cosine schedule (Nichol & Dhariwal 2021), betas clipped at max_beta."""
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    betas = np.array([min(1 - f(i + 1) / f(i), max_beta) for i in range(steps)])
    return np.cumprod(1.0 - betas)


class MDM(FeatureNormMixin, nn.Module):
    """x0-predicting transformer denoiser; inputs are normalised features."""

    def __init__(self, cfg: MDMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.motion_in = nn.Linear(cfg.feature_dim, d)
        self.text_proj = nn.Linear(cfg.text_dim, d)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.pos = PositionalEncoding(d, max(512, cfg.max_frames + 1))
        self.encoder = nn.TransformerEncoder(encoder_layer(d, cfg.heads, cfg.ff, cfg.dropout), cfg.layers,
                                             norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.head = nn.Linear(d, cfg.feature_dim)
        ab = torch.tensor(cosine_alphas_cumprod(cfg.diffusion_steps), dtype=torch.float32)
        self.register_buffer("alphas_cumprod", ab)
        self.register_buffer("time_table", sinusoid(cfg.diffusion_steps, d), persistent=False)
        self.init_feature_norm(cfg.feature_dim)


    def forward(self, x_t: torch.Tensor, t: torch.Tensor, text: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Predicted x0 [B, T, 263] from x_t [B, T, 263], integer steps t [B] and text [B, 384]."""
        cond = self.time_mlp(self.time_table[t]) + self.text_proj(text)
        seq = torch.cat([cond[:, None], self.pos(self.motion_in(x_t))], dim=1)
        pad = padding_mask(lengths, x_t.shape[1])
        pad = torch.cat([torch.zeros_like(pad[:, :1]), pad], dim=1)
        return self.head(self.encoder(seq, src_key_padding_mask=pad)[:, 1:])

    def loss(self, batch: dict[str, torch.Tensor], progress: float,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        x0, lengths, text = batch["x"], batch["lengths"], batch["text"]
        b = x0.shape[0]
        valid = ~padding_mask(lengths, x0.shape[1])
        t = torch.randint(0, self.cfg.diffusion_steps, (b,), generator=generator, device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        ab = self.alphas_cumprod[t].view(b, 1, 1)
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        keep = (torch.rand((b, 1), generator=generator, device=x0.device) >= self.cfg.cond_drop).float()
        pred = self(x_t, t, text * keep, lengths)
        rec = masked_mse(pred, x0, valid)
        total, joint = rec, pred.new_zeros(())
        if self.cfg.w_joint > 0:
            joint = masked_mse(humanml3d_torch.features_to_joints(self.denormalize(pred)),
                               humanml3d_torch.features_to_joints(self.denormalize(x0)), valid)
            total = total + self.cfg.w_joint * joint
        return total, {"loss": float(total.detach()), "rec": float(rec.detach()), "joint": float(joint.detach())}

    @torch.no_grad()
    def sample(self, text: torch.Tensor, num_frames: int, generator: torch.Generator | None = None,
               steps: int | None = None, guidance: float | None = None, lengths: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, None]:
        """DDIM (eta 0) sampling with classifier-free guidance: normalised features [B, T, 263]."""
        return drain(self.sample_steps(text, num_frames, generator, steps, guidance, lengths))

    def sample_steps(self, text: torch.Tensor, num_frames: int, generator: torch.Generator | None = None,
                     steps: int | None = None, guidance: float | None = None, lengths: torch.Tensor | None = None
                     ) -> Generator[float, None, tuple[torch.Tensor, None]]:
        """:meth:`sample` as a generator: yields the fraction done after every DDIM step (so an
        engine task can report progress and stop between steps) and returns the features."""
        steps = int(steps or self.cfg.sampling_steps)
        g = self.cfg.guidance if guidance is None else guidance
        b = text.shape[0]
        if lengths is None:
            lengths = torch.full((b,), num_frames, device=text.device, dtype=torch.long)
        x = torch.randn((b, num_frames, self.cfg.feature_dim), generator=generator, device=text.device)
        ts = np.linspace(self.cfg.diffusion_steps - 1, 0, steps).round().astype(int)
        both_text = torch.cat([text, torch.zeros_like(text)]) if g != 1.0 else text
        both_len = torch.cat([lengths, lengths]) if g != 1.0 else lengths
        x0 = x
        for i, t in enumerate(ts):
            tt = torch.full((both_text.shape[0],), int(t), device=text.device, dtype=torch.long)
            inp = torch.cat([x, x]) if g != 1.0 else x
            with torch.no_grad():  # per step: grad mode must not stay off in the caller between yields
                out = self(inp, tt, both_text, both_len)
            x0 = out[:b] + (g - 1.0) * (out[:b] - out[b:]) if g != 1.0 else out
            yield (i + 1) / len(ts)
            if i == len(ts) - 1:
                break
            ab, ab_prev = self.alphas_cumprod[int(t)], self.alphas_cumprod[int(ts[i + 1])]
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        return x0, None
