"""Hard negative texts for the candidate ranker: a text edited so that it no longer fits its motion.

Three edits, each changing one thing the pooled sentence vector barely hears:

- **side**: left and right swapped (:func:`app.engine.corpus.mirror.mirror_text`);
- **count**: the first count changed ("claps three times" -> "claps five times", "twice" -> "four times");
- **direction**: forward and backward swapped.

The edits read only the corpus's own texts; :func:`build_negatives` encodes one edit per own text of every
item (a fixed draw) the way the text-to-motion caches encode texts (:func:`.data.encode_texts`).
"""
from __future__ import annotations

import re

import numpy as np

from app.engine.corpus.mirror import mirror_text

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_TIMES = re.compile(r"\b(once|twice|thrice|(\d+|one|two|three|four|five|six|seven|eight|nine|ten) times)\b", re.I)
_COUNT = re.compile(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?!times\b)([a-z\-]+s)\b", re.I)
_FWD = re.compile(r"\b(forwards?|backwards?)\b", re.I)
EDIT_KINDS = ("side", "count", "direction")


def _value(word: str) -> int:
    w = word.lower()
    return int(w) if w.isdigit() else {"once": 1, "twice": 2, "thrice": 3}.get(w, _WORDS.index(w) if w in _WORDS else 0)


def _other_count(n: int, rng: np.random.Generator, low: int) -> int:
    choices = [k for k in range(low, 7) if k != n]
    return int(rng.choice(choices))


def edit_count(text: str, rng: np.random.Generator) -> str | None:
    """``text`` with its first count changed to another between 1 and 6 (2 and 6 before a plural noun)."""
    m = _TIMES.search(text)
    if m:
        n = _value(m.group(2) or m.group(1).split()[0])
        k = _other_count(n, rng, 1)
        word = {1: "once", 2: "twice"}.get(k, f"{_WORDS[k]} times")
        return text[:m.start()] + word + text[m.end():]
    m = _COUNT.search(text)
    if m:
        k = _other_count(_value(m.group(1)), rng, 2)
        return text[:m.start(1)] + _WORDS[k] + text[m.end(1):]
    return None


def edit_direction(text: str) -> str | None:
    """Forward and backward swapped, or None when the text names neither."""
    if not _FWD.search(text):
        return None
    swap = {"forward": "backward", "forwards": "backwards", "backward": "forward", "backwards": "forwards"}
    return _FWD.sub(lambda m: swap[m.group(0).lower()], text)


def edits(text: str, rng: np.random.Generator) -> dict[str, str]:
    """The edits that apply to ``text``, by kind (each differs from ``text``)."""
    side = mirror_text(text)
    out = {"side": side, "count": edit_count(text, rng), "direction": edit_direction(text)}
    return {k: v for k, v in out.items() if v and v != text}


def negative_texts(texts: list[list[str]], own: list[int], seed: int = 0) -> list[list[tuple[str, str]]]:
    """Per item, (kind, edited text) for each own text that has an edit (one kind drawn per text)."""
    rng = np.random.default_rng(seed)
    out = []
    for tx, n in zip(texts, own):
        item = []
        for t in tx[:max(1, int(n))]:
            e = edits(t, rng)
            if e:
                kind = sorted(e)[int(rng.integers(len(e)))]
                item.append((kind, e[kind]))
        out.append(item)
    return out


def build_negatives(texts: list[list[str]], own: list[int], seed: int = 0) -> dict:
    """:func:`negative_texts` encoded: per item a list of (kind, token states [L, 384] float16, slots [4])."""
    from .data import encode_texts
    neg = negative_texts(texts, own, seed)
    flat = [t for item in neg for _, t in item]
    _, toks, slots = encode_texts(flat) if flat else (None, [], np.zeros((0, 4), np.int64))
    out, k = [], 0
    for item in neg:
        out.append([(kind, toks[k + j], slots[k + j]) for j, (kind, _) in enumerate(item)])
        k += len(item)
    return {"items": out, "texts": neg}
