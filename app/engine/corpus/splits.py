"""Fixed train/val/test splits of the motion corpus and what the test split holds out.

The test split measures generalisation along four axes; train and val never contain:

(a) phrasings: one description template per atom (``HELDOUT_TEMPLATES``, the last entry of
    ``describe.T[atom]``) is used only for test texts;
(b) parameter ranges (``HELDOUT_RANGES``): e.g. walks faster than 1.6 m/s, waves with 5-6
    repetitions, jumps higher than 0.38 m;
(c) atom transitions (``HELDOUT_PAIRS``): ordered pairs "a then b" never adjacent in train/val;
(d) real motion capture by group (a trial; salsa partners share one): a group's windows all
    land in one split, chosen by a hash of the group name (stable when groups are added).

Everything here is a pure function of its inputs and the seed, so a rebuild reproduces the
splits exactly; ``splits.json`` beside the corpus records the result.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .describe import T, template_ids
from .spec import ATOMS

SPLITS = ("train", "val", "test")
FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}

# (b) atom -> (parameter, description, predicate on the value)
HELDOUT_RANGES: dict[str, tuple[str, str, Callable[[float], bool]]] = {
    "walk": ("speed", "> 1.6 m/s", lambda v: v > 1.6),
    "run": ("speed", "> 4.9 m/s", lambda v: v > 4.9),
    "wave": ("reps", ">= 5 repetitions", lambda v: v >= 5),
    "jump": ("height", "> 0.38 m", lambda v: v > 0.38),
    "squat": ("reps", "= 5 repetitions", lambda v: v >= 5),
    "clap": ("reps", ">= 9 claps", lambda v: v >= 9),
    "kick": ("height", "> 1.0 m", lambda v: v > 1.0),
}

# (c) ordered pairs (first, second) that are never adjacent outside test
HELDOUT_PAIRS: tuple[tuple[str, str], ...] = (
    ("wave", "jump"), ("squat", "walk"), ("clap", "run"), ("bow", "jumping_jacks"), ("kick", "turn"),
    ("look_around", "punch"), ("march", "stretch"), ("throw", "side_step"), ("walk", "sit_down"),
    ("jog", "wave"),
)


def heldout_template_ids(name: str) -> list[int]:
    """(a) Template indices of ``describe.T[name]`` reserved for test texts (the last one)."""
    n = len(T.get(name, ())) or 1
    return [n - 1] if n > 1 else []


def train_template_ids(name: str, params: dict | None = None) -> list[int]:
    """Template indices allowed outside test (fitting `params` when given)."""
    held = set(heldout_template_ids(name))
    ids = template_ids(name, params) if params is not None else list(range(len(T.get(name, [name]))))
    return [i for i in ids if i not in held] or [i for i in range(len(T.get(name, [name]))) if i not in held]


def param_heldout(name: str, params: dict) -> bool:
    """(b) True when the atom's parameters fall in a test-only range."""
    rule = HELDOUT_RANGES.get(name)
    if rule is None or rule[0] not in params:
        return False
    return bool(rule[2](params[rule[0]]))


def pair_heldout(first: str, second: str) -> bool:
    """(c) True for an ordered transition reserved for test."""
    return (first, second) in HELDOUT_PAIRS


def sequence_pairs(names: list[str]) -> list[tuple[str, str]]:
    """Adjacent ordered pairs of distinct atoms in a sequence."""
    return [(a, b) for a, b in zip(names[:-1], names[1:]) if a != b]


def procedural_split(index: int, seed: int) -> str:
    """Split of the procedural sample `index` (80/10/10, fixed by the seed)."""
    u = np.random.default_rng([seed, index, 7]).random()
    return "train" if u < FRACTIONS["train"] else "val" if u < FRACTIONS["train"] + FRACTIONS["val"] else "test"


def group_split(group: str, seed: int = 0) -> str:
    """(d) Split of a real-mocap group: a stable hash of (seed, group) into 80/10/10."""
    h = zlib.crc32(f"{seed}:{group}".encode()) % 1000 / 1000.0
    return "train" if h < FRACTIONS["train"] else "val" if h < FRACTIONS["train"] + FRACTIONS["val"] else "test"


def validate_constants() -> None:
    """Every held-out atom exists and every held-out pair is a legal transition."""
    for name in HELDOUT_RANGES:
        if name not in ATOMS or HELDOUT_RANGES[name][0] not in ATOMS[name].params:
            raise ValueError(f"held-out range refers to unknown atom/parameter {name}")
    for a, b in HELDOUT_PAIRS:
        if a not in ATOMS or b not in ATOMS or ATOMS[a].end != ATOMS[b].start:
            raise ValueError(f"held-out pair {a}->{b} is not a legal transition")


@dataclass(frozen=True)
class SplitPolicy:
    """What the test split holds out, as written to splits.json."""

    seed: int

    def to_dict(self) -> dict:
        return {
            "seed": self.seed, "fractions": FRACTIONS,
            "heldout_templates": {n: {str(i): T[n][i] for i in heldout_template_ids(n)} for n in sorted(T)},
            "heldout_ranges": {n: f"{p} {d}" for n, (p, d, _) in HELDOUT_RANGES.items()},
            "heldout_pairs": [list(p) for p in HELDOUT_PAIRS],
            "real_split": "crc32(f'{seed}:{group}') % 1000 / 1000 -> train < 0.8 <= val < 0.9 <= test",
        }
