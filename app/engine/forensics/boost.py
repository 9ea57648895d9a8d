"""A small gradient-boosted model of decision stumps for the calibrated combination.

Logistic loss, Newton steps, class-balanced sample weights, shrinkage. Each stump splits one
cue at a threshold and sends an unmeasured cue (NaN) to its own learned value, so missing
cues need no imputation. Plain numpy and json-serialisable (``to_dict`` / ``from_dict``),
deterministic (no sampling). Used by :mod:`calib_fit` when the inner cross-validation prefers
it over the logistic regression; the shipped model states which one it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Stumps:
    """Additive model: logit = base + sum of stumps (feature, threshold, left, right, missing)."""

    base: float = 0.0
    feature: list[int] = field(default_factory=list)
    threshold: list[float] = field(default_factory=list)
    left: list[float] = field(default_factory=list)      # value <= threshold
    right: list[float] = field(default_factory=list)
    missing: list[float] = field(default_factory=list)

    def logit(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, float))
        z = np.full(len(x), self.base)
        for f, t, lv, rv, mv in zip(self.feature, self.threshold, self.left, self.right, self.missing):
            v = x[:, f]
            z += np.where(np.isnan(v), mv, np.where(v <= t, lv, rv))
        return z

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))

    def importance(self, d: int) -> np.ndarray:
        """Number of stumps per feature."""
        return np.bincount(np.asarray(self.feature, int), minlength=d).astype(float)

    def to_dict(self) -> dict:
        return {"base": self.base, "feature": [int(f) for f in self.feature],
                "threshold": [float(t) for t in self.threshold], "left": [float(v) for v in self.left],
                "right": [float(v) for v in self.right], "missing": [float(v) for v in self.missing]}

    @classmethod
    def from_dict(cls, d: dict) -> "Stumps":
        return cls(float(d["base"]), [int(f) for f in d["feature"]], [float(t) for t in d["threshold"]],
                   [float(v) for v in d["left"]], [float(v) for v in d["right"]], [float(v) for v in d["missing"]])


def fit_stumps(x: np.ndarray, y: np.ndarray, rounds: int = 60, rate: float = 0.1, min_leaf: int = 4,
               lam: float = 1.0) -> Stumps:
    """Boost `rounds` stumps on x [n, d] (NaN = unmeasured) and labels y in {0, 1}."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n, d = x.shape
    pos, neg = max(y.sum(), 1.0), max(n - y.sum(), 1.0)
    w = np.where(y > 0.5, 0.5 * n / pos, 0.5 * n / neg)
    m = Stumps(base=0.0)
    nan = np.isnan(x)
    order = np.argsort(np.where(nan, np.inf, x), axis=0, kind="stable")
    xs = np.take_along_axis(np.where(nan, np.inf, x), order, axis=0)
    n_ok = (~nan).sum(axis=0)
    z = np.zeros(n)
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-z))
        g, h = w * (p - y), w * np.maximum(p * (1 - p), 1e-6)
        gs, hs = g[order], h[order]
        gm = np.where(nan, g[:, None], 0.0).sum(axis=0)
        hm = np.where(nan, h[:, None], 0.0).sum(axis=0)
        gl, hl = np.cumsum(gs, axis=0), np.cumsum(hs, axis=0)
        gt, ht = gl[n_ok - 1, np.arange(d)] if n else 0, hl[n_ok - 1, np.arange(d)] if n else 0
        gr, hr = gt[None] - gl, ht[None] - hl
        k = np.arange(1, n + 1)[:, None]
        valid = (k >= min_leaf) & (n_ok[None] - k >= min_leaf)
        nxt = np.vstack([xs[1:], np.full((1, d), np.inf)])
        valid &= np.isfinite(nxt) & (nxt > xs)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = gl ** 2 / (hl + lam) + gr ** 2 / (hr + lam) - (gt ** 2 / (ht + lam))[None]
        gain = np.where(valid & np.isfinite(gain), gain, -np.inf)
        i, f = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if not np.isfinite(gain[i, f]) or gain[i, f] <= 1e-9:
            break
        lv = -gl[i, f] / (hl[i, f] + lam) * rate
        rv = -gr[i, f] / (hr[i, f] + lam) * rate
        mv = -gm[f] / (hm[f] + lam) * rate if hm[f] > 0 else 0.0
        t = 0.5 * (xs[i, f] + nxt[i, f])
        m.feature.append(int(f))
        m.threshold.append(float(t))
        m.left.append(float(lv))
        m.right.append(float(rv))
        m.missing.append(float(mv))
        v = x[:, f]
        z += np.where(np.isnan(v), mv, np.where(v <= t, lv, rv))
    return m


__all__ = ["Stumps", "fit_stumps"]
