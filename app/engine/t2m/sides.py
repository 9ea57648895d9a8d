"""A side for one-sided actions whose prompt leaves it open: "someone waves" -> "... with the right hand".

In the corpus every one-sided action names its side ("waves with the left hand", "turns around to
the right"), and the text path reads it (word states + the ``side`` slot of :mod:`.text_cond`).
A prompt without one asks for the average of left and right, which is no motion a person makes:
both hands half raised instead of a wave, a 30-degree wobble instead of turning around. So, as
with any attribute a prompt leaves open, one value is drawn per sample (from the seed; either side
equally often; the samples of one generation alternate) and said in the span's text, where the
timeline shows it. The model then generates the motion as for a prompt that named the side.

The action is read with the recogniser's prompt rules (:func:`atom_for_text`); actions that are
two-sided or natural without a side (raising the arms, arm circles, spins, side bends, claps) are
left alone, as is any prompt that names a side, both sides or alternation.
"""
from __future__ import annotations

import re

import numpy as np

from app.engine.recognition.prompt_atoms import atom_for_text

from .text_cond import parse_slots

HAND, LEG = "with the {side} hand", "with the {side} leg"
SIDE_PHRASE: dict[str, str] = {
    "wave": HAND, "punch": HAND, "throw": HAND, "reach_forward": HAND, "point": HAND, "drink": HAND,
    "scratch_head": HAND,
    "kick": LEG, "lunge": LEG, "knee_raise": LEG, "hop": "on the {side} leg", "kneel": "on the {side} knee",
    "step_up": "with the {side} foot",
    "turn": "to the {side}", "side_step": "to the {side}", "jump_sideways": "to the {side}",
    "walk_circle": "to the {side}",
}
_OPEN = re.compile(r"\balternat|\beither\b|\beach (?:hand|arm|leg|foot|side)\b|\bone after the other\b|"
                   r"\bboth (?:ways|directions|sides)\b")


def open_side_atom(text: str) -> str | None:
    """The one-sided action a span asks for without naming its side, or None."""
    if parse_slots(text)[0] != 0 or _OPEN.search(text.lower()):
        return None
    atom = atom_for_text(text)
    return atom if atom in SIDE_PHRASE else None


def choose_side(text: str, seed: int, sample: int = 0) -> str:
    """``text`` with a side appended when its action needs one; else unchanged. The first sample's
    side is drawn from ``seed``; the next samples alternate, so a set of samples shows both."""
    atom = open_side_atom(text)
    if atom is None:
        return text
    first = int(np.random.default_rng(int(seed) & 0xFFFFFFFF).random() < 0.5)
    side = ("right", "left")[(first + int(sample)) % 2]
    return f"{text.rstrip(' .;,')} {SIDE_PHRASE[atom].format(side=side)}"
