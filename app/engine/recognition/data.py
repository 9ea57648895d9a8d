"""Data for the recogniser: cached stream features of the corpus and the real mocap windows.

Weak supervision only: training sees each video's *set* of atoms (``Video.atoms``); the
frame labels (``Video.frames``) are kept for evaluation.  Splits: the corpus's own
train / val / test (test holds out atom transitions, parameter ranges and phrasings);
videos that contain an atom of ``cfg.unknown_atoms`` are dropped from training and kept in
val / test for the open-set protocol.  Real windows are a test set only (never trained on);
:data:`REAL_TO_ATOM` maps their source labels to atoms.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .features import FEATURE_VERSION, FPS, clip_features, frame_atoms

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CACHE_DIR = ROOT / ".cache" / "recognition"

# real mocap source label -> atom (only clear one-action descriptions; dances are reported apart)
REAL_TO_ATOM = {
    "walk": "walk", "brisk walk": "walk", "slow walk": "walk", "slow walk/stride": "walk", "walk/stride": "walk",
    "walk, exaggerated stride": "walk", "walk on uneven terrain": "walk", "jump": "jump", "jump, balance": "jump",
    "forward jump": "jump_forward", "playground - forward jumps, turn around": "jump_forward",
    "punch/strike": "punch", "punch": "punch", "kick": "kick", "jog": "jog", "run": "run",
    "stealthy_walk": "sneak", "spin": "spin",
}
REAL_DANCE = {"salsa": "dance", "indian": "dance", "dance_a": "dance", "dance_b": "dance"}
# real windows of several actions -> their atom set (weak training labels only, never scored: no single truth).
# Read off the description alone: "jump up to grab" = jump with the arms overhead, "reach for" = reaching up,
# "tiptoe" = rising onto the toes.
REAL_MULTI = {"jump up to grab, reach for, tiptoe": ("jump", "raise_arms", "calf_raise")}


@dataclass
class Video:
    """One motion's stream inputs, frame atoms (names index ``atom_names``) and provenance."""

    id: str
    pose: np.ndarray
    motion: np.ndarray
    frames: np.ndarray            # [T] int16 atom index, -1 = none
    split: str
    source: str
    label: str = ""               # real windows: the source description label
    meta: dict = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.pose)

    def atoms(self, names: list[str]) -> set[str]:
        return {names[i] for i in np.unique(self.frames) if i >= 0}


def all_atom_names() -> list[str]:
    from app.engine.corpus.registry import ATOMS
    return list(ATOMS)


def _cache_path(name: str, root_motion: bool, source: Path | None = None) -> Path:
    """Feature cache file; ``source``: the file the features come from, whose content digest is
    part of the name (a rebuilt source never reads stale features)."""
    stamp = f"_{hashlib.sha1(source.read_bytes()).hexdigest()[:8]}" if source is not None else ""
    return CACHE_DIR / f"data_{name}_v{FEATURE_VERSION}{'' if root_motion else '_noroot'}{stamp}.npz"


def _save(path: Path, videos: list[Video]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    offsets = np.concatenate([[0], np.cumsum([v.length for v in videos])]).astype(np.int64)
    meta = [{"id": v.id, "split": v.split, "source": v.source, "label": v.label, "meta": v.meta} for v in videos]
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, pose=np.concatenate([v.pose for v in videos]), motion=np.concatenate([v.motion for v in videos]),
             frames=np.concatenate([v.frames for v in videos]), offsets=offsets, meta=np.array(json.dumps(meta)))
    tmp.replace(path)


def _load(path: Path) -> list[Video]:
    with np.load(path, allow_pickle=False) as d:
        pose, motion, frames, off = d["pose"], d["motion"], d["frames"], d["offsets"]
        meta = json.loads(str(d["meta"]))
    return [Video(m["id"], pose[a:b], motion[a:b], frames[a:b], m["split"], m["source"], m["label"], m["meta"])
            for m, a, b in zip(meta, off[:-1], off[1:])]


def corpus_videos(split: str, root_motion: bool = True, corpus_dir: str | Path | None = None) -> list[Video]:
    """Procedural videos of one corpus split (features cached under .cache/recognition)."""
    from app.engine.corpus.dataset import DEFAULT_DIR, load_corpus

    path = _cache_path(split, root_motion)
    if path.is_file() and corpus_dir is None:
        return _load(path)
    index = {n: i for i, n in enumerate(all_atom_names())}
    videos = []
    items = [it for it in load_corpus(corpus_dir or DEFAULT_DIR, split, include_real=False)]
    log.info("computing features of %d %s videos", len(items), split)
    for it in items:
        pose, motion = clip_features(it.clip, root_motion)
        videos.append(Video(it.id, pose, motion, frame_atoms(it.clip, index), split, "procedural",
                            meta={"novelty": it.meta.get("novelty", "none")}))
    if corpus_dir is None:
        _save(path, videos)
    return videos


def real_videos(root_motion: bool = True, seed: int = 0, mirror: bool = False) -> list[Video]:
    """All real mocap windows with their source labels and corpus split (by group).

    ``mirror``: each window is followed by its left/right mirror twin (id + ``~m``, meta ``mirror``;
    :func:`app.engine.corpus.mirror.mirror_clip`): the same action by the same performer with the
    other side, for training only (:func:`weak_real` never holds a twin out)."""
    from app.engine.corpus import splits as S
    from app.engine.corpus.mirror import mirror_clip
    from app.engine.corpus.real_mocap import DEFAULT_PATH, load_real_corpus

    if not DEFAULT_PATH.is_file():
        log.warning("no real mocap at %s", DEFAULT_PATH)
        return []
    path = _cache_path("real_mirror" if mirror else "real", root_motion, DEFAULT_PATH)
    if path.is_file():
        return _load(path)
    videos = []
    for w in load_real_corpus(DEFAULT_PATH):
        group = w.meta.get("group", w.clip.name)
        meta = {"group": group, "source": w.meta.get("source", "")}
        for clip in ([w.clip, mirror_clip(w.clip)] if mirror else [w.clip]):
            pose, motion = clip_features(clip, root_motion)
            twin = clip is not w.clip
            videos.append(Video(w.clip.name + ("~m" if twin else ""), pose, motion, np.full(len(pose), -1, np.int16),
                                S.group_split(group, seed), "real", w.meta.get("label", ""),
                                {**meta, "mirror": True} if twin else meta))
    _save(path, videos)
    return videos


def real_atom(label: str, with_dance: bool = False) -> str | None:
    """The atom a real window's label maps to (None: not in the vocabulary or ambiguous)."""
    return REAL_TO_ATOM.get(label) or (REAL_DANCE.get(label) if with_dance else None)


def real_subject(video: Video) -> str:
    """The performer a real window comes from: CMU subject (``cmu:07``) or ``deepmimic``."""
    group = video.meta.get("group", video.id)
    return "deepmimic" if group.startswith("deepmimic") else group.split("_")[0]


def real_folds(videos: list[Video], k: int) -> dict[str, int]:
    """Subject -> fold (0..k-1) for the real windows mapped to atoms: subjects sorted by window
    count (then name) go to the fold with the fewest windows, so no performer is in two folds."""
    counts: dict[str, int] = {}
    for v in videos:
        if real_atom(v.label):
            counts[real_subject(v)] = counts.get(real_subject(v), 0) + 1
    sizes, out = [0] * k, {}
    for subj in sorted(counts, key=lambda s: (-counts[s], s)):
        f = int(np.argmin(sizes))
        out[subj] = f
        sizes[f] += counts[subj]
    return out


def weak_real(videos: list[Video], fold: int = -1, k: int = 4,
              multi: bool = False) -> tuple[list[Video], list[Video]]:
    """(train, held-out) real windows mapped to atoms, as weakly labelled videos: every frame
    carries the window's one atom (a video-level label; MIL never reads frame positions).
    ``fold`` < 0: all of them train, none held out; else the subjects of ``fold`` are held out.
    ``multi``: windows of several actions (:data:`REAL_MULTI`) train with their atom set (frames
    cut into equal runs, one per atom); they are never held out for scoring, and a held-out
    performer's are left out of training."""
    names = {n: i for i, n in enumerate(all_atom_names())}
    folds = real_folds(videos, k)
    train, held = [], []
    for v in videos:
        subject_fold = folds.get(real_subject(v), -1)
        atoms = REAL_MULTI.get(v.label) if multi else None
        if atoms:
            if fold < 0 or subject_fold != fold:
                runs = np.array_split(np.arange(v.length), len(atoms))
                frames = np.empty(v.length, np.int16)
                for run, atom in zip(runs, atoms):
                    frames[run] = names[atom]
                train.append(Video(v.id, v.pose, v.motion, frames, v.split, "real", v.label,
                                   {**v.meta, "fold": subject_fold, "multi": True}))
            continue
        atom = real_atom(v.label)
        if not atom:
            continue
        w = Video(v.id, v.pose, v.motion, np.full(v.length, names[atom], np.int16), v.split, "real", v.label,
                  {**v.meta, "fold": subject_fold})
        if fold >= 0 and subject_fold == fold:
            if not v.meta.get("mirror"):      # a held-out window is scored once, as it was recorded
                held.append(w)
        else:
            train.append(w)
    return train, held


class WeakDataset:
    """Training videos with video-level multi-hot targets over the known labels, padded batches."""

    def __init__(self, videos: list[Video], labels: list[str], unknown: list[str], subset: int = 0,
                 real: list[Video] | None = None, real_weight: float = 1.0) -> None:
        names = all_atom_names()
        self.labels = labels
        col = {n: i for i, n in enumerate(labels)}
        keep = [v for v in videos if not v.atoms(names) & set(unknown) and v.atoms(names)]
        self.videos = keep[:subset] if subset else keep
        extra = [v for v in real or [] if not v.atoms(names) & set(unknown) and v.atoms(names)]
        self.videos = self.videos + extra
        # sampling weight per video: a real window is drawn like ``real_weight`` corpus videos (within
        # a batch's candidate pool, without replacement: 46 real windows at weight 40 make ~22 % of batches)
        self.weights = np.array([real_weight if v.source == "real" else 1.0 for v in self.videos])
        self.weights /= self.weights.sum()
        self.targets = np.zeros((len(self.videos), len(labels)), np.float32)
        for i, v in enumerate(self.videos):
            for a in v.atoms(names):
                self.targets[i, col[a]] = 1.0
        self.pseudo_att: list[np.ndarray] | None = None
        self.pseudo_cls: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.videos)

    def fit_stats(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per-dimension mean and per-group std (pooled over a feature group, e.g. all joint
        accelerations, floored) of each stream: a dimension that barely varies in the corpus is
        not blown up, so mocap noise in it stays small."""
        from .features import MOTION_GROUPS, POSE_GROUPS

        out = {}
        for name, groups in (("pose", POSE_GROUPS), ("motion", MOTION_GROUPS)):
            x = np.concatenate([getattr(v, name) for v in self.videos]).astype(np.float64)
            var = x.var(0)
            std = np.empty_like(var)
            for g in groups:
                std[g] = max(float(np.sqrt(var[g].mean())), 1e-2)
            out[name] = (x.mean(0).astype(np.float32), std.astype(np.float32))
        return out

    def sample(self, rng: np.random.Generator, size: int, pool: int = 4) -> np.ndarray:
        """Indices of a training batch of similar lengths (less padding): ``pool`` x ``size``
        random candidates sorted by length and cut into ``pool`` runs; one run, chosen at random
        (every video stays equally likely)."""
        size = min(size, len(self.videos))
        n = min(len(self.videos) // size, pool) * size
        cand = rng.choice(len(self.videos), size=n, replace=False, p=self.weights)
        cand = cand[np.argsort([self.videos[i].length for i in cand], kind="stable")]
        start = size * int(rng.integers(0, n // size))
        return cand[start:start + size]

    def batch(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Padded arrays for the videos ``idx``: pose, motion [B, T, D], mask [B, T], y [B, K], pseudo labels."""
        vids = [self.videos[i] for i in idx]
        t = max(v.length for v in vids)
        out = {"pose": np.zeros((len(vids), t, vids[0].pose.shape[1]), np.float32),
               "motion": np.zeros((len(vids), t, vids[0].motion.shape[1]), np.float32),
               "mask": np.zeros((len(vids), t), np.float32), "y": self.targets[idx],
               "p_att": np.full((len(vids), t), -1.0, np.float32), "p_cls": np.full((len(vids), t), -1, np.int64)}
        for b, (i, v) in enumerate(zip(idx, vids)):
            out["pose"][b, : v.length] = v.pose
            out["motion"][b, : v.length] = v.motion
            out["mask"][b, : v.length] = 1.0
            if self.pseudo_att is not None:
                out["p_att"][b, : v.length] = self.pseudo_att[i]
                out["p_cls"][b, : v.length] = self.pseudo_cls[i]
        return out


def pad_videos(videos: list[Video]) -> dict[str, np.ndarray]:
    """Inference batch of ``videos``: pose, motion, mask."""
    t = max(v.length for v in videos)
    pose = np.zeros((len(videos), t, videos[0].pose.shape[1]), np.float32)
    motion = np.zeros((len(videos), t, videos[0].motion.shape[1]), np.float32)
    mask = np.zeros((len(videos), t), np.float32)
    for b, v in enumerate(videos):
        pose[b, : v.length], motion[b, : v.length], mask[b, : v.length] = v.pose, v.motion, 1.0
    return {"pose": pose, "motion": motion, "mask": mask}


__all__ = ["Video", "WeakDataset", "corpus_videos", "real_videos", "real_atom", "real_folds", "weak_real", "pad_videos", "FPS", "CACHE_DIR"]
