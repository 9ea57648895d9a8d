"""The RGB route's rendered clip sets: shards on disk, loading, splits and scene pseudo-labels.

``scripts/build_soar_data.py`` writes ``.cache/soar/data/{train,test}_NNNNN.npz`` shards (RGB
uint8 [N, T, S, S, 3], person masks packed as bits, the recipes as one JSON string) and a
``manifest.json`` with the recipe.  :func:`load_split` reads a split back as a
:class:`ClipSet`.  :func:`scene_pseudo_labels` clusters the clips' median frames with k-means:
SOAR's scene classifier trains on these pseudo-labels, never on the true scene ids (which only
evaluation reads).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA = ROOT / ".cache" / "soar" / "data"
VAL_SEED = 12345


@dataclass
class ClipSet:
    """Clips of one split: RGB uint8 [N, T, S, S, 3] and per-clip atom, family, scene, aligned."""

    rgb: np.ndarray
    atoms: list[str]
    families: list[str]
    scenes: np.ndarray
    aligned: np.ndarray
    specs: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.atoms)

    def take(self, idx) -> "ClipSet":
        idx = np.asarray(idx, int)
        return ClipSet(self.rgb[idx], [self.atoms[i] for i in idx], [self.families[i] for i in idx],
                       self.scenes[idx], self.aligned[idx], [self.specs[i] for i in idx] if self.specs else [])


def shard_path(out: Path, split: str, index: int) -> Path:
    return Path(out) / f"{split}_{index:05d}.npz"


def write_shard(path: Path, clips: list[dict], specs: list[dict]) -> None:
    """One shard: stacked RGB, packed masks and the recipes (written atomically)."""
    tmp = path.with_suffix(".tmp.npz")
    masks = np.stack([c["mask"] for c in clips])
    np.savez_compressed(tmp, rgb=np.stack([c["rgb"] for c in clips]), mask_bits=np.packbits(masks, axis=-1),
                        mask_shape=np.asarray(masks.shape), specs=json.dumps(specs))
    tmp.replace(path)


def read_shard(path: Path) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """(rgb, masks, specs) of one shard."""
    with np.load(path, allow_pickle=False) as d:
        shape = tuple(int(v) for v in d["mask_shape"])
        masks = np.unpackbits(d["mask_bits"], axis=-1)[..., :shape[-1]].astype(bool)
        return d["rgb"], masks, json.loads(str(d["specs"]))


def load_split(data_dir: str | Path, split: str) -> ClipSet:
    """All shards of a split, in shard order; raises FileNotFoundError when there are none."""
    paths = sorted(Path(data_dir).glob(f"{split}_[0-9]*.npz"))
    paths = [p for p in paths if not p.name.endswith(".tmp.npz")]
    if not paths:
        raise FileNotFoundError(f"no {split} shards in {data_dir} (build them: scripts/build_soar_data.py)")
    rgbs, specs = [], []
    for p in paths:
        rgb, _, sp = read_shard(p)
        rgbs.append(rgb)
        specs += sp
    return ClipSet(np.concatenate(rgbs), [s["atom"] for s in specs], [s["family"] for s in specs],
                   np.asarray([s["scene"] for s in specs], int), np.asarray([s["aligned"] for s in specs], bool),
                   specs)


def fit_frames(rgb: np.ndarray, frames: int) -> np.ndarray:
    """Clips [N, T, ...] cut to ``frames`` frames by taking every (T // frames)-th frame."""
    t = rgb.shape[1]
    return rgb if t == frames else rgb[:, ::max(1, t // frames)][:, :frames]


def train_val_split(n: int, val_share: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices: a fixed permutation (the same for every run and seed)."""
    perm = np.random.default_rng(VAL_SEED).permutation(n)
    k = int(round(n * val_share))
    return np.sort(perm[k:]), np.sort(perm[:k])


def median_frames(rgb: np.ndarray, size: int = 8) -> np.ndarray:
    """Per clip, the temporal median frame area-resized to size x size, flattened, in [0, 1]."""
    med = np.median(rgb, axis=1)                                            # [N, S, S, 3]
    n, s = med.shape[0], med.shape[1]
    f = s // size
    small = med[:, :f * size, :f * size].reshape(n, size, f, size, f, 3).mean((2, 4))
    return (small / 255.0).reshape(n, -1).astype(np.float32)


def kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 50, restarts: int = 4) -> np.ndarray:
    """Cluster ids [N] of rows of ``x`` (k-means++ seeding, best of ``restarts`` by inertia)."""
    best, best_cost = None, np.inf
    for r in range(restarts):
        rng = np.random.default_rng([seed, r])
        centres = [x[int(rng.integers(len(x)))]]
        for _ in range(1, k):
            d = np.min(((x[:, None] - np.asarray(centres)[None]) ** 2).sum(-1), 1)
            centres.append(x[int(rng.choice(len(x), p=d / d.sum()))] if d.sum() > 0 else x[int(rng.integers(len(x)))])
        c = np.asarray(centres)
        for _ in range(iters):
            assign = ((x[:, None] - c[None]) ** 2).sum(-1).argmin(1)
            new = np.stack([x[assign == j].mean(0) if (assign == j).any() else c[j] for j in range(k)])
            if np.allclose(new, c):
                break
            c = new
        cost = ((x - c[assign]) ** 2).sum()
        if cost < best_cost:
            best, best_cost = assign, cost
    return best


def scene_pseudo_labels(rgb: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Scene pseudo-labels [N]: k-means of the clips' median frames (no true scene ids used)."""
    return kmeans(median_frames(rgb), k, seed)


def balance_weights(pseudo: np.ndarray, labels: np.ndarray, cap: float = 50.0) -> np.ndarray:
    """Per-clip importance weights ``p(c) p(y) / p(c, y)`` from the counts of (scene pseudo-label c, action y),
    capped at ``cap`` and scaled to mean 1: under them the scene pseudo-label is independent of the action."""
    pseudo, labels = np.asarray(pseudo), np.asarray(labels)
    n = len(pseudo)
    joint = np.zeros((int(pseudo.max()) + 1, int(labels.max()) + 1))
    np.add.at(joint, (pseudo, labels), 1.0)
    pc, py = joint.sum(1) / n, joint.sum(0) / n
    w = pc[pseudo] * py[labels] / (joint[pseudo, labels] / n)
    w = np.minimum(w, cap * w.mean())
    return (w / w.mean()).astype(np.float32)


def purity(pseudo: np.ndarray, truth: np.ndarray) -> float:
    """Share of clips whose pseudo-label's majority true scene is their own (evaluation only)."""
    hits = sum(np.bincount(truth[pseudo == c]).max() for c in np.unique(pseudo))
    return float(hits) / max(len(pseudo), 1)
