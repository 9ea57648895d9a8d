"""Which atoms a text asks for: a softmax classifier on the pooled MiniLM sentence vector.

Trained (``scripts/train_text_atoms.py``) on the training split's texts only: the corpus's own phrasings plus
the cache's synonym and context variants, each text's target the atoms of its motion (uniform over the distinct
atoms of a composition; motions without atom labels are left out).  It is what the recogniser ranker
(:mod:`.recognizer_ranker`) compares a draw's recognised actions with; the prompt suite's wording and its
keyword rules (:mod:`app.engine.recognition.prompt_atoms`) play no part in it.

File: ``models/atom/text_atoms.npz`` (``weight`` [384, A], ``bias`` [A], ``labels`` [A]).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FILE_NAME = "text_atoms.npz"


class TextAtomClassifier:
    """p(atom | text) from pooled sentence vectors [N, 384]."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, labels: list[str]) -> None:
        if weight.shape != (weight.shape[0], len(labels)) or bias.shape != (len(labels),):
            raise ValueError(f"weight {weight.shape} / bias {bias.shape} do not fit {len(labels)} labels")
        self.weight, self.bias, self.labels = weight.astype(np.float32), bias.astype(np.float32), list(labels)

    def probs(self, pooled: np.ndarray) -> np.ndarray:
        """Softmax over the atoms [N, A] of pooled text vectors [N, D]."""
        z = np.asarray(pooled, np.float32) @ self.weight + self.bias
        z = np.exp(z - z.max(-1, keepdims=True))
        return z / z.sum(-1, keepdims=True)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        np.savez(path, weight=self.weight, bias=self.bias, labels=np.array(self.labels))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TextAtomClassifier":
        with np.load(path, allow_pickle=False) as d:
            return cls(d["weight"], d["bias"], [str(x) for x in d["labels"]])


def fit(emb: np.ndarray, targets: np.ndarray, labels: list[str], epochs: int = 60, lr: float = 0.05,
        weight_decay: float = 1e-4, seed: int = 0) -> TextAtomClassifier:
    """Softmax regression on (text vector, target distribution) pairs (full-batch Adam, cross-entropy)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(emb, dtype=torch.float32)
    y = torch.as_tensor(targets, dtype=torch.float32)
    w = torch.nn.Parameter(torch.randn(x.shape[1], y.shape[1], generator=g) * 0.01)
    b = torch.nn.Parameter(torch.zeros(y.shape[1]))
    opt = torch.optim.Adam([w, b], lr=lr, weight_decay=weight_decay)
    for epoch in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(4096):
            loss = -(y[idx] * torch.log_softmax(x[idx] @ w * 10.0 + b, -1)).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 10 == 0 or epoch == epochs - 1:
            log.info("text atoms: epoch %d loss %.4f", epoch, float(loss.detach()))
    return TextAtomClassifier((w.detach() * 10.0).numpy(), b.detach().numpy(), labels)
