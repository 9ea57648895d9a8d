"""A diffusion prior over ATOM's global latent: p(z | text) without the Gaussian's averaging.

Why: decoded from its own *posterior* (the encoder's z for a val motion), ATOM passes 81.9 % of the
val split's kinematic checks, but only 76.5 % when z is drawn from its learned Gaussian prior
p(z | text) (session 11; turns 4/4 vs 2/8: "turns twice to the left" from the prior turns half as far).
The posteriors of one text form a shape a single Gaussian covers only by spreading over it, and z
drawn from the spread decodes to a blend.  Here a small denoising diffusion model (as DALL-E 2's prior
and MLD's latent diffusion, at one token) learns that distribution.  It works in the Gaussian prior's
own coordinates, u = (z - mu_p) / sigma_p, conditioned on the same text context the Gaussian prior
reads (:meth:`ATOM.prior_context`: pooled sentence + words + prompt slots), so an untrained prior is
never needed and the ATOM weights stay frozen.  Noise schedule and sampling: diffusers' DDIMScheduler
(cosine, v-prediction: with epsilon prediction the first DDIM step from the cosine schedule's last
timestep divides by sqrt(alpha_bar) ~ 0 and blew samples up); deterministic for a seed.  Files beside the model: ``z_prior.json`` +
``z_prior.safetensors`` (``scripts/train_atom_prior.py``).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

__all__ = ["LatentPrior", "load_latent_prior", "PRIOR_FILES"]

PRIOR_FILES = ("z_prior.json", "z_prior.safetensors")


def _timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    arg = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1)


class _Block(nn.Module):
    """Residual MLP block with FiLM from the (text, time) embedding."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden, elementwise_affine=False)
        self.film = nn.Linear(hidden, 2 * hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb).chunk(2, dim=-1)
        return h + self.mlp(self.norm(h) * (1 + scale) + shift)


class LatentPrior(nn.Module):
    """v-predicting MLP denoiser over u [B, d_z] given the text context [B, d_ctx]."""

    def __init__(self, d_z: int, d_ctx: int, hidden: int = 512, layers: int = 4, train_steps: int = 1000,
                 sample_steps: int = 25) -> None:
        super().__init__()
        self.config = dict(d_z=d_z, d_ctx=d_ctx, hidden=hidden, layers=layers, train_steps=train_steps,
                           sample_steps=sample_steps)
        self.inp = nn.Linear(d_z, hidden)
        self.ctx = nn.Sequential(nn.Linear(d_ctx, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.time = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.blocks = nn.ModuleList(_Block(hidden) for _ in range(layers))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, d_z))
        self._scheduler = None

    @property
    def scheduler(self):
        if self._scheduler is None:
            from diffusers import DDIMScheduler
            self._scheduler = DDIMScheduler(num_train_timesteps=self.config["train_steps"],
                                            beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction",
                                            clip_sample=False, timestep_spacing="trailing")
        return self._scheduler

    def forward(self, u_t: torch.Tensor, t: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        emb = self.ctx(ctx) + self.time(_timestep_embedding(t, self.inp.out_features))
        h = self.inp(u_t)
        for blk in self.blocks:
            h = blk(h, emb)
        return self.out(h)

    def loss(self, u0: torch.Tensor, ctx: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Denoising MSE on the velocity v = sqrt(a) noise - sqrt(1 - a) u0 (uniform timesteps)."""
        noise = torch.randn(u0.shape, generator=generator, device=u0.device)
        t = torch.randint(0, self.config["train_steps"], (u0.shape[0],), generator=generator, device=u0.device)
        u_t = self.scheduler.add_noise(u0, noise, t)
        return (self(u_t, t, ctx) - self.scheduler.get_velocity(u0, noise, t)).pow(2).mean()

    @torch.no_grad()
    def sample(self, ctx: torch.Tensor, noise: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """DDIM (eta 0) from the given initial noise [B, d_z]: deterministic for a seed."""
        sched = self.scheduler
        sched.set_timesteps(int(steps or self.config["sample_steps"]))
        u = noise
        for t in sched.timesteps:
            v = self(u, t.expand(u.shape[0]).to(u.device), ctx)
            u = sched.step(v, t, u).prev_sample
        return u

    def save(self, folder: str | Path, **meta) -> None:
        from safetensors.torch import save_file
        folder = Path(folder)
        (folder / PRIOR_FILES[0]).write_text(json.dumps(self.config | meta, indent=1))
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(folder / PRIOR_FILES[1]))


def load_latent_prior(folder: str | Path) -> LatentPrior | None:
    """The prior stored beside a model, or None when the folder has none."""
    folder = Path(folder)
    if not all((folder / f).is_file() for f in PRIOR_FILES):
        return None
    from safetensors.torch import load_file
    cfg = json.loads((folder / PRIOR_FILES[0]).read_text())
    keys = ("d_z", "d_ctx", "hidden", "layers", "train_steps", "sample_steps")
    prior = LatentPrior(**{k: cfg[k] for k in keys if k in cfg})
    prior.load_state_dict(load_file(str(folder / PRIOR_FILES[1])))
    return prior.eval()
