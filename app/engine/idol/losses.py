"""IDOL's training objective: the denoising loss, the two alignment losses and their sum
(:func:`compute_losses`: v-prediction at a random timestep, condition dropout for guidance, and the
two-stage baseline's depth-estimator loss).

* Motion consistency: from the U-Net's intermediate decoder features of each branch, a motion
  field between consecutive frames is computed as a soft arg-max of the local feature correlation
  (cosine similarity to the next frame's features within ``radius`` feature pixels, softmax, expected
  displacement). The RGB branch's and the depth branch's fields should agree (same person, same
  motion); the loss is their mean squared difference.
* Cross-attention map consistency: the reference cross-attention maps of the RGB branch should
  match those of the depth branch (both look at the same body parts); the loss is the squared
  difference of the maps summed over reference tokens, averaged over queries, heads and blocks.

The motion loss takes the RGB branch's field as the target by default (``motion_detach_video``);
the attention loss acts through both branches. Both reach the shared weights.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from app.engine.idol.unet import estimator_loss

TAU = 0.1   # temperature of the correlation softmax (cosine similarities)


def motion_field(features: torch.Tensor, radius: int = 2, tau: float = TAU) -> torch.Tensor:
    """Features [B, T, C, h, w] -> soft displacement (dx, dy) from frame t to t+1: [B, T-1, 2, h, w]."""
    b, t, c, h, w = features.shape
    f = F.normalize(features.float(), dim=2)
    cur = f[:, :-1].reshape(-1, c, h, w)
    nxt = f[:, 1:].reshape(-1, c, h, w)
    k = 2 * radius + 1
    patches = F.unfold(nxt, k, padding=radius).reshape(-1, c, k * k, h, w)
    prob = ((cur[:, :, None] * patches).sum(1) / tau).softmax(1)          # [N, k*k, h, w]
    offs = torch.arange(-radius, radius + 1, dtype=f.dtype, device=f.device)
    dy, dx = torch.meshgrid(offs, offs, indexing="ij")
    flow = torch.stack([(prob * dx.reshape(1, -1, 1, 1)).sum(1), (prob * dy.reshape(1, -1, 1, 1)).sum(1)], 1)
    return flow.reshape(b, t - 1, 2, h, w)


def motion_consistency(features: list[torch.Tensor], radius: int = 2, detach_video: bool = True) -> torch.Tensor:
    """Mean squared difference of the RGB and depth motion fields over the given feature levels.

    ``features``: [B, M=2, T, C, h, w] per level (from ``IdolUNet(..., return_aux=True)``).
    ``detach_video``: the RGB branch's field is the target (no gradient through it), so the loss
    cannot be met by flattening both branches' features into motionless ones.
    """
    losses = []
    for f in features:
        if f.shape[1] != 2 or f.shape[2] < 2:
            continue
        video = motion_field(f[:, 0].detach() if detach_video else f[:, 0], radius)
        losses.append((video - motion_field(f[:, 1], radius)).square().mean())
    if not losses:
        raise ValueError("motion consistency needs two modalities and at least two frames")
    return torch.stack(losses).mean()


def attention_consistency(maps: list[torch.Tensor]) -> torch.Tensor:
    """Squared difference of the RGB and depth reference-attention maps ([B, 2, T, heads, L, R] each),
    summed over the R reference tokens and averaged over everything else and the blocks."""
    losses = [(a[:, 0].float() - a[:, 1].float()).square().sum(-1).mean() for a in maps if a.shape[1] == 2]
    if not losses:
        raise ValueError("attention consistency needs two modalities")
    return torch.stack(losses).mean()


def denoising_loss(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """MSE over everything, and per modality for the log ([B, M, T, 3, H, W])."""
    per = (pred.float() - target.float()).square().mean(dim=(0, 2, 3, 4, 5))
    names = ("rgb", "depth")
    return per.mean(), {f"mse_{names[i]}": float(v) for i, v in enumerate(per.detach())}


def drop_conditions(batch: int, p_all: float, p_ref: float,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Classifier-free guidance dropout: (keep_pose_and_background [B], keep_reference [B]) booleans."""
    u = torch.rand(batch, 2, generator=generator)
    keep_all = u[:, 0] >= p_all
    keep_ref = keep_all & (u[:, 1] >= p_ref)
    return keep_all, keep_ref


def compute_losses(pipe, batch: dict[str, torch.Tensor], gen: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """The total training loss of one batch for an :class:`IdolPipeline` and its parts (floats, for the log)."""
    cfg, unet, sched = pipe.config, pipe.unet, pipe.scheduler
    b = batch["rgb"].shape[0]
    x0 = torch.stack([batch["rgb"], batch["depth_vis"]], 1) if cfg.modalities == 2 else batch["rgb"][:, None]
    noise = torch.randn(x0.shape, generator=gen).to(x0.device)
    t = torch.randint(0, sched.config.num_train_timesteps, (b,), generator=gen).to(x0.device)
    xt = sched.add_noise(x0, noise, t)
    target = sched.get_velocity(x0, noise, t) if cfg.prediction_type == "v_prediction" else noise
    keep, keep_ref = drop_conditions(b, cfg.p_drop_all, cfg.p_drop_ref, gen)
    keep, keep_ref = keep.to(x0.device), keep_ref.to(x0.device)
    k5 = keep[:, None, None, None, None].to(x0.dtype)
    aux = cfg.modalities == 2 and (cfg.w_motion > 0 or cfg.w_attn > 0)
    out = unet(xt, t, batch["pose"] * k5, batch["background"] * k5, batch["reference"], keep_ref,
               return_aux=aux)
    loss, logs = denoising_loss(out.sample, target)
    if aux and cfg.w_motion > 0:
        lm = motion_consistency(out.features, cfg.motion_window, cfg.motion_detach_video)
        loss = loss + cfg.w_motion * lm
        logs["motion"] = float(lm.detach())
    if aux and cfg.w_attn > 0:
        la = attention_consistency(out.attention)
        loss = loss + cfg.w_attn * la
        logs["attn"] = float(la.detach())
    if pipe.depth_model is not None:
        n = batch["rgb"].shape[0] * batch["rgb"].shape[1]
        le = estimator_loss(pipe.depth_model, batch["rgb"].reshape(n, *batch["rgb"].shape[2:]),
                            batch["depth_vis"].reshape(n, *batch["depth_vis"].shape[2:]),
                            batch["mask"].reshape(n, 1, *batch["mask"].shape[2:]), cfg.w_depth_mask)
        loss = loss + le
        logs["estimator"] = float(le.detach())
    logs["loss"] = float(loss.detach())
    return loss, logs
