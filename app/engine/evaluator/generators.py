"""Registry of text-to-motion generators that `eval-motion --model NAME` can evaluate.

A generator is ``fn(texts: list[str], seed: int) -> list[MotionClip]`` (one clip per text, in
order, SMPL-22; any frame rate, resampled to 20 fps for evaluation).  Register one with
``register_generator("name", fn)`` from the module that defines the model; ``evaluate_model``
feeds it the canonical text of every item of the split.

``real`` is built in: it is not a generator but the ground-truth reference row
(:func:`.evaluate.reference_row`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from app.core.motion import MotionClip
from app.engine.corpus.dataset import DEFAULT_DIR as CORPUS_DIR
from app.engine.corpus.dataset import load_corpus

Generator = Callable[[list[str], int], list[MotionClip]]
_REGISTRY: dict[str, Generator] = {}
REFERENCE = "real"


def register_generator(name: str, fn: Generator, replace: bool = False) -> None:
    """Make `fn` available as `eval-motion --model name`."""
    if name == REFERENCE:
        raise ValueError(f"{REFERENCE!r} is reserved for the ground-truth row")
    if name in _REGISTRY and not replace:
        raise ValueError(f"generator {name!r} is already registered")
    _REGISTRY[name] = fn


def unregister_generator(name: str) -> None:
    _REGISTRY.pop(name, None)


_BUILTIN_LOADED: list[bool] = []


def _load_builtin() -> None:
    """Register the text-to-motion models shipped in models/ (atom, mdm) once, lazily."""
    if not _BUILTIN_LOADED:
        _BUILTIN_LOADED.append(True)
        try:
            from app.engine.t2m.evaluation import register_generators
            register_generators()
        except Exception:  # noqa: BLE001 - a broken model must not break the evaluator
            import logging
            logging.getLogger(__name__).warning("text-to-motion generators unavailable", exc_info=True)


def available() -> list[str]:
    """Names accepted by --model (the reference first)."""
    _load_builtin()
    return [REFERENCE] + sorted(_REGISTRY)


def evaluate_model(name: str, split: str = "test", seed: int = 0, corpus: str | Path = CORPUS_DIR,
                   evaluator=None) -> dict:
    """The table row of generator `name` (or the ground-truth row for 'real') on `split`."""
    from .evaluate import evaluate_motions, reference_row
    if name == REFERENCE:
        return reference_row(split, evaluator=evaluator, corpus=corpus, seed=seed)
    _load_builtin()
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(available())}")
    texts = [it.texts[0] for it in load_corpus(corpus, split)]
    clips = _REGISTRY[name](texts, seed)
    if len(clips) != len(texts):
        raise ValueError(f"generator {name!r} returned {len(clips)} clips for {len(texts)} texts")
    for clip, text in zip(clips, texts):
        clip.text = text  # R-precision is measured against the prompt
    return evaluate_motions(clips, split, evaluator=evaluator, corpus=corpus, seed=seed)
