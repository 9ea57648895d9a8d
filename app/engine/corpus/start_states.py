"""Procedural samples that start in a pose other than standing (issue 11, session 33).

The corpus chains atoms from a standing start, so an atom that starts on the floor (``stand_up``) only ever
appears right after ``sit_down``, inside a composition: the corpus holds no "gets up from the floor" on its
own. The studio generates each part of a composed prompt on its own ("sit on the floor; then get back up" is
two pieces joined at a seam), so the model must know getting up as a motion that starts seated; having never
seen one, it drew a standing start (the stand-up prompts of the prompt suite failed in every seed, and the
seam pulled the seated end of the part before it back up).

These samples are that missing data: chains whose first atom starts in another state, the rest as the
corpus draws them. Sample ``i`` is deterministic in ``(seed, i)`` like :func:`.dataset.make_sample`, from its
own random stream, and its split is its own 80/10/10 draw (:func:`start_split`), so test samples never train.
They are not stored in the corpus file: the text-to-motion cache builder regenerates them
(:func:`app.engine.t2m.data.iter_items`).
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip

from . import splits as S
from .compose import compose
from .dataset import FPS, MAX_FRAMES, _choose, _sample_names, _sample_params, finish_extra_sample, iter_extra_samples
from .registry import ATOMS

N_START_SAMPLES = 160        # about 128 train, 16 val, 16 test
START_STREAM = 9001          # the random stream of these samples (make_sample uses [seed, index])
START_INDEX_OFFSET = 1_000_000  # split draw of sample i: procedural_split(offset + i), apart from the corpus's
SINGLE_SHARE = 0.6           # the rest: the start atom followed by one or two more


def start_atoms() -> list[str]:
    """Atoms whose first frame is not standing (today: ``stand_up``, which starts seated on the floor)."""
    return sorted(name for name, spec in ATOMS.items() if spec.start != "stand")


def start_split(index: int, seed: int = 0) -> str:
    """Split of start sample ``index``."""
    return S.procedural_split(START_INDEX_OFFSET + int(index), seed)


def make_start_sample(index: int, seed: int = 0) -> tuple[MotionClip, list[str], str, dict]:
    """Start sample ``index``: (clip, texts, split, meta), like :func:`.dataset.make_sample`."""
    split = start_split(index, seed)
    is_test = split == "test"
    rng = np.random.default_rng([seed, START_STREAM, int(index)])
    first = _choose(rng, start_atoms())
    n = 1 if rng.random() < SINGLE_SHARE else int(rng.choice([2, 3]))
    for _ in range(10):
        names = _sample_names(rng, n, allow_heldout_pairs=is_test, forced={0: first}, start=ATOMS[first].start)
        atoms = [(nm, _sample_params(nm, rng, None if is_test else False)) for nm in names]
        clip = compose(atoms, rng, FPS)
        if clip.num_frames <= MAX_FRAMES or n == 1:
            break
        n -= 1
    texts, meta = finish_extra_sample(clip, atoms, rng, is_test, "start", start=ATOMS[first].start)
    return clip, texts, split, meta


def iter_start_samples(split: str, seed: int = 0, n: int = N_START_SAMPLES):
    """(id, clip, texts, meta) of the start samples of one split."""
    return iter_extra_samples(make_start_sample, start_split, "start", split, seed, n)
