"""Text-to-motion metrics (numpy only), following the HumanML3D evaluation (Guo et al. 2022).

Embedding metrics take evaluator embeddings ([N, D], one row per motion or text):
- ``fid``: Frechet distance between Gaussians fitted to two embedding sets.
- ``r_precision``: shuffle the matched (text, motion) pairs, cut into batches of 32; within a
  batch rank the 32 motions by Euclidean distance to each text; top-k accuracy for k = 1, 2, 3
  (1 true motion vs 31 mismatched).  Incomplete last batches are dropped, except that a set
  smaller than 32 forms one smaller batch (then chance is 1/N, not 1/32).
- ``mm_dist``: mean Euclidean distance between matched text and motion embeddings.
- ``diversity``: mean distance between two random index sets of ``n_pairs`` = 300 motions
  (fewer when the set is smaller: n_pairs = N - 1).
- ``multimodality``: per text several generations; mean distance between ``n_pairs`` = 10 random
  pairs of generations of the same text, averaged over texts.
Physical metrics take world joint positions [T, 22, 3] (metres, Y up, ground y = 0, 20 fps):
- ``foot_skate_ratio``: as GMD (Karunratanakul et al. 2023) and OmniControl: the fraction of
  frame transitions in which a foot (toe joints, SMPL 10/11) is in contact, i.e. below 5 cm in
  both frames, and slides horizontally more than 2.5 cm in one frame (at 20 fps: 0.5 m/s).
- ``jitter``: mean jerk magnitude (third finite difference x fps^3, m/s^3) over joints and frames.
- ``ground_penetration``: mean over frames of max(0, -min_j y_j): depth below y = 0 of the lowest joint (m).
"""
from __future__ import annotations

import numpy as np

FOOT_TOES = (10, 11)
CONTACT_HEIGHT, SKATE_STEP = 0.05, 0.025


def _as2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected [N, D] embeddings, got shape {x.shape}")
    return x


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """|mu1-mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^1/2); the trace term via the symmetric C1^1/2 C2 C1^1/2."""
    s1 = _sqrtm_psd(cov1)
    mid = s1 @ cov2 @ s1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((mid + mid.T) / 2), 0, None)).sum()
    return float(max(0.0, ((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt))


def fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two embedding sets [N, D] and [M, D] (each needs >= 2 rows)."""
    a, b = _as2d(a), _as2d(b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("FID needs at least 2 embeddings per set")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise distances [N, M]."""
    d2 = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T
    return np.sqrt(np.clip(d2, 0, None))


def r_precision(text_emb: np.ndarray, motion_emb: np.ndarray, batch_size: int = 32, top_k: int = 3,
                seed: int = 0) -> np.ndarray:
    """Top-1..top_k retrieval accuracy of the matching motion among `batch_size` ([top_k] array)."""
    t, m = _as2d(text_emb), _as2d(motion_emb)
    if len(t) != len(m) or len(t) == 0:
        raise ValueError("text and motion embeddings must be non-empty and paired")
    order = np.random.default_rng(seed).permutation(len(t))
    bs = min(batch_size, len(t))
    hits, count = np.zeros(top_k), 0
    for k in range(0, len(order) - bs + 1, bs):
        idx = order[k:k + bs]
        d = euclidean(t[idx], m[idx])
        rank = (d < np.diag(d)[:, None]).sum(1)  # motions strictly closer than the true one
        hits += [(rank < j + 1).sum() for j in range(top_k)]
        count += bs
    return hits / max(count, 1)


def mm_dist(text_emb: np.ndarray, motion_emb: np.ndarray) -> float:
    t, m = _as2d(text_emb), _as2d(motion_emb)
    return float(np.linalg.norm(t - m, axis=1).mean())


def diversity(emb: np.ndarray, n_pairs: int = 300, seed: int = 0) -> float:
    """Mean distance between two random sets of n_pairs motions (n_pairs capped at N - 1)."""
    e = _as2d(emb)
    if len(e) < 2:
        raise ValueError("diversity needs at least 2 motions")
    n = min(n_pairs, len(e) - 1)
    rng = np.random.default_rng(seed)
    i, j = rng.choice(len(e), n, replace=False), rng.choice(len(e), n, replace=False)
    return float(np.linalg.norm(e[i] - e[j], axis=1).mean())


def multimodality(groups: list[np.ndarray], n_pairs: int = 10, seed: int = 0) -> float | None:
    """Mean distance between generations of the same text ([G_i, D] per text); None if no text has 2."""
    rng = np.random.default_rng(seed)
    vals = []
    for g in groups:
        g = _as2d(g)
        if len(g) < 2:
            continue
        n = min(n_pairs, len(g))
        i, j = rng.integers(len(g), size=(2, n))
        j = np.where(i == j, (j + 1) % len(g), j)
        vals.append(np.linalg.norm(g[i] - g[j], axis=1).mean())
    return float(np.mean(vals)) if vals else None


def foot_skate_ratio(joints: np.ndarray, fps: float = 20.0, feet: tuple[int, ...] = FOOT_TOES,
                     height: float = CONTACT_HEIGHT, step: float = SKATE_STEP) -> float:
    """Fraction of frame transitions where some foot in contact slides > `step` m (scaled to 20 fps)."""
    j = np.asarray(joints, dtype=np.float64)[:, list(feet)]
    if len(j) < 2:
        return 0.0
    contact = (j[:-1, :, 1] < height) & (j[1:, :, 1] < height)
    slide = np.linalg.norm(j[1:, :, [0, 2]] - j[:-1, :, [0, 2]], axis=-1) * (fps / 20.0)
    return float((contact & (slide > step)).any(axis=1).mean())


def jitter(joints: np.ndarray, fps: float = 20.0) -> float:
    """Mean jerk magnitude |d^3 p / dt^3| over joints and frames (m/s^3)."""
    j = np.asarray(joints, dtype=np.float64)
    if len(j) < 4:
        return 0.0
    return float(np.linalg.norm(np.diff(j, n=3, axis=0), axis=-1).mean() * fps ** 3)


def ground_penetration(joints: np.ndarray) -> float:
    """Mean depth (m) below y = 0 of the lowest joint (0 for frames above ground)."""
    low = np.asarray(joints, dtype=np.float64)[..., 1].min(axis=-1)
    return float(np.clip(-low, 0, None).mean())


def physical_metrics(joint_sets: list[np.ndarray], fps: float = 20.0) -> dict[str, float]:
    """Averages of the physical metrics over motions (each [T, 22, 3])."""
    if not joint_sets:
        raise ValueError("no motions")
    return {"foot_skate": float(np.mean([foot_skate_ratio(j, fps) for j in joint_sets])),
            "jitter": float(np.mean([jitter(j, fps) for j in joint_sets])),
            "penetration": float(np.mean([ground_penetration(j) for j in joint_sets]))}


def normalized_mutual_info(a: np.ndarray, b: np.ndarray) -> float:
    """NMI (arithmetic-mean normalisation) of two integer labelings of the same frames; 0 when
    either labeling is constant (no information), 1 when they agree up to renaming."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    joint = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(joint, (ai, bi), 1.0)
    p = joint / joint.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / (pa[:, None] * pb[None, :])[nz])).sum())
    ha = float(-(pa[pa > 0] * np.log(pa[pa > 0])).sum())
    hb = float(-(pb[pb > 0] * np.log(pb[pb > 0])).sum())
    return 0.0 if ha <= 0 or hb <= 0 else max(0.0, mi / (0.5 * (ha + hb)))
