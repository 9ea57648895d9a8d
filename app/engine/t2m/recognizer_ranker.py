"""Sample and rank with the action recogniser: keep the draw whose recognised action is the one the text asks for.

A draw's score is ``log sum_a p(a | text) p(a | motion)`` over the atoms the recogniser knows: ``p(a | text)``
from the text -> atoms classifier (:mod:`.text_atoms`, trained on training texts), ``p(a | motion)`` the
recogniser's clip-level probabilities (A-TSCN, :mod:`app.engine.recognition`; trained for recognition, not on
the generator's draws and not on any kinematic predicate).  A text whose atoms the recogniser was never taught
(its held-out "unknown" atoms) gives every draw the same score, so the first draw is kept.

It plugs into :class:`~.pipeline.TextToMotionPipeline` as its ``ranker`` (``score_motions``).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip

from .text_atoms import FILE_NAME, TextAtomClassifier

log = logging.getLogger(__name__)

MIN_KNOWN = 0.5   # rank only where the text's atoms are at least this likely among the recogniser's atoms
ATOM_DIR = Path(__file__).resolve().parents[3] / "models" / "atom"


class RecognizerRanker:
    """Scores candidate motions for their texts with a recogniser and a text -> atoms classifier."""

    def __init__(self, recognizer, text_atoms: TextAtomClassifier,
                 encode: Callable[[list[str]], np.ndarray] | None = None) -> None:
        self.recognizer = recognizer
        self.text_atoms = text_atoms
        self.encode = encode
        known = set(recognizer.labels)
        self.columns = [i for i, a in enumerate(text_atoms.labels) if a in known]
        self.rec_index = [recognizer.labels.index(text_atoms.labels[i]) for i in self.columns]

    @classmethod
    def from_pretrained(cls, recognizer_dir: str | Path | None = None, text_atoms: str | Path | None = None,
                        device: str | None = None) -> "RecognizerRanker":
        from app.engine.recognition.pipeline import DEFAULT_DIR, RecognitionPipeline
        rec = RecognitionPipeline.from_pretrained(recognizer_dir or DEFAULT_DIR, device)
        return cls(rec, TextAtomClassifier.load(text_atoms or ATOM_DIR / FILE_NAME))

    def _text_probs(self, texts: list[str]) -> np.ndarray:
        if self.encode is None:
            from app.engine.text_encoder import TextEncoder
            self.encode = TextEncoder.get().encode
        return self.text_atoms.probs(np.asarray(self.encode(list(texts))))

    def motion_probs(self, clip: MotionClip) -> np.ndarray | None:
        """The recogniser's clip-level probabilities over its labels (None: too short to recognise)."""
        try:
            pose, motion = self.recognizer.features(clip)
        except InvalidInputError:
            return None
        return np.asarray(self.recognizer.raw(pose, motion)["clip_prob"], np.float64)

    def score_motions(self, clips: list[MotionClip], texts: list[str]) -> np.ndarray:
        """One score per (clip, text) pair; higher = the recognised action matches the text better."""
        uniq = list(dict.fromkeys(texts))
        pt = self._text_probs(uniq)[:, self.columns].astype(np.float64)
        mass = pt.sum(1)
        scores = np.zeros(len(clips))
        for i, (clip, text) in enumerate(zip(clips, texts)):
            j = uniq.index(text)
            if mass[j] < MIN_KNOWN:
                continue
            pm = self.motion_probs(clip)
            if pm is not None:
                scores[i] = float(np.log(pt[j] / mass[j] @ pm[self.rec_index] + 1e-6))
        return scores


def load_recognizer_ranker(model_dir: str | Path, device: str | torch.device | None = None) -> RecognizerRanker | None:
    """The ranker of a text-to-motion model folder holding ``text_atoms.npz`` (None without it or without a
    trained recogniser)."""
    from app.engine.recognition.pipeline import DEFAULT_DIR
    file = Path(model_dir) / FILE_NAME
    if not file.is_file() or not (DEFAULT_DIR / "model.safetensors").is_file():
        return None
    try:
        return RecognizerRanker.from_pretrained(DEFAULT_DIR, file, None if device is None else str(device))
    except Exception as exc:  # a broken optional ranker must not stop generation
        log.warning("recogniser ranker not loaded: %s", exc)
        return None
