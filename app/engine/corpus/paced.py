"""Procedural samples whose length is not fixed by their count (issue 11, session 34).

In the corpus the length of a counted action follows from its count: a jump takes 0.6 s plus 1.3-1.6 s per
jump, a turn of 180 degrees about 3.7 s, a jumping jack 1.2-1.4 s. A model trained on it learns "length ->
how many repetitions / how far to turn" and fills a longer request with more repetitions ("a person jumps
once" at 4 s gave two jumps in every seed), a shorter one with less turning.

These samples break that coupling the way people do: a counted atom (a ``reps`` count, spin turns or a turn
angle), sometimes repeated, with a random standing lead-in and tail cut from the ``idle`` atom and, where the
atom is not airborne and its text has no speed or style word, a random tempo. The text names the action only
(the corpus's own templates: a standing pause is not an action). Sample ``i`` is deterministic in
``(seed, i)`` from its own random stream, with its own 80/10/10 split draw (:func:`paced_split`), like
:mod:`.start_states`; the text-to-motion cache builder regenerates them (:func:`app.engine.t2m.data.iter_items`).
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment

from . import splits as S
from .compose import compose
from .dataset import FPS, MAX_FRAMES, _choose, _sample_params, finish_extra_sample, iter_extra_samples
from .registry import ATOMS

N_PACED_SAMPLES = 800            # about 640 train, 80 val, 80 test
PACED_STREAM = 9002              # the random stream of these samples (start samples use 9001)
PACED_INDEX_OFFSET = 2_000_000   # split draw of sample i: procedural_split(offset + i)
LEAD_S = (0.0, 1.0)              # standing before the action (drawn for 40 % of the samples)
TAIL_S = (0.4, 3.0)              # standing after it
TEMPO = (0.8, 1.25)              # time scale (> 1: slower), for 70 % of the samples that may take one
REPEATS = ((1, 2, 3), (0.75, 0.15, 0.1))


def counted_atoms() -> list[str]:
    """Standing atoms whose text carries a count or an angle: a ``reps`` or ``turns`` count, or ``turn``."""
    return sorted(n for n, s in ATOMS.items() if s.start == s.end == "stand"
                  and ({"reps", "turns"} & set(s.params) or n == "turn"))


def paced_split(index: int, seed: int = 0) -> str:
    """Split of paced sample ``index``."""
    return S.procedural_split(PACED_INDEX_OFFSET + int(index), seed)


def _tempo_ok(name: str, params: dict) -> bool:
    """A tempo change keeps the text true: not airborne (flight time is gravity's), no slow/fast/style word."""
    return (not ATOMS[name].airborne and params.get("speed", "normal") == "normal"
            and params.get("style", "normal") == "normal")


def _retimed(clip: MotionClip, scale: float) -> MotionClip:
    """The clip played ``scale`` times slower (resampled back to its own frame rate)."""
    if scale == 1.0:
        return clip
    slow = MotionClip(clip.fps / scale, clip.trans, clip.rotations, clip.skeleton, clip.betas, clip.gender,
                      [Segment(s.start * scale, s.end * scale, s.text, s.label) for s in clip.segments],
                      clip.name, clip.text)
    return slow.resample(clip.fps)


def make_paced_sample(index: int, seed: int = 0) -> tuple[MotionClip, list[str], str, dict]:
    """Paced sample ``index``: (clip, texts, split, meta), like :func:`.dataset.make_sample`."""
    split = paced_split(index, seed)
    is_test = split == "test"
    rng = np.random.default_rng([seed, PACED_STREAM, int(index)])
    name = _choose(rng, counted_atoms())
    lead = float(rng.uniform(*LEAD_S)) if rng.random() < 0.4 else 0.0
    tail = float(rng.uniform(*TAIL_S))
    for _ in range(20):
        params = _sample_params(name, rng, None if is_test else False)
        k = int(rng.choice(REPEATS[0], p=REPEATS[1]))
        tempo_ok = _tempo_ok(name, params) and rng.random() < 0.7
        scale = float(np.exp(rng.uniform(*np.log(TEMPO)))) if tempo_ok else 1.0
        atoms = [(name, params)] * k
        seq = [("idle", {"duration": 2.0})] + atoms + [("idle", {"duration": max(1.5, tail + 0.5)})]
        full = _retimed(compose(seq, rng, FPS), scale)
        first, last = full.segments[0], full.segments[-1]
        f0 = int(round(max(first.end - lead * scale, 0.0) * FPS))
        if int(round(last.start * FPS)) + int(TAIL_S[0] * FPS) - f0 <= MAX_FRAMES:
            break  # the whole action and at least the shortest tail fit
    f1 = min(int(round(min(last.start + tail * scale, last.end) * FPS)) + 1, f0 + MAX_FRAMES)
    clip = full.slice(f0, min(f1, f0 + MAX_FRAMES))
    texts, meta = finish_extra_sample(clip, atoms, rng, is_test, "paced",
                                      lead_s=round(clip.segments[0].end if lead else 0.0, 3),
                                      tail_s=round(clip.duration - clip.segments[-1].start, 3), tempo=round(scale, 3))
    return clip, texts, split, meta


def iter_paced_samples(split: str, seed: int = 0, n: int = N_PACED_SAMPLES):
    """(id, clip, texts, meta) of the paced samples of one split."""
    return iter_extra_samples(make_paced_sample, paced_split, "paced", split, seed, n)
