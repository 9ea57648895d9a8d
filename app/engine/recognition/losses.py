"""Losses of A-TSCN: video-level MIL, adaptive attention normalisation, pseudo ground truth,
and the evidential (Dirichlet) loss.

Targets are video-level multi-hot atom sets ``y`` [B, K]; MIL losses use the normalised set
y / |y| as a distribution (W-TALC / TSCN).  Frame tensors are masked by ``mask`` [B, T].
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def _norm_targets(y: torch.Tensor) -> torch.Tensor:
    return y / y.sum(-1, keepdim=True).clamp_min(1.0)


def topk_pool(cas: torch.Tensor, mask: torch.Tensor, ratio: float) -> torch.Tensor:
    """Mean of each class's top-k frame logits, k = ceil(length / ratio) per video -> [B, K]."""
    lengths = mask.sum(1)
    k = torch.clamp(torch.ceil(lengths / ratio), min=1.0)                    # [B]
    vals = cas.masked_fill(mask[..., None] <= 0, float("-inf"))
    top, _ = vals.sort(dim=1, descending=True)
    ranks = torch.arange(cas.shape[1], device=cas.device)[None, :, None]
    keep = (ranks < k[:, None, None]).to(cas.dtype)
    return (top.nan_to_num(neginf=0.0) * keep).sum(1) / k[:, None]


def attention_pool(cas: torch.Tensor, att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention-weighted mean of the CAS over time -> [B, K]."""
    w = att * mask
    return (cas * w[..., None]).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)


def mil_loss(att: torch.Tensor, cas: torch.Tensor, mask: torch.Tensor, y: torch.Tensor, topk_ratio: float,
             w_att: float = 1.0, w_topk: float = 1.0) -> tuple[torch.Tensor, dict]:
    """Multiple-instance loss: softmax cross-entropy of attention-pooled and top-k pooled CAS
    against the normalised video label set."""
    target = _norm_targets(y)
    l_att = -(target * attention_pool(cas, att, mask).log_softmax(-1)).sum(-1).mean()
    l_topk = -(target * topk_pool(cas, mask, topk_ratio).log_softmax(-1)).sum(-1).mean()
    return w_att * l_att + w_topk * l_topk, {"mil_att": float(l_att.detach()), "mil_topk": float(l_topk.detach())}


def norm_loss(att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Adaptive attention normalisation: per video, frames above the video's mean attention are
    pushed to 1 and frames below it to 0 (mean(low) - mean(high) + 1, in [0, 1])."""
    valid = mask > 0
    tau = ((att * mask).sum(1) / mask.sum(1).clamp_min(1.0)).detach()[:, None]
    high = (att >= tau) & valid
    low = (att < tau) & valid
    mean_high = (att * high).sum(1) / high.sum(1).clamp_min(1)
    mean_low = (att * low).sum(1) / low.sum(1).clamp_min(1)
    return (mean_low - mean_high + 1.0).mean()


def pseudo_loss(att: torch.Tensor, cas: torch.Tensor, p_att: torch.Tensor, p_cls: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(attention BCE against the binary pseudo attention, CAS cross-entropy against the pseudo
    classes); frames with pseudo label -1 (or padding) are ignored."""
    valid = (p_att >= 0) & (mask > 0)
    l_att = F.binary_cross_entropy(att.clamp(1e-5, 1 - 1e-5)[valid], p_att[valid]) if valid.any() \
        else att.sum() * 0.0
    cls_valid = (p_cls >= 0) & (mask > 0)
    l_cls = F.cross_entropy(cas[cls_valid], p_cls[cls_valid]) if cls_valid.any() else cas.sum() * 0.0
    return l_att, l_cls


def dirichlet_kl(alpha: torch.Tensor) -> torch.Tensor:
    """KL(Dir(alpha) || Dir(1)) over the last dimension."""
    k = alpha.shape[-1]
    s = alpha.sum(-1)
    return (torch.lgamma(s) - math.lgamma(k) - torch.lgamma(alpha).sum(-1)
            + ((alpha - 1) * (torch.digamma(alpha) - torch.digamma(s)[..., None])).sum(-1))


def edl_terms(evidence: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(expected cross-entropy under Dir(e + 1), KL of the wrong-class evidence) per row.

    target [..., K] is a distribution; the KL removes evidence of the classes it names."""
    alpha = evidence + 1.0
    s = alpha.sum(-1, keepdim=True)
    nll = (target * (torch.digamma(s) - torch.digamma(alpha))).sum(-1)
    present = (target > 0).to(alpha.dtype)
    kl = dirichlet_kl(present + (1 - present) * alpha)
    return nll, kl


def edl_loss(evidence: torch.Tensor, att: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
             p_cls: torch.Tensor | None, kl_weight: float) -> tuple[torch.Tensor, dict]:
    """Evidential loss: video level (attention-pooled evidence vs the label set) and, when pseudo
    classes exist, frame level (per-frame evidence vs the pseudo class)."""
    w = (att * mask).detach()
    pooled = (evidence * w[..., None]).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)
    nll, kl = edl_terms(pooled, _norm_targets(y))
    loss = nll.mean() + kl_weight * kl.mean()
    logs = {"edl_video": float(nll.mean().detach())}
    if p_cls is not None:
        valid = (p_cls >= 0) & (mask > 0)
        if valid.any():
            onehot = F.one_hot(p_cls[valid], evidence.shape[-1]).to(evidence.dtype)
            f_nll, f_kl = edl_terms(evidence[valid], onehot)
            loss = loss + f_nll.mean() + kl_weight * f_kl.mean()
            logs["edl_frame"] = float(f_nll.mean().detach())
    return loss, logs
