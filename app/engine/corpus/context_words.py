"""Words around an action that leave the motion unchanged: who, where, what they wear, in what mood.

People wrap the action they want in context the corpus never writes ("an old man in a blue coat
walks forward in the park", "in this clip, a woman waves with a smile"). :func:`add_context` puts
one or two such pieces into a corpus text: an adjective on the subject, a phrase after it, a place or
a manner at the end, or a frame before it. Nothing here names a body part, a side, a direction, a
count or a speed (nothing the prompt slots read), so a variant asks for exactly the motion
its source asks for.

The pieces come in two disjoint pools: :data:`TRAIN` for training texts and :data:`HELD_OUT` for the
val readout (``scripts/atom_val_predicates.py --forms context``), so the readout measures robustness to
context words the model never saw. ``banned_words`` drops every piece holding one of those words (the
training cache bans every word of the prompt-following suite, ``scripts/build_t2m_text_forms.py``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.corpus.text_variants import split_subject


@dataclass(frozen=True)
class Pool:
    """Context pieces by where they go."""
    adjectives: tuple[str, ...]   # before the subject's noun: "a {young} man"
    after_subject: tuple[str, ...]  # right after the subject: "a man {in a grey hoodie} waves"
    endings: tuple[str, ...]      # after the whole text: place or manner
    frames: tuple[str, ...]       # before the whole text, followed by a comma

    def without(self, banned_words: set[str] | frozenset[str]) -> "Pool":
        """The pool without the pieces holding any of ``banned_words`` (lower-case words)."""
        keep = lambda xs: tuple(x for x in xs if not set(x.lower().replace(",", " ").split()) & banned_words)  # noqa: E731
        return Pool(keep(self.adjectives), keep(self.after_subject), keep(self.endings), keep(self.frames))


TRAIN = Pool(
    adjectives=("young", "elderly", "tall", "bearded", "cheerful", "sleepy", "nervous", "middle-aged", "slim",
                "grumpy", "curious", "proud", "shy", "blond", "friendly", "serious"),
    after_subject=("in a grey hoodie", "in a red dress", "wearing glasses", "in sports clothes", "with long hair",
                   "in a business suit", "wearing a cap", "in jeans", "with a backpack", "in a yellow raincoat"),
    endings=("in the park", "in a gym", "in the living room", "at the beach", "in the kitchen", "on a rooftop",
             "in an empty hall", "in the garden", "with a grin", "looking pleased", "without a word",
             "in the morning sun", "in a parking lot", "near a fountain", "in the snow"),
    frames=("in this clip", "in the video", "on camera", "at the studio", "during rehearsal", "in the scene",
            "on the recording", "at the party"),
)

HELD_OUT = Pool(
    adjectives=("teenage", "sporty", "bald", "smiling", "thoughtful", "skinny", "calm-faced", "muscular"),
    after_subject=("in a green jacket", "with headphones", "in a striped shirt", "with a ponytail",
                   "in a tracksuit"),
    endings=("in the office", "on the lawn", "in a hallway", "by the lake", "in a classroom", "with a frown",
             "deep in thought", "in the evening light"),
    frames=("in the footage", "on the film", "at the workshop", "in the shot"),
)

KINDS = ("adjective", "after_subject", "ending", "frame")
POOL_FILE = Path(__file__).with_name("context_pool.json")
# words a piece may share with any other text: articles and prepositions, nothing that names a thing or an act
GLUE = frozenset("a an the in on at with of to by near without during this".split())


def words_of(text: str) -> set[str]:
    """Lower-case words of ``text`` (hyphenated words kept whole) except :data:`GLUE`."""
    return set(re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower())) - GLUE


_ARTICLES = ("a", "an", "the")


def _with_adjective(subject: str, adj: str) -> str | None:
    """'a man' + 'young' -> 'a young man' ('an' before a vowel); None for a subject without an article."""
    art, _, noun = subject.partition(" ")
    if art.lower() not in _ARTICLES or not noun:
        return None
    if art.lower() in ("a", "an"):
        art = "an" if adj[0] in "aeiou" else "a"
    return f"{art} {adj} {noun}"


def place(text: str, kind: str, piece: str) -> str | None:
    """``text`` with ``piece`` put where ``kind`` says; None when it does not fit this text."""
    text = text.strip().rstrip(".")
    subject, rest = split_subject(text)
    if kind == "adjective":
        if not subject:
            return None
        s = _with_adjective(subject, piece)
        return f"{s} {rest}" if s else None
    if kind == "after_subject":
        return f"{subject} {piece} {rest}" if subject and subject.lower() not in ("he", "she") else None
    if kind == "ending":
        return f"{text} {piece}"
    if kind == "frame":
        return f"{piece}, {text[0].lower()}{text[1:]}" if text else None
    raise ValueError(f"unknown context kind {kind!r}")


def add_context(text: str, rng: np.random.Generator, pool: Pool = TRAIN, max_pieces: int = 2) -> str | None:
    """``text`` with one or (half the time, up to ``max_pieces``) two context pieces of different kinds;
    None when no piece fits."""
    want = 1 if max_pieces < 2 or rng.random() < 0.5 else 2
    out, placed = text, 0
    for kind in rng.permutation(KINDS):
        choices = getattr(pool, {"adjective": "adjectives", "ending": "endings", "frame": "frames"}.get(str(kind), str(kind)))
        if not choices:
            continue
        v = place(out, str(kind), str(choices[int(rng.integers(len(choices)))]))
        if v:
            out, placed = v, placed + 1
            if placed == want:
                break
    return out if placed else None


def wide_pool() -> Pool:
    """:data:`TRAIN` plus the WordNet pool of ``context_pool.json`` (``scripts/build_context_pool.py``, session 44:
    garments, places, gatherings and moods the corpus, the held-out pool and the suite never use)."""
    d = json.loads(POOL_FILE.read_text())
    return Pool(*(tuple(dict.fromkeys(getattr(TRAIN, k) + tuple(d[k])))
                  for k in ("adjectives", "after_subject", "endings", "frames")))


__all__ = ["Pool", "TRAIN", "HELD_OUT", "wide_pool", "KINDS", "GLUE", "words_of", "place", "add_context"]
