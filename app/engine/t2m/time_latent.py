"""Local latents for ATOM: one small z every few frames, beside the global z.

Why: with one global z the decoder is a function of (text, z), and when z does not carry *when*
things happen, per-frame regression answers a repeated action of unknown timing with its average
over the corpus's timings: three squats become one shallow dip, claps hands that hover, waves with
no swings (``models/atom/README.md``, session 11).  Even decoded from its own training posterior the
global-z model lost the claps, i.e. the timing never made it through the one vector.

Here the encoder's frame states are pooled into one token per ``stride`` frames, each a small
Gaussian posterior q(z_k | motion); the decoder adds the tokens, projected to its width and linearly
interpolated to every frame, to its frame queries.  The prior p(z_k | text, k) reads the decoder's
per-frame text bias pooled the same way (text and time), so sampling draws *a* timing per token
instead of averaging all of them.  KL per token and dim, summed (nats per motion).  The output
projection is zero-initialised: a checkpoint trained without local latents starts unchanged.

``ar=True`` adds an autoregressive part to the prior, p(z_k | text, k, z_<k) (a GRU over the tokens, its
output added to the independent prior's parameters and zero-initialised): independent draws per token give
each 0.4 s window its own phase, so a sampled clap or wave stutters; the recurrent prior lets a token follow
the one before it (session 12).
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["TimeLatent"]


class TimeLatent(nn.Module):
    """Posterior, prior and decoder input of the local latents (dz dims every ``stride`` frames)."""

    def __init__(self, d: int, dz: int = 8, stride: int = 8, ar: bool = False) -> None:
        super().__init__()
        self.dz, self.stride, self.ar = int(dz), int(stride), bool(ar)
        self.post = nn.Linear(d, 2 * dz)
        self.prior = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 2 * dz))
        nn.init.zeros_(self.prior[-1].weight)
        nn.init.zeros_(self.prior[-1].bias)
        self.up = nn.Linear(dz, d)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        if self.ar:
            self.ar_in = nn.Linear(d + dz, d)
            self.ar_cell = nn.GRUCell(d, d)
            self.ar_out = nn.Linear(d, 2 * dz)
            nn.init.zeros_(self.ar_out.weight)
            nn.init.zeros_(self.ar_out.bias)

    def tokens(self, t: int) -> int:
        return max(1, math.ceil(t / self.stride))

    def pool(self, h: torch.Tensor, valid: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked mean of frame states h [B, T, d] over windows of ``stride`` frames: [B, K, d] and the
        tokens' validity [B, K] (a token is valid when its window holds a valid frame)."""
        b, t, d = h.shape
        k = self.tokens(t)
        m = torch.ones(b, t, dtype=h.dtype, device=h.device) if valid is None else valid.to(h.dtype)
        pad = k * self.stride - t
        if pad:
            h = nn.functional.pad(h, (0, 0, 0, pad))
            m = nn.functional.pad(m, (0, pad))
        h, m = h.view(b, k, self.stride, d), m.view(b, k, self.stride)
        n = m.sum(-1)
        return (h * m[..., None]).sum(2) / n.clamp(min=1.0)[..., None], n > 0

    @staticmethod
    def _split(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = p.chunk(2, dim=-1)
        return mu, logvar.clamp(-8.0, 4.0)

    def posterior(self, frames: torch.Tensor, valid: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """mu, logvar [B, K, dz] from the encoder's frame states [B, T, d], and token validity [B, K]."""
        pooled, ok = self.pool(frames, valid)
        return *self._split(self.post(pooled)), ok

    def prior_params(self, bias: torch.Tensor, t: int, z: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """mu, logvar [B, K, dz] from the decoder's text bias [B, T, d] or [B, 1, d] (pooled).

        With ``ar``, token k also reads z_{k-1}: teacher-forced from ``z`` [B, K, dz] (training), or
        the prior's own means rolled out when ``z`` is None."""
        if z is None and self.ar:
            mu = self.sample_prior(bias, t, torch.zeros(bias.shape[0], self.tokens(t), self.dz,
                                                        device=bias.device, dtype=bias.dtype), 0.0)
            return mu, self._params(bias, t, mu)[1]
        return self._params(bias, t, z)

    def _params(self, bias: torch.Tensor, t: int, z: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if bias.shape[1] != t:
            bias = bias.expand(-1, t, -1)
        pooled, _ = self.pool(bias)
        p = self.prior(pooled)
        if self.ar and z is not None:
            prev = torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1)
            h = pooled.new_zeros(pooled.shape[0], pooled.shape[2])
            outs = []
            for k in range(pooled.shape[1]):
                h = self.ar_cell(self.ar_in(torch.cat([pooled[:, k], prev[:, k]], -1)), h)
                outs.append(h)
            p = p + self.ar_out(torch.stack(outs, 1))
        return self._split(p)

    def sample_prior(self, bias: torch.Tensor, t: int, eps: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """z [B, K, dz] drawn from the prior with noise eps [B, K, dz] scaled by ``temperature``
        (token by token when ``ar``: each draw is fed to the next token)."""
        if not self.ar:
            mu, logvar = self._params(bias, t, None)
            return mu + eps * torch.exp(0.5 * logvar) * temperature
        if bias.shape[1] != t:
            bias = bias.expand(-1, t, -1)
        pooled, _ = self.pool(bias)
        base = self.prior(pooled)
        h = pooled.new_zeros(pooled.shape[0], pooled.shape[2])
        prev = pooled.new_zeros(pooled.shape[0], self.dz)
        zs = []
        for k in range(pooled.shape[1]):
            h = self.ar_cell(self.ar_in(torch.cat([pooled[:, k], prev], -1)), h)
            mu, logvar = self._split(base[:, k] + self.ar_out(h))
            prev = mu + eps[:, k] * torch.exp(0.5 * logvar) * temperature
            zs.append(prev)
        return torch.stack(zs, 1)

    def expand(self, z: torch.Tensor, t: int) -> torch.Tensor:
        """[B, T, d] decoder input: tokens [B, K, dz] projected, then linear in time between token centres."""
        u = self.up(z).transpose(1, 2)                                  # B d K
        u = nn.functional.interpolate(u, size=z.shape[1] * self.stride, mode="linear", align_corners=False)
        return u[..., :t].transpose(1, 2)

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor, p_mu: torch.Tensor, p_logvar: torch.Tensor,
           ok: torch.Tensor, free_bits: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
        """KL(q || p) summed over valid tokens and dims, mean over the batch (nats per motion), and the
        loss: the same with each token's dim (mean over the batch) clamped from below at ``free_bits`` nats.

        Free bits matter here: the decoder's input projection starts at zero, so at first only the KL
        reaches the posterior, and Adam's normalised steps collapse it onto the prior within ~25 steps
        (measured) whatever the KL's weight, before the decoder could learn to read it."""
        per = 0.5 * (p_logvar - logvar + (logvar.exp() + (mu - p_mu).pow(2)) / p_logvar.exp() - 1)
        okf = ok.to(per.dtype)[..., None]
        kl = (per * okf).sum((1, 2)).mean()
        if free_bits <= 0:
            return kl, kl
        n = okf.sum(0).clamp(min=1.0)                                   # K 1
        per_tok = (per * okf).sum(0) / n                                # K dz, batch mean
        used = (okf.sum(0) > 0).to(per.dtype)
        return kl, (per_tok.clamp(min=free_bits) * used).sum()
