"""Training data for text-to-motion: features + cached text embeddings of one corpus split.

Source, in order of preference:
1. ``data/corpus/corpus.npz`` (:func:`app.engine.corpus.dataset.load_corpus`) when it exists;
2. otherwise the same samples regenerated on the fly: procedural sample ``i`` is
   :func:`~app.engine.corpus.dataset.make_sample` ``(i, seed)`` (bit-identical to the built
   corpus with that seed) and its split is :func:`~app.engine.corpus.splits.procedural_split`;
   real windows take :func:`~app.engine.corpus.splits.group_split` of their group.
Either way an item lands in exactly the split the corpus assigns, so test items never train.
3. With ``include_start`` (the default), the samples that start seated on the floor
   (:mod:`app.engine.corpus.start_states`, regenerated; their own split draw) follow the procedural ones;
   with ``include_paced``, the paced samples (:mod:`app.engine.corpus.paced`: counted actions whose length
   is not fixed by their count) after them.

The cache (``.npz``, no pickles) holds the 263-dim features of every item (concatenated with
offsets), the frozen MiniLM embedding of each of its texts, the texts and ids.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.repr.humanml3d import FEATURE_DIM
from app.engine.repr.normalizer import Normalizer

from .text_cond import MAX_TEXT_TOKENS, pad_tokens, parse_slots

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CACHE_DIR = ROOT / ".cache" / "t2m"
CORPUS_FILE = ROOT / "data" / "corpus" / "corpus.npz"
CLIP_SIGMA = 8.0  # normalised features are clipped here (a few real windows have 100+ sigma root-velocity spikes)


def model_input(normalizer: Normalizer, feats: np.ndarray) -> np.ndarray:
    """Features [T, 263] as the model sees them in training: normalised, clipped at CLIP_SIGMA, float32."""
    return np.clip(normalizer.normalize(feats), -CLIP_SIGMA, CLIP_SIGMA).astype(np.float32)


@dataclass
class T2MItem:
    id: str
    features: np.ndarray  # [T, 263]
    texts: list[str]


def iter_items(split: str, n_procedural: int = 4000, seed: int = 0, include_real: bool = True,
               prefer_corpus: bool = True, mirror: bool = False, with_segments: bool = False,
               include_start: bool = True, include_corpus: bool = True, include_paced: bool = False):
    """Yield (id, features [T-1, 263], texts) of one split (see module doc for the source).

    ``mirror``: also yield each item's left/right mirror twin (id + ``~m``, texts with left and
    right swapped; :mod:`app.engine.corpus.mirror`) right after it.  ``with_segments``: add the
    segment index of every feature frame ([T-1] int8, :func:`segment_index`) to each tuple.
    """
    from app.engine.corpus.mirror import mirror_clip, mirror_text
    from app.engine.repr.humanml3d import clip_to_features
    for id_, feats, texts, clip in _iter_clips(split, n_procedural, seed, include_real, prefer_corpus, include_start,
                                               include_corpus, include_paced):
        extra = (segment_index(clip, len(feats)),) if with_segments else ()
        yield (id_, feats, texts) + extra
        if mirror:
            yield (f"{id_}~m", clip_to_features(mirror_clip(clip)), [mirror_text(t) for t in texts]) + extra


def segment_index(clip, frames: int) -> np.ndarray:
    """Segment index of each feature frame ([frames] int8; features start at the clip's second frame,
    :func:`~app.engine.corpus.compose.frame_labels`); 0 for frames no segment covers."""
    from app.engine.corpus.compose import frame_labels
    idx = frame_labels(clip)[1:frames + 1]
    return np.where(idx < 0, 0, idx).astype(np.int8)


def _iter_clips(split: str, n_procedural: int, seed: int, include_real: bool, prefer_corpus: bool,
                include_start: bool = True, include_corpus: bool = True, include_paced: bool = False):
    """(id, features, texts, clip) of one split."""
    from app.engine.corpus.paced import iter_paced_samples
    from app.engine.corpus.start_states import iter_start_samples
    from app.engine.repr.humanml3d import clip_to_features

    if include_corpus:
        yield from _iter_corpus_clips(split, n_procedural, seed, include_real, prefer_corpus)
    for on, samples in ((include_start, iter_start_samples), (include_paced, iter_paced_samples)):
        for id_, clip, texts, _ in (samples(split, seed) if on else ()):
            yield id_, clip_to_features(clip), list(texts), clip


def _iter_corpus_clips(split: str, n_procedural: int, seed: int, include_real: bool, prefer_corpus: bool):
    """(id, features, texts, clip) of one split of the corpus (the file, or regenerated)."""
    from app.engine.corpus import splits as S
    from app.engine.repr.humanml3d import clip_to_features

    if prefer_corpus and CORPUS_FILE.is_file():
        from app.engine.corpus.dataset import load_corpus
        log.info("using the built corpus %s (%s split)", CORPUS_FILE, split)
        for it in load_corpus(CORPUS_FILE.parent, split=split, include_real=include_real):
            if it.clip.num_frames >= 3:
                yield it.id, it.features, list(it.texts), it.clip
        return
    from app.engine.corpus.dataset import make_sample
    for i in range(n_procedural):
        if S.procedural_split(i, seed) != split:
            continue
        clip, texts, sp, _ = make_sample(i, seed)
        assert sp == split
        yield f"proc_{i:05d}", clip_to_features(clip), list(texts), clip
    if include_real:
        from app.engine.corpus.real_mocap import DEFAULT_PATH, load_real_corpus
        if not DEFAULT_PATH.is_file():
            return
        for w in load_real_corpus(DEFAULT_PATH):
            if S.group_split(w.meta.get("group", w.clip.name), seed) == split and w.clip.num_frames >= 3:
                yield w.clip.name, clip_to_features(w.clip), list(w.texts), w.clip


def build_cache(path: str | Path, split: str = "train", n_procedural: int = 4000, seed: int = 0,
                include_real: bool = True, mirror: bool = False, include_start: bool = True,
                only_start: bool = False, include_paced: bool = False, only_paced: bool = False) -> Path:
    """Compute features and text embeddings of a split and write them to ``path`` (.npz).

    ``mirror``: add every item's left/right mirror twin (training splits only: the val and test
    splits stay as the corpus has them). ``only_start``: the start samples alone (to append to a
    cache built without them, :func:`concat_caches`); ``only_paced``: the paced samples alone, likewise."""
    corpus = not (only_start or only_paced)
    start, paced = only_start or (corpus and include_start), only_paced or (corpus and include_paced)
    names = ["corpus" if CORPUS_FILE.is_file() else f"make_sample(seed={seed}, n={n_procedural})"] if corpus else []
    source = " + ".join(names + ["start samples"] * start + ["paced samples"] * paced)
    ids, feats, texts, segs = [], [], [], []
    rows = iter_items(split, n_procedural, seed, include_real, mirror=mirror, with_segments=True,
                      include_start=start, include_corpus=corpus, include_paced=paced)
    for k, (id_, f, tx, sg) in enumerate(rows):
        ids.append(id_)
        feats.append(f.astype(np.float32))
        texts.append(tx)
        segs.append(sg)
        if k % 500 == 0:
            log.info("cache %s: %d items", split, k)
    flat = [t for tx in texts for t in tx]
    emb, toks, slots = encode_texts(flat)
    return write_cache(path, ids, feats, texts, emb, toks, slots, segs, split=split, source=source, mirror=mirror)


def encode_texts(texts: list[str]) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """What the cache keeps of each text: the pooled MiniLM embedding [N, 384], the token states
    (float16 [L, 384], at most ``MAX_TEXT_TOKENS``) and the prompt slots [N, 4]."""
    from app.engine.text_encoder import TextEncoder

    enc = TextEncoder.get()
    emb = enc.encode(texts) if texts else np.zeros((0, 384), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths per batch: less padding
    by_index: dict[int, np.ndarray] = {}
    for s in range(0, len(order), 256):
        chunk = order[s:s + 256]
        tok, mask = enc.encode_tokens([texts[i] for i in chunk])
        for k, i in enumerate(chunk):
            by_index[i] = tok[k, :MAX_TEXT_TOKENS][mask[k, :MAX_TEXT_TOKENS]].astype(np.float16)
    slots = np.stack([parse_slots(t) for t in texts]) if texts else np.zeros((0, 4), np.int64)
    return emb.astype(np.float32), [by_index[i] for i in range(len(texts))], slots.astype(np.int64)


def write_cache(path: str | Path, ids: list[str], feats: list[np.ndarray], texts: list[list[str]],
                emb: np.ndarray, toks: list[np.ndarray], slots: np.ndarray, segs: list[np.ndarray], *,
                split: str, source: str, mirror: bool, original_texts: list[int] | None = None) -> Path:
    """Write a cache file (the texts of item i are rows text_offsets[i]:text_offsets[i+1] of emb/toks/slots).

    ``original_texts``: per item, how many of its first texts are the corpus's own (the rest are variants);
    None: all of them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez(fh, features=np.concatenate(feats), offsets=np.cumsum([0] + [len(f) for f in feats]),
                 text_emb=emb, text_offsets=np.cumsum([0] + [len(t) for t in texts]),
                 tokens=np.concatenate(toks) if toks else np.zeros((0, emb.shape[-1]), np.float16),
                 token_offsets=np.cumsum([0] + [len(t) for t in toks]), slots=slots,
                 texts=np.array(json.dumps(texts)), ids=np.array(json.dumps(ids)), split=np.array(split),
                 source=np.array(source), mirror=np.array(bool(mirror)), segments=np.concatenate(segs),
                 original_texts=np.array(original_texts if original_texts is not None else [len(t) for t in texts]))
    log.info("wrote %s: %d items, %d frames", path, len(ids), sum(len(f) for f in feats))
    return path


def _read_items(path: str | Path) -> dict:
    """A cache file as per-item lists (ids, texts, original_texts, feats, segs, emb, toks, slots) plus its
    split, source and mirror flag: what :func:`concat_caches` and :func:`replace_texts` rearrange."""
    with np.load(path, allow_pickle=False) as d:
        c = {k: d[k] for k in d.files}
    texts = json.loads(str(c["texts"]))
    off, tof, tko = c["offsets"], c["text_offsets"], c["token_offsets"]
    n = len(texts)
    return dict(ids=json.loads(str(c["ids"])), texts=texts,
                orig=[int(x) for x in c.get("original_texts", [len(t) for t in texts])],
                feats=[c["features"][off[i]:off[i + 1]] for i in range(n)],
                segs=[c["segments"][off[i]:off[i + 1]] for i in range(n)],
                emb=[c["text_emb"][tof[i]:tof[i + 1]] for i in range(n)],
                toks=[[c["tokens"][tko[j]:tko[j + 1]] for j in range(tof[i], tof[i + 1])] for i in range(n)],
                slots=[c["slots"][tof[i]:tof[i + 1]] for i in range(n)],
                split=str(c["split"]), source=str(c["source"]), mirror=bool(c["mirror"]))


def _write_items(out: str | Path, it: dict) -> Path:
    """:func:`write_cache` of per-item lists as :func:`_read_items` gives them."""
    return write_cache(out, it["ids"], it["feats"], it["texts"], np.concatenate(it["emb"]),
                       [t for toks in it["toks"] for t in toks], np.concatenate(it["slots"]), it["segs"],
                       split=it["split"], source=it["source"], mirror=it["mirror"], original_texts=it["orig"])


def concat_caches(paths: list[str | Path], out: str | Path) -> Path:
    """Write the items of several caches of one split, in order, as one cache (e.g. a cache built before
    the start samples existed + ``build_cache(..., only_start=True)`` after the same text forms)."""
    parts = [_read_items(p) for p in paths]
    splits = {d["split"] for d in parts}
    if len(splits) != 1 or len({d["mirror"] for d in parts}) != 1:
        raise ValueError(f"caches of different splits or mirror settings: {sorted(splits)}")
    keys = ("ids", "texts", "orig", "feats", "segs", "emb", "toks", "slots")
    merged = {k: [x for d in parts for x in d[k]] for k in keys}
    return _write_items(out, dict(merged, split=splits.pop(), source=" | ".join(d["source"] for d in parts),
                                  mirror=parts[0]["mirror"]))


def replace_texts(path: str | Path, out: str | Path, new_texts: dict[str, list[str]]) -> tuple[Path, int]:
    """Write ``path`` to ``out`` with the texts of the items named in ``new_texts`` replaced by those texts
    (their variants dropped; encoded with :func:`encode_texts`); features and every other item unchanged.
    Returns (out, number of items replaced)."""
    it = _read_items(path)
    hit = [i for i, id_ in enumerate(it["ids"]) if id_ in new_texts]
    emb, toks, slots = encode_texts([t for i in hit for t in new_texts[it["ids"][i]]])
    k = 0
    for i in hit:
        tx = list(new_texts[it["ids"][i]])
        it["texts"][i], it["orig"][i] = tx, len(tx)
        it["emb"][i], it["toks"][i], it["slots"][i] = emb[k:k + len(tx)], toks[k:k + len(tx)], slots[k:k + len(tx)]
        k += len(tx)
    it["source"] += " (texts replaced)"
    return _write_items(out, it), len(hit)


class T2MDataset:
    """Items of one split with a length-bucketed random batch sampler."""

    def __init__(self, features: list[np.ndarray], text_emb: list[np.ndarray], texts: list[list[str]],
                 ids: list[str], max_frames: int = 200, tokens: list[list[np.ndarray]] | None = None,
                 slots: list[np.ndarray] | None = None, segments: list[np.ndarray] | None = None,
                 original_texts: list[int] | None = None) -> None:
        if not features:
            raise ValueError("empty dataset")
        self.features = [f[:max_frames] for f in features]
        self.text_emb = text_emb
        self.tokens = tokens            # per item, per text: [L, 384] float16 token states (None: pooled only)
        self.slots = slots if slots is not None else [np.stack([parse_slots(t) for t in tx]) for tx in texts]
        self.segments = None if segments is None else [g[:max_frames] for g in segments]  # per frame, or None
        self.texts = texts
        # per item, how many of its first texts are the corpus's own (the rest: forms, synonyms)
        self.original_texts = np.array(original_texts if original_texts is not None else [len(t) for t in texts])
        self.original_share = 0.0       # >0: a batch draws an own text with this probability (0: uniform)
        self.item_weights: np.ndarray | None = None  # per item, relative draw weight in a batch window (None: equal)
        self.ids = ids
        self.max_frames = max_frames
        self.lengths = np.array([len(f) for f in self.features])
        self._order = np.argsort(self.lengths, kind="stable")

    @classmethod
    def load(cls, path: str | Path, max_frames: int = 200) -> "T2MDataset":
        with np.load(path, allow_pickle=False) as d:
            off, toff, allf, alle = d["offsets"], d["text_offsets"], d["features"], d["text_emb"]
            feats = [allf[off[i]:off[i + 1]] for i in range(len(off) - 1)]
            emb = [alle[toff[i]:toff[i + 1]] for i in range(len(toff) - 1)]
            texts, ids = json.loads(str(d["texts"])), json.loads(str(d["ids"]))
            tokens = slots = None
            if "tokens" in d.files:
                allt, tko, alls = d["tokens"], d["token_offsets"], d["slots"]
                per_text = [allt[tko[j]:tko[j + 1]] for j in range(len(tko) - 1)]
                tokens = [per_text[toff[i]:toff[i + 1]] for i in range(len(toff) - 1)]
                slots = [alls[toff[i]:toff[i + 1]] for i in range(len(toff) - 1)]
            segs = None
            if "segments" in d.files:
                allg = d["segments"]
                segs = [allg[off[i]:off[i + 1]] for i in range(len(off) - 1)]
            own = d["original_texts"].tolist() if "original_texts" in d.files else None
        return cls(feats, emb, texts, ids, max_frames, tokens, slots, segs, own)

    def __len__(self) -> int:
        return len(self.features)

    def subset(self, indices, texts_per_item: int = 1) -> "T2MDataset":
        """The items at `indices`, each with its first `texts_per_item` texts (overfitting checks)."""
        k = texts_per_item
        return T2MDataset([self.features[i] for i in indices], [self.text_emb[i][:k] for i in indices],
                          [self.texts[i][:k] for i in indices], [self.ids[i] for i in indices], self.max_frames,
                          None if self.tokens is None else [self.tokens[i][:k] for i in indices],
                          [self.slots[i][:k] for i in indices],
                          None if self.segments is None else [self.segments[i] for i in indices])

    def _text_index(self, rng: np.random.Generator, i: int) -> int:
        """Which text of item i a batch reads: uniform, or an own text with probability ``original_share``."""
        n, own = len(self.text_emb[i]), int(self.original_texts[i])
        if self.original_share <= 0 or own >= n or own == 0:
            return int(rng.integers(n))
        if rng.random() < self.original_share:
            return int(rng.integers(own))
        return own + int(rng.integers(n - own))

    def fit_normalizer(self) -> Normalizer:
        return Normalizer.fit(self.features, grouping="humanml3d")

    def batch(self, rng: np.random.Generator, size: int, normalizer: Normalizer | None = None,
              bucket: int = 4) -> dict[str, np.ndarray]:
        """A random batch of items of similar length (a window of ``size*bucket`` in length order).

        Returns x [B, Tmax, 263] (normalised when a normaliser is given, zero padded),
        lengths [B], text [B, 384] (one random text per item), slots [B, 4], index [B], text_index [B], and
        tokens [B, L, 384] + token_mask [B, L] of that text when the cache holds token states, and
        seg [B, Tmax] (segment index per frame, -1 padding) when it holds segments.
        """
        n = len(self)
        win = min(n, size * bucket)
        start = int(rng.integers(0, n - win + 1))
        p = None
        if self.item_weights is not None:
            w = self.item_weights[self._order[start:start + win]]
            p = w / w.sum()
        idx = self._order[start + rng.choice(win, size=min(size, win), replace=win < size, p=p)]
        lengths = self.lengths[idx]
        x = np.zeros((len(idx), int(lengths.max()), FEATURE_DIM), np.float32)
        text = np.empty((len(idx), self.text_emb[0].shape[-1]), np.float32)
        slots = np.zeros((len(idx), 4), np.int64)
        toks, tidx = [], []
        for k, i in enumerate(idx):
            f = self.features[i]
            x[k, :len(f)] = model_input(normalizer, f) if normalizer is not None else f
            j = self._text_index(rng, i)
            tidx.append(j)
            text[k] = self.text_emb[i][j]
            slots[k] = self.slots[i][j]
            if self.tokens is not None:
                toks.append(self.tokens[i][j])
        out = {"x": x, "lengths": lengths, "text": text, "slots": slots, "index": idx, "text_index": np.array(tidx)}
        if self.tokens is not None:
            out["tokens"], out["token_mask"] = pad_tokens(toks)
        if self.segments is not None:
            seg = np.full(x.shape[:2], -1, np.int64)
            for k, i in enumerate(idx):
                seg[k, :lengths[k]] = self.segments[i]
            out["seg"] = seg
        return out


def atom_balance_weights(ids: list[str], atoms_of: dict[str, list[str]], power: float = 0.5) -> np.ndarray:
    """Draw weights that lift items of rare atoms: an item's weight is (n_rarest / n_max) ** -power, n_rarest the
    number of items holding its rarest atom (``atoms_of``: id -> atom names; items without atoms weigh 1), mean 1.

    Why (session 39): the rarest atoms of the training split are the ones val fails most (jumping jacks in 78 of
    4,832 procedural items: 3 of 6 val runs; arm circles in 114: 0 of 6)."""
    counts: dict[str, int] = {}
    for i in ids:
        for a in set(atoms_of.get(i, [])):
            counts[a] = counts.get(a, 0) + 1
    top = max(counts.values(), default=1)
    w = np.array([(min(counts[a] for a in atoms_of[i]) / top) ** -power if atoms_of.get(i) else 1.0 for i in ids])
    return w / w.mean()
