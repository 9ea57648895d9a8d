"""SOAR's losses: evidential classification, uncertainty-weighted scene reconstruction,
foreground-weighted scene classification on pseudo-labels, and the two uncertainty regularisers of
the SOAR code: accuracy-vs-uncertainty calibration (DEAR's EUC) and the uncertainty-map
normalisation against the reconstruction error.

The evidential terms reuse the skeleton route's (:func:`app.engine.recognition.losses.edl_terms`:
expected cross-entropy under Dir(e + 1) and KL of the wrong-class evidence to Dir(1)); the default
is SOAR's log form (log S - log alpha_y) without the KL term, which learned much faster here.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from app.engine.recognition.losses import edl_terms
from app.engine.recognition.model import dirichlet

from .model import median_filter_clip


def edl_loss(evidence: torch.Tensor, labels: torch.Tensor, kl_weight: float, kind: str = "log"
             ) -> tuple[torch.Tensor, dict]:
    """Evidential loss of clip evidence [B, K] against class indices [B].

    ``kind`` "log" (SOAR's and DEAR's choice): the Type II maximum likelihood log S - log alpha_y;
    "digamma": the skeleton route's expected cross-entropy psi(S) - psi(alpha_y).  Plus
    ``kl_weight`` x KL of the wrong-class evidence to Dir(1) (SOAR trains with none)."""
    onehot = F.one_hot(labels, evidence.shape[-1]).to(evidence.dtype)
    nll, kl = edl_terms(evidence, onehot)
    if kind == "log":
        alpha = evidence + 1.0
        nll = alpha.sum(-1).log() - alpha.gather(1, labels[:, None])[:, 0].log()
    loss = nll.mean() + kl_weight * kl.mean() if kl_weight > 0 else nll.mean()
    return loss, {"edl": float(nll.mean().detach()), "kl": float(kl.mean().detach())}


def _minmax(x: torch.Tensor) -> torch.Tensor:
    """Per-sample min-max normalisation of [B, ...] to [0, 1]."""
    flat = x.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    shape = (-1,) + (1,) * (x.dim() - 1)
    return (x - lo.view(shape)) / (hi - lo).clamp_min(1e-6).view(shape)


def recon_target(x: torch.Tensor, size: int, window: int) -> torch.Tensor:
    """The scene target: the normalised clip [B, 3, T, H, W], median-filtered over time and
    area-resized to ``size`` x ``size``."""
    med = median_filter_clip(x, window)
    if med.shape[-1] != size:
        med = F.adaptive_avg_pool3d(med, (med.shape[2], size, size))
    return med.detach()


def recon_weight(u_map: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """SOAR's reconstruction weight: the uncertainty map upsampled to the reconstruction,
    min-max normalised per clip and re-centred to mean 1 (uncertain = scene-like regions count
    more), detached."""
    u = F.interpolate(u_map, shape, mode="trilinear", align_corners=False)
    u = _minmax(u)
    u = u + 1.0 - u.flatten(1).mean(1).view(-1, 1, 1, 1, 1)
    return u.detach()


def recon_loss(recon: torch.Tensor, target: torch.Tensor, u_map: torch.Tensor) -> torch.Tensor:
    """Uncertainty-weighted L1 between the decoder's clip and the median-filtered clip.  The
    decoder minimises it; the gradient reversal in front of it makes the backbone maximise it."""
    w = recon_weight(u_map, tuple(recon.shape[2:]))
    return ((recon - target).abs() * w).mean()


def scene_loss(scene_map: torch.Tensor, u_map: torch.Tensor, pseudo: torch.Tensor,
               weight: torch.Tensor | None = None) -> torch.Tensor:
    """Adaptive scene classification: the per-position scene logits [B, S, t, h, w] pooled with
    weights on the action foreground (1 - normalised uncertainty, detached), cross-entropy
    against the scene pseudo-labels [B] (behind gradient reversal: the backbone is pushed to make
    the foreground carry no scene information).  ``weight`` [B]: per-clip weights (the weighted mean is taken;
    see :func:`app.engine.soar.data.balance_weights`)."""
    ce = F.cross_entropy(_foreground_logits(scene_map, u_map), pseudo, reduction="none")
    if weight is None:
        return ce.mean()
    return (ce * weight).sum() / weight.sum().clamp_min(1e-8)


def _foreground_logits(scene_map: torch.Tensor, u_map: torch.Tensor) -> torch.Tensor:
    """Scene logits [B, S, t, h, w] pooled with weights 1 - normalised uncertainty (detached)."""
    w = (1.0 - _minmax(u_map)).detach() + 1e-3                  # [B, 1, t, h, w]
    w = w / w.flatten(1).sum(1).view(-1, 1, 1, 1, 1)
    return (scene_map * w).sum((2, 3, 4))


def scene_confusion_loss(scene_map: torch.Tensor, u_map: torch.Tensor) -> torch.Tensor:
    """The backbone's side of the scene game in the "confusion" form: cross-entropy of the
    foreground-pooled scene logits (from the classifier's frozen copy) to the uniform distribution,
    minimal when the features say nothing about the scene (not when they name the wrong one)."""
    return -F.log_softmax(_foreground_logits(scene_map, u_map), -1).mean(-1).mean()


def avu_loss(evidence: torch.Tensor, labels: torch.Tensor, progress: float, start: float = 0.01) -> torch.Tensor:
    """Accuracy-vs-uncertainty calibration (DEAR's EUC; ``with_avuloss`` in the SOAR code):
    ``-lam p log(1 - u)`` on clips the head gets right and ``-(1 - lam)(1 - p) log u`` on the wrong
    ones, ``p`` the top expected probability and ``u = K / S``; ``lam`` grows exponentially from
    ``start`` to 1 over training (``progress`` in [0, 1])."""
    lam = start ** (1.0 - min(max(progress, 0.0), 1.0))
    probs, u = dirichlet(evidence)
    p, pred = probs.max(-1)
    right = (pred == labels).to(evidence.dtype)
    eps = 1e-10
    loss = lam * right * (-p * torch.log(1.0 - u + eps)) + (1.0 - lam) * (1.0 - right) * (-(1.0 - p) * torch.log(u + eps))
    return loss.mean()


def unc_norm_loss(recon: torch.Tensor, target: torch.Tensor, u_map: torch.Tensor, k: float = 0.125) -> torch.Tensor:
    """SOAR's uncertainty-map normalisation: per clip, the mean uncertainty of the ``k`` share of
    positions with the largest reconstruction error minus that of the ``k`` share with the
    smallest (error and uncertainty should be inversely related: the moving person is hard to
    rebuild as scene and should be certain).  Only the uncertainty map receives the gradient."""
    err = (recon - target).abs().mean(1, keepdim=True).detach()             # [B, 1, T, R, R]
    err = F.interpolate(err, u_map.shape[2:], mode="area").flatten(1)        # [B, t*s*s]
    u = u_map.flatten(1)
    n = max(1, int(k * u.shape[1]))
    top = err.topk(n, dim=1).indices
    bottom = err.topk(n, dim=1, largest=False).indices
    return (u.gather(1, top).mean(1) - u.gather(1, bottom).mean(1)).mean()
