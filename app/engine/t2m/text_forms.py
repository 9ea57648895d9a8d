"""A training cache whose texts also come as commands and captions (ATOM's text path, issue 11).

Every text of a cached item gets one grammatical variant (``app.engine.corpus.text_variants``): a
command ("wave with the left hand twice"), a participle caption ("a girl waving with ..."), a
progressive one ("she is waving ...") or the same sentence with another subject, drawn with
:data:`FORM_WEIGHTS`. The motions, the original texts and their encodings are copied unchanged, and
the cache records how many texts of each item are its own (``original_texts``), so training can
keep drawing the corpus's own wording as often as it asks (``T2MDataset.original_share``; uniform
over all texts by default). Variants that hold a piece of the prompt-following suite's wording
(``banned``) are left out, and :func:`add_text_forms` refuses to write a cache in which a suite
prompt appears.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from app.engine.corpus.context_words import TRAIN, Pool, add_context
from app.engine.corpus.describe import SUBJECTS
from app.engine.corpus.synonyms import substitute
from app.engine.corpus.text_variants import EXTRA_SUBJECTS, FORMS, split_subject, variant

from .data import encode_texts, write_cache

log = logging.getLogger(__name__)

FORM_WEIGHTS = {"command": 0.4, "participle": 0.25, "progressive": 0.15, "third": 0.2}


def draw_forms(texts: list[list[str]], rng: np.random.Generator, banned: frozenset[str] | set[str] = frozenset()
               ) -> list[list[str]]:
    """One variant per text of each item (its first admissible form in a random order drawn with
    :data:`FORM_WEIGHTS`), new subjects included; texts without a corpus verb get none."""
    pool = SUBJECTS + EXTRA_SUBJECTS      # a pronoun before a participle gives no variant: the next form is tried
    forms = list(FORMS)
    p = np.array([FORM_WEIGHTS[f] for f in forms])
    out = []
    for tx in texts:
        new: list[str] = []
        for t in tx:
            for form in rng.choice(forms, size=len(forms), replace=False, p=p / p.sum()):
                v = variant(t, str(form), None if form == "command" else str(rng.choice(pool)))
                if v and v != t and v not in tx and v not in new and not any(b in v.lower() for b in banned):
                    new.append(v)
                    break
        out.append(new)
    return out


def draw_synonyms(texts: list[list[str]], rng: np.random.Generator, banned: frozenset[str] | set[str] = frozenset(),
                  p: float = 0.5) -> list[list[str]]:
    """One more variant per text: the text, or one of its forms, with words swapped for WordNet synonyms
    the corpus never uses (:func:`app.engine.corpus.synonyms.substitute`); none when no word has one."""
    forms = draw_forms(texts, rng, banned)   # its own draw (cheap string work): keeps train_s28_syn.npz reproducible
    out = []
    for tx, fx in zip(texts, forms):
        new: list[str] = []
        for t in tx:
            base = str(rng.choice([t] + fx))
            v = substitute(base, rng, p)
            if v and v not in tx and v not in fx and v not in new and not any(b in v.lower() for b in banned):
                new.append(v)
        out.append(new)
    return out


def add_text_forms(src: str | Path, dst: str | Path, seed: int = 0, banned: frozenset[str] | set[str] = frozenset(),
                   forbidden: list[str] | None = None, synonyms: bool = False) -> dict:
    """Copy cache ``src`` to ``dst`` with every item's text variants appended; returns counts.

    ``synonyms``: each text also gets a WordNet-synonym variant (:func:`draw_synonyms`, session 28).

    ``forbidden``: whole prompts that must not appear in any training text (the suite's): ValueError if an
    original text holds one; a variant that would is not drawn."""
    with np.load(src, allow_pickle=False) as d:
        arr = {k: d[k] for k in d.files}
    texts, ids = json.loads(str(arr["texts"])), json.loads(str(arr["ids"]))
    forbidden = [f.lower() for f in forbidden or []]
    low = [t.lower() for tx in texts for t in tx]
    hits = [f for f in forbidden if any(f in t for t in low)]
    if hits:
        raise ValueError(f"{len(hits)} forbidden prompt(s) in the training texts, e.g. {hits[0]!r}")
    rng = np.random.default_rng(seed)
    new = draw_forms(texts, rng, set(banned) | set(forbidden))   # a variant may not hold one
    if synonyms:
        new = [a + b for a, b in zip(new, draw_synonyms(texts, rng, set(banned) | set(forbidden)))]
    _write_appended(arr, texts, new, dst, f"text forms{' + synonyms' if synonyms else ''} (seed {seed})",
                    [len(tx) for tx in texts])
    return {"items": len(ids), "texts": sum(len(t) for t in texts), "new_texts": sum(len(n) for n in new),
            "forms": {f: sum(1 for tx in new for t in tx if _form_of(t) == f) for f in ("command", "caption")},
            "synonyms": synonyms}


def draw_context(texts: list[list[str]], originals: list[int], rng: np.random.Generator, pool: Pool,
                 banned: frozenset[str] | set[str] = frozenset()) -> list[list[str]]:
    """Per item, one context variant (:func:`app.engine.corpus.context_words.add_context`) per original
    text, each built on a text of the item drawn at random (its own wording, a form or a synonym variant)."""
    out = []
    for tx, n_orig in zip(texts, originals):
        new: list[str] = []
        for _ in range(n_orig):
            v = add_context(str(tx[int(rng.integers(len(tx)))]), rng, pool)
            if v and v not in tx and v not in new and not any(b in v.lower() for b in banned):
                new.append(v)
        out.append(new)
    return out


def add_context_variants(src: str | Path, dst: str | Path, seed: int = 0, banned_words: set[str] | frozenset[str] = frozenset(),
                         banned: frozenset[str] | set[str] = frozenset(), forbidden: list[str] | None = None,
                         pool: Pool = TRAIN) -> dict:
    """Copy cache ``src`` to ``dst`` with context variants (:func:`draw_context`, from ``pool``, by default the
    :data:`TRAIN` pool, without ``banned_words``) appended to every item's texts; its count of original texts
    is kept."""
    with np.load(src, allow_pickle=False) as d:
        arr = {k: d[k] for k in d.files}
    texts = json.loads(str(arr["texts"]))
    originals = [int(n) for n in arr["original_texts"]] if "original_texts" in arr else [len(t) for t in texts]
    pool = pool.without(set(banned_words))
    bad = set(banned) | {f.lower() for f in forbidden or []}
    new = draw_context(texts, originals, np.random.default_rng(seed), pool, bad)
    _write_appended(arr, texts, new, dst, f"context (seed {seed}, {len(pool.endings)} endings)", originals)
    return {"items": len(texts), "texts": sum(len(t) for t in texts), "new_texts": sum(len(n) for n in new),
            "pool": {k: len(getattr(pool, k)) for k in ("adjectives", "after_subject", "endings", "frames")}}


def _write_appended(arr: dict, texts: list[list[str]], new: list[list[str]], dst: str | Path, note: str,
                    originals: list[int]) -> None:
    """Write ``arr`` (a loaded cache) to ``dst`` with ``new[i]`` appended to item i's texts (encoded here)."""
    toff, tko, off = arr["text_offsets"], arr["token_offsets"], arr["offsets"]
    ids = json.loads(str(arr["ids"]))
    flat_new = [t for tx in new for t in tx]
    log.info("encoding %d new texts for %d items", len(flat_new), len(texts))
    emb_new, tok_new, slots_new = encode_texts(flat_new)
    emb, toks, slots, all_texts = [], [], [], []
    k = 0
    for i, tx in enumerate(texts):
        rows = range(int(toff[i]), int(toff[i + 1]))
        m = len(new[i])
        emb += [arr["text_emb"][rows.start:rows.stop], emb_new[k:k + m]]
        slots += [arr["slots"][rows.start:rows.stop], slots_new[k:k + m]]
        toks += [arr["tokens"][tko[j]:tko[j + 1]] for j in rows] + tok_new[k:k + m]
        all_texts.append(list(tx) + new[i])
        k += m
    feats = [arr["features"][off[i]:off[i + 1]] for i in range(len(ids))]
    segs = [arr["segments"][off[i]:off[i + 1]] for i in range(len(ids))]
    write_cache(dst, ids, feats, all_texts, np.concatenate(emb), toks, np.concatenate(slots), segs,
                split=str(arr["split"]), source=f"{arr['source']} + {note}", mirror=bool(arr["mirror"]),
                original_texts=originals)


def _form_of(text: str) -> str:
    return "caption" if split_subject(text)[0] else "command"


__all__ = ["FORM_WEIGHTS", "draw_forms", "draw_synonyms", "draw_context", "add_text_forms", "add_context_variants"]
