"""Text consistency: a rephrased text of a motion should condition the decoder as the corpus's own wording does.

Found on val (session 41): of the items M fails in the held-out *context* form ("a man claps eight times in the
office", "the smiling person turns around to the left in a hallway"), most pass with the corpus's own wording: the
added words about the person or the scene pull the text condition away from the action's.  Training already decodes
the same motion from every text of an item; this term adds a direct pull on the condition itself.  For a batch text
that is a variant (a form, synonym or context rewrite: the cache's texts after ``original_texts``), its *pair* is the
item's own text closest to it by the pooled MiniLM vector (its likely source, so counts and speeds agree), and

    w_text_cons * ( |b(variant) - sg b(pair)|^2 / |sg b(pair)|^2  +  |mu(variant) - sg mu(pair)|^2 / |sg mu(pair)|^2 )

with b the decoder's per-frame text bias (:meth:`ATOM.frame_bias`) and mu the learned prior's mean; the own text is
the fixed anchor (stop-gradient).  Items whose batch text is already their own add nothing.
"""
from __future__ import annotations

import numpy as np
import torch

from .text_cond import pad_tokens

PAIR_KEYS = ("text2", "slots2", "tokens2", "token_mask2", "pair_w")


def pair_index(emb: np.ndarray, own: int, j: int) -> int:
    """The own text (index < ``own``) closest to text ``j`` by cosine of pooled vectors ``emb`` [n, D]; ``j`` itself
    when it is an own text or the item has none."""
    if j < own or own <= 0:
        return j
    e = emb[:own] / np.maximum(np.linalg.norm(emb[:own], axis=1, keepdims=True), 1e-8)
    return int(np.argmax(e @ (emb[j] / max(float(np.linalg.norm(emb[j])), 1e-8))))


def add_pairs(batch: dict[str, np.ndarray], dataset, text_index: list[int]) -> dict[str, np.ndarray]:
    """``batch`` (from :meth:`T2MDataset.batch`, which drew text ``text_index[k]`` of item ``batch['index'][k]``)
    plus each text's pair: text2 [B, D], slots2 [B, 4], tokens2 / token_mask2 (when the cache holds tokens) and
    pair_w [B] (1 where the drawn text is a variant)."""
    idx = batch["index"]
    pairs = [pair_index(np.asarray(dataset.text_emb[i], np.float32), int(dataset.original_texts[i]), j)
             for i, j in zip(idx, text_index)]
    out = dict(batch)
    out["text2"] = np.stack([dataset.text_emb[i][p] for i, p in zip(idx, pairs)]).astype(np.float32)
    out["slots2"] = np.stack([dataset.slots[i][p] for i, p in zip(idx, pairs)]).astype(np.int64)
    out["pair_w"] = np.array([float(p != j) for p, j in zip(pairs, text_index)], np.float32)
    if dataset.tokens is not None:
        out["tokens2"], out["token_mask2"] = pad_tokens([dataset.tokens[i][p] for i, p in zip(idx, pairs)])
    return out


def _rel_sq(a: torch.Tensor, ref: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Weighted mean over the batch of |a - ref|^2 / |ref|^2 (per item, all other dims summed)."""
    dims = tuple(range(1, a.dim()))
    err = (a - ref).pow(2).sum(dims) / ref.pow(2).sum(dims).clamp(min=1e-6)
    return (err * w).sum() / w.sum().clamp(min=1.0)


def text_consistency_loss(model, cond: dict[str, torch.Tensor], batch: dict[str, torch.Tensor],
                          bias: torch.Tensor | None, t: int) -> torch.Tensor:
    """The term above for one batch (``bias``: the batch texts' frame bias when already computed)."""
    w = batch.get("pair_w")
    if w is None or float(w.sum()) == 0.0:
        return cond["text"].new_zeros(())
    pair = {"text": batch["text2"], "slots": batch["slots2"]}
    if "tokens2" in batch:
        pair["tokens"], pair["token_mask"] = batch["tokens2"], batch["token_mask2"]
    else:
        pair["tokens"] = batch["text2"][:, None]
        pair["token_mask"] = torch.ones_like(batch["text2"][:, :1], dtype=torch.bool)
    with torch.no_grad():
        b2 = model.frame_bias(pair, t)
        mu2 = model.prior_params(pair)[0]
    b1 = model.frame_bias(cond, t) if bias is None else bias
    loss = _rel_sq(b1, b2.expand_as(b1), w)
    if model.cfg.learned_prior:
        loss = loss + _rel_sq(model.prior_params(cond)[0], mu2, w)
    return loss
