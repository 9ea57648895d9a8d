"""The training corpus: procedural atom sequences + real mocap windows, texts, labels, splits.

Build (``scripts/build_corpus.py``) writes ``data/corpus/corpus.npz`` and ``splits.json``.
Procedural sample ``i`` is generated from ``default_rng([seed, i])`` alone, so a rebuild with
the same seed is bit-identical and any sample can be regenerated on its own.  Each sample has
3 texts (independent re-descriptions), frame-exact segments (atom names) and meta (atoms with
parameters and what is novel about a test sample; see :mod:`.splits`).

Storage (no pickles): rotations (local axis-angle) and root translation quantised to
``ROT_STEP`` rad / ``TRANS_STEP`` m, delta-coded along time per channel and LZMA-compressed,
stored as uint8 arrays inside an npz; item records are one JSON string.  Real windows are not
copied: they are read from ``data/real/real_mocap.npz`` (:mod:`.real_mocap`) at load time and
assigned to splits by group (:func:`.splits.group_split`).  Features are computed on demand
and cached per item in memory.
"""
from __future__ import annotations

import hashlib
import json
import logging
import lzma
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.motion import MotionClip, Segment
from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS, Skeleton

from . import splits as S
from .compose import _join_text, compose
from .describe import phrase, template_ids
from .registry import ATOMS, resolve_params, sample_params

log = logging.getLogger(__name__)

FPS = 20.0
MIN_FRAMES, MAX_FRAMES = 30, 200           # 1.5-10 s at 20 fps
ROT_STEP, TRANS_STEP = 5e-4, 1e-4          # rad, m
FORMAT_NAME, FORMAT_VERSION = "action-studio-corpus", 2
ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DIR = ROOT / "data" / "corpus"
N_TEXTS = 3
SINGLE_FRACTION = 0.3


@dataclass
class CorpusItem:
    """One motion with its texts, split, source ('procedural' or 'real'), segments and meta."""

    id: str
    clip: MotionClip
    texts: list[str]
    split: str
    source: str
    meta: dict = field(default_factory=dict)
    _features: np.ndarray | None = field(default=None, repr=False)

    @property
    def features(self) -> np.ndarray:
        """HumanML3D 263-dim features [T-1, 263] (computed once)."""
        if self._features is None:
            from app.engine.repr.humanml3d import clip_to_features
            self._features = clip_to_features(self.clip)
        return self._features

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.clip.segments]


# ----------------------------------------------------------------------------- sampling
def _choose(rng: np.random.Generator, names: list[str]) -> str:
    return str(names[int(rng.integers(len(names)))])


def _sample_names(rng: np.random.Generator, n: int, allow_heldout_pairs: bool,
                  forced: dict[int, str] | None = None, start: str = "stand") -> list[str]:
    """n atom names forming a legal pose chain (stand/floor) from the ``start`` state, honouring forced positions."""
    forced = forced or {}
    for _ in range(100):
        state, out = start, []
        for k in range(n):
            if k in forced:
                name = forced[k]
                if ATOMS[name].start != state:
                    break
            else:
                cands = [a for a, s in ATOMS.items() if s.start == state
                         and (k + 1 not in forced or s.end == ATOMS[forced[k + 1]].start)
                         and (allow_heldout_pairs or not out or not S.pair_heldout(out[-1], a))]
                if out and rng.random() < 0.12 and ATOMS[out[-1]].start == ATOMS[out[-1]].end == state:
                    cands = [out[-1]]  # a repeat ("jumps twice")
                name = _choose(rng, cands)
            out.append(name)
            state = ATOMS[name].end
        if len(out) == n:
            return out
    raise RuntimeError("could not sample a legal atom sequence")


def _sample_params(name: str, rng: np.random.Generator, heldout: bool | None) -> dict:
    """Parameters; heldout=False avoids test-only ranges, True forces one, None takes any."""
    for _ in range(200):
        p = sample_params(name, rng)
        if heldout is None or S.param_heldout(name, p) == heldout:
            return resolve_params(name, p)
    raise RuntimeError(f"no parameters for {name} with heldout={heldout}")


def _texts(atoms: list[tuple[str, dict]], rng: np.random.Generator, novel: list[bool]) -> list[str]:
    """N_TEXTS descriptions; text k uses held-out templates where possible when novel[k]."""
    out = []
    for k in range(N_TEXTS):
        parts: list = []
        for name, p in atoms:
            held = [i for i in S.heldout_template_ids(name) if i in template_ids(name, p)]
            only = held if (novel[k] and held) else S.train_template_ids(name, p)
            text = phrase(name, p, rng, only=only)
            if parts and parts[-1][1] == name:
                parts[-1][0][1].append(p)
            else:
                parts.append(((text, [p]), name))
        out.append(_join_text(parts, rng))
    return out


def finish_extra_sample(clip: MotionClip, atoms: list[tuple[str, dict]], rng: np.random.Generator, is_test: bool,
                        novelty: str, **extra) -> tuple[list[str], dict]:
    """Texts and meta of a sample made outside the corpus (start / paced samples), as :func:`make_sample` makes
    them: a test sample's first text in held-out phrasing half of the time."""
    novel_phrasing = bool(is_test and rng.random() < 0.5)
    texts = _texts(atoms, rng, [novel_phrasing] + [False] * (N_TEXTS - 1))
    clip.text = texts[0]
    return texts, {"atoms": [[nm, p] for nm, p in atoms], "novelty": novelty, "novel_phrasing": novel_phrasing,
                   **extra}


def iter_extra_samples(make, split_of, prefix: str, split: str, seed: int, n: int):
    """(id, clip, texts, meta) of the extra samples ``make(i, seed)`` whose ``split_of(i, seed)`` is ``split``."""
    for i in range(n):
        if split_of(i, seed) == split:
            clip, texts, _, meta = make(i, seed)
            yield f"{prefix}_{i:04d}", clip, texts, meta


def make_sample(index: int, seed: int) -> tuple[MotionClip, list[str], str, dict]:
    """Procedural sample `index`: (clip, texts, split, meta), deterministic in (index, seed)."""
    split = S.procedural_split(index, seed)
    rng = np.random.default_rng([seed, index])
    is_test = split == "test"
    novelty = str(rng.choice(["pair", "range", "plain"])) if is_test else "none"
    single = rng.random() < SINGLE_FRACTION
    if single and novelty == "pair":
        novelty = "range"
    n = 1 if single else int(rng.choice([2, 3, 4, 5], p=[0.4, 0.33, 0.2, 0.07]))
    for attempt in range(30):
        forced: dict[int, str] = {}
        if novelty == "pair":
            a, b = S.HELDOUT_PAIRS[int(rng.integers(len(S.HELDOUT_PAIRS)))]
            pos = int(rng.integers(0, n - 1))
            forced = {pos: a, pos + 1: b}
        elif novelty == "range":
            forced = {int(rng.integers(n)): _choose(rng, sorted(S.HELDOUT_RANGES))}
        try:
            names = _sample_names(rng, n, allow_heldout_pairs=is_test, forced=forced)
        except RuntimeError:
            continue
        range_pos = next(iter(forced)) if novelty == "range" else -1
        atoms = [(nm, _sample_params(nm, rng, True if k == range_pos else (None if is_test else False)))
                 for k, nm in enumerate(names)]
        clip = compose(atoms, rng, FPS)
        if MIN_FRAMES <= clip.num_frames <= MAX_FRAMES or attempt == 29:
            break
        if clip.num_frames > MAX_FRAMES and n > 2:
            n -= 1  # too long: one atom fewer
        elif clip.num_frames > MAX_FRAMES and attempt > 10:
            n, novelty = 1, "range" if novelty == "pair" else novelty  # keeps failing: a single atom
    novel_phrasing = bool(is_test and rng.random() < 0.5)
    texts = _texts(atoms, rng, [novel_phrasing] + [False] * (N_TEXTS - 1))
    clip.text = texts[0]
    meta = {"atoms": [[nm, p] for nm, p in atoms], "novelty": novelty, "novel_phrasing": novel_phrasing,
            "heldout_pairs": [list(pr) for pr in S.sequence_pairs(names) if S.pair_heldout(*pr)],
            "heldout_ranges": [nm for nm, p in atoms if S.param_heldout(nm, p)]}
    return clip, texts, split, meta


# ----------------------------------------------------------------------------- storage
def _encode(x: np.ndarray, step: float) -> np.ndarray:
    """[F, C] floats -> LZMA bytes of time-delta int32 quantised values (channel-major)."""
    q = np.round(x.reshape(len(x), -1) / step).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros((1, q.shape[1]), np.int64))
    return np.frombuffer(lzma.compress(np.ascontiguousarray(d.T).astype(np.int32).tobytes(), preset=9), np.uint8)


def _decode(buf: np.ndarray, frames: int, step: float) -> np.ndarray:
    d = np.frombuffer(lzma.decompress(buf.tobytes()), np.int32).reshape(-1, frames).T
    return np.cumsum(d.astype(np.int64), axis=0) * step


def _gen_chunk(args: tuple[list[int], int]) -> list[tuple]:
    idx, seed = args
    return [(i,) + make_sample(i, seed) for i in idx]


def build_corpus(out_dir: str | Path = DEFAULT_DIR, n: int = 8000, seed: int = 0, workers: int = 1,
                 real_path: str | Path | None = None) -> dict:
    """Generate `n` procedural samples, write corpus.npz + splits.json; returns statistics."""
    S.validate_constants()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = [(list(range(k, n, max(1, workers * 8))), seed) for k in range(max(1, workers * 8))]
    if workers > 1:
        import multiprocessing as mp
        with mp.get_context("spawn").Pool(workers) as pool:
            rows = [r for c in pool.map(_gen_chunk, chunks) for r in c]
    else:
        rows = [r for c in chunks for r in _gen_chunk(c)]
    rows.sort(key=lambda r: r[0])
    clips = [r[1] for r in rows]
    records = []
    for i, clip, texts, split, meta in rows:
        segs = [[int(round(s.start * FPS)), int(round(s.end * FPS)), s.label] for s in clip.segments]
        records.append({"id": f"proc_{i:05d}", "split": split, "texts": texts, "segments": segs, "meta": meta})
    write_corpus_file(out_dir / "corpus.npz", clips, records, seed)
    real = _real_records(real_path, seed)
    splits = {"policy": S.SplitPolicy(seed).to_dict(),
              "procedural": {s: [r["id"] for r in records if r["split"] == s] for s in S.SPLITS},
              "real_groups": {s: sorted({r["group"] for r in real if r["split"] == s}) for s in S.SPLITS},
              "real_windows": {s: [r["id"] for r in real if r["split"] == s] for s in S.SPLITS}}
    (out_dir / "splits.json").write_text(json.dumps(splits, indent=1, sort_keys=True))
    stats = corpus_stats(records, np.array([c.num_frames for c in clips]), real)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=1, sort_keys=True))
    return stats


def write_corpus_file(path: Path, clips: list[MotionClip], records: list[dict], seed: int) -> None:
    """corpus.npz: per split, offsets and LZMA blobs of the quantised motion; records as JSON."""
    arrays: dict[str, np.ndarray] = {}
    for split in S.SPLITS:
        sel = [c for c, r in zip(clips, records) if r["split"] == split]
        lengths = np.array([c.num_frames for c in sel], dtype=np.int64)
        arrays[f"offsets_{split}"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if sel:
            arrays[f"rotations_lzma_{split}"] = _encode(np.concatenate([c.rotations for c in sel]), ROT_STEP)
            arrays[f"trans_lzma_{split}"] = _encode(np.concatenate([c.trans for c in sel]), TRANS_STEP)
    with open(path, "wb") as fh:
        np.savez(fh, format=np.array(FORMAT_NAME), format_version=np.array(FORMAT_VERSION), fps=np.array(FPS),
                 seed=np.array(seed), rot_step=np.array(ROT_STEP), trans_step=np.array(TRANS_STEP),
                 skeleton_offsets=clips[0].skeleton.offsets.astype(np.float64), items=np.array(json.dumps(records)),
                 **arrays)


def _real_records(real_path: str | Path | None, seed: int) -> list[dict]:
    windows = _load_real(real_path)
    return [{"id": w.clip.name, "group": w.meta.get("group", w.meta.get("trial_id", w.clip.name)),
             "split": S.group_split(w.meta.get("group", w.clip.name), seed), "frames": w.clip.num_frames,
             "source": w.meta.get("source", "real")} for w in windows]


def _load_real(real_path: str | Path | None):
    from . import real_mocap
    path = Path(real_path) if real_path else real_mocap.DEFAULT_PATH
    if not path.is_file():
        log.warning("no real mocap corpus at %s: procedural samples only", path)
        return []
    return real_mocap.load_real_corpus(path)


def corpus_stats(records: list[dict], lengths: np.ndarray, real: list[dict]) -> dict:
    """Counts per split / family / source and minutes."""
    fam: dict[str, int] = {}
    for r in records:
        for _, _, label in r["segments"]:
            f = ATOMS[label].family
            fam[f] = fam.get(f, 0) + 1
    out = {"procedural": {s: sum(r["split"] == s for r in records) for s in S.SPLITS},
           "procedural_minutes": round(float(lengths.sum()) / FPS / 60, 1),
           "procedural_single_atom": sum(len(r["segments"]) == 1 for r in records),
           "segments_per_family": fam,
           "test_novelty": {k: sum(r["meta"]["novelty"] == k for r in records) for k in ("pair", "range", "plain")},
           "test_novel_phrasing": sum(r["meta"]["novel_phrasing"] for r in records),
           "real": {s: sum(r["split"] == s for r in real) for s in S.SPLITS},
           "real_minutes": round(sum(r["frames"] for r in real) / FPS / 60, 1), "real_by_source": {}}
    for r in real:
        out["real_by_source"][r["source"]] = out["real_by_source"].get(r["source"], 0) + 1
    return out


# ----------------------------------------------------------------------------- loading
_CACHE: dict[tuple, list[CorpusItem]] = {}


def load_corpus(path: str | Path = DEFAULT_DIR, split: str | None = None, include_real: bool = True,
                real_path: str | Path | None = None) -> list[CorpusItem]:
    """Items of one split (or all), procedural first then real; cached per process."""
    path = Path(path)
    file = path / "corpus.npz" if path.is_dir() else path
    if split is not None and split not in S.SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {S.SPLITS}")
    key = (str(file), file.stat().st_mtime, split, include_real, str(real_path))
    if key not in _CACHE:
        _CACHE[key] = _load(file, split, include_real, real_path)
    return _CACHE[key]


def _load(file: Path, split: str | None, include_real: bool, real_path) -> list[CorpusItem]:
    items = []
    with np.load(file, allow_pickle=False) as data:
        if str(data["format"]) != FORMAT_NAME or int(data["format_version"]) != FORMAT_VERSION:
            raise ValueError(f"{file}: not a corpus file of version {FORMAT_VERSION}")
        fps, seed = float(data["fps"]), int(data["seed"])
        skel = Skeleton(SMPL22_NAMES, SMPL22_PARENTS, data["skeleton_offsets"])
        records = json.loads(str(data["items"]))
        for sp in (S.SPLITS if split is None else (split,)):
            offsets = data[f"offsets_{sp}"]
            frames = int(offsets[-1])
            if frames == 0:
                continue
            rot = _decode(data[f"rotations_lzma_{sp}"], frames, float(data["rot_step"])).reshape(frames, 22, 3)
            trans = _decode(data[f"trans_lzma_{sp}"], frames, float(data["trans_step"])).reshape(frames, 3)
            for k, r in enumerate([r for r in records if r["split"] == sp]):
                a, b = int(offsets[k]), int(offsets[k + 1])
                segs = [Segment(s0 / fps, s1 / fps, lab, lab) for s0, s1, lab in r["segments"]]
                clip = MotionClip(fps, trans[a:b].copy(), rot[a:b].copy(), skel, segments=segs, name=r["id"],
                                  text=r["texts"][0])
                items.append(CorpusItem(r["id"], clip, r["texts"], r["split"], "procedural", r["meta"]))
    order = {r["id"]: i for i, r in enumerate(records)}
    items.sort(key=lambda it: order[it.id])
    if include_real:
        for w in _load_real(real_path):
            sp = S.group_split(w.meta.get("group", w.clip.name), seed)
            if split is None or sp == split:
                items.append(CorpusItem(w.clip.name, w.clip, list(w.texts), sp, "real", dict(w.meta)))
    return items


def file_digest(path: str | Path) -> str:
    """sha256 of a file (to record which corpus a model was trained on)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
