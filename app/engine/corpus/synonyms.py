"""WordNet synonyms for the corpus's words: training texts in words the templates never use (issue 11).

The corpus's texts use about 400 distinct words; people type many more ("saunter", "beckon", "hunker
down"). ``synonyms.json`` (built by ``scripts/build_synonyms.py`` from WordNet 3.0, its two most
frequent senses per word, and for verbs the troponyms of the first sense that SemCor attests, "limp" or
"trudge" for "walk"; candidates the corpus already uses left out) maps a corpus word, as it is
inflected in the texts, to synonyms inflected the same way. :func:`substitute` rewrites a text with
some of them. Words that the prompt slots read (sides, directions, counts, speeds) and function words
are never replaced, so a variant means what its source means.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.engine.corpus.text_variants import ing_form

TABLE = Path(__file__).with_name("synonyms.json")
PROTECTED = frozenset("""
a an the and or then after before while finally that this it its his her their them they he she his hers
to of in on at with from by for over into onto off out up down as so than once twice thrice times time
left right both either each other one two three four five six seven eight nine ten several few couple pair
forward forwards backward backwards back sideways side around ahead straight onward reverse
slow slowly fast quickly quick rapidly briskly hurriedly gently calmly carefully leisurely
is are be does do not no again more
backs backing de about above across behind below beside between like near through toward towards under using
""".split())
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def add_s(word: str, head_first: bool = True) -> str:
    """Third person of a verb phrase (its first word: 'hunker down' -> 'hunkers down') or plural of a noun
    phrase (its last word: 'pelvic girdle' -> 'pelvic girdles', ``head_first`` False)."""
    words = word.split(" ")
    i = 0 if head_first else len(words) - 1
    w = words[i]
    if re.search(r"(ch|sh|ss|x|z|o)$", w):
        w += "es"
    elif re.search(r"[^aeiou]y$", w):
        w = w[:-1] + "ies"
    else:
        w += "s"
    words[i] = w
    return " ".join(words)


def form_of(word: str, lemma: str) -> str | None:
    """How ``word`` inflects ``lemma``: 'base', 's' (third person or plural), 'ing', or None (past tense ...)."""
    if word == lemma:
        return "base"
    if word in (add_s(lemma), add_s(lemma, False)):
        return "s"
    if word == ing_form(lemma):
        return "ing"
    return None


def inflect(phrase: str, form: str, noun: bool = False) -> str:
    """``phrase`` (a lemma: a verb's head is its first word, a noun's its last) in ``form``."""
    if form == "s":
        return add_s(phrase, not noun)
    if form == "ing":
        head, _, rest = phrase.partition(" ")
        return f"{ing_form(head)} {rest}".strip()
    return phrase


@lru_cache(maxsize=1)
def table() -> dict[str, list[str]]:
    """Corpus word (inflected as in the texts) -> its synonyms, inflected the same way."""
    if not TABLE.is_file():
        return {}
    return json.loads(TABLE.read_text())["words"]


def substitute(text: str, rng: np.random.Generator, p: float = 0.5, words: dict[str, list[str]] | None = None
               ) -> str | None:
    """``text`` with each replaceable word swapped for a random synonym with probability ``p`` (at least
    one swap when any word is replaceable); None when no word of the text has a synonym."""
    words = table() if words is None else words
    spans = [m for m in _WORD.finditer(text) if m.group(0).lower() in words and m.group(0).lower() not in PROTECTED]
    if not spans:
        return None
    pick = rng.random(len(spans)) < p
    if not pick.any():
        pick[rng.integers(len(spans))] = True
    out, last = [], 0
    for m, on in zip(spans, pick):
        if on:
            cands = words[m.group(0).lower()]
            out += [text[last:m.start()], cands[int(rng.integers(len(cands)))]]
            last = m.end()
    return "".join(out) + text[last:]


__all__ = ["PROTECTED", "TABLE", "add_s", "form_of", "inflect", "table", "substitute"]
