"""Text conditions for text-to-motion: the pooled sentence vector, per-token states and slots.

A pooled MiniLM vector barely separates "left hand" from "right hand" (cosine 0.989), so ATOM
also reads the encoder's per-token outputs (its public code's ``use_word_emb`` option) and four
explicit **slots** read from the prompt with a small lexicon:

- ``side``: 0 unnamed, 1 left, 2 right, 3 both (the last side word named wins over none);
- ``direction``: 0 unnamed, 1 forward, 2 backward, 3 sideways, 4 around, 5 up, 6 down;
- ``speed``: 0 unnamed, 1 slow, 2 fast;
- ``reps``: 0 unnamed, else the count named ("twice", "3 times", "four squats"), capped at 10.

:class:`TextCond` bundles the arrays for a batch; :func:`as_text_cond` turns what a text encoder
returns (a plain [N, 384] array from a stand-in encoder, or a dict) into one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

N_SLOTS = 4
SLOT_SIZES = (4, 7, 3, 11)  # side, direction, speed, reps
MAX_TEXT_TOKENS = 40

_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "a couple of": 2, "a pair of": 2, "couple of": 2, "several": 3, "a few": 3}
_REPS_WORD = {"once": 1, "twice": 2, "thrice": 3}
_VAGUE = {"several", "a few"}  # a count the clock is not held to (clock_cycles)
_GAIT_NOUNS = {"step", "steps", "stride", "strides", "pace", "paces"}  # two per gait cycle
_COUNT = re.compile(r"\b(\d+|" + "|".join(sorted((re.escape(k) for k in _NUM), key=len, reverse=True))
                    + r")\s+(?:(?:more|quick|slow|big|small|high|low|short|long|light|deep|full|forward|vertical)\s+)?"
                      r"([a-z\-]+)")
_NOT_COUNTED = {"degrees", "degree", "meters", "metres", "seconds", "second", "hands", "arms", "legs", "feet",
                "of", "and", "or", "to", "in", "the",
                # "on one leg", "one hand", "one knee": which limb, not how often
                "leg", "foot", "hand", "arm", "knee", "fist", "side", "elbow", "shoulder", "finger", "toe"}
_DIRECTION = [(r"\bbackwards?\b|\bin reverse\b|\bbacks? up\b|\breverse\b|\bbackpedal", 2),
              (r"\bsideways\b|\bsidesteps?\b|\bside[- ]steps?\b|\blaterally\b|\bto the side\b", 3),
              (r"\baround\b|\bcircles?\b|\bturns? round\b|\bfull turn\b|\b180\b|\b360\b|\bspins?\b", 4),
              (r"\bforwards?\b|\bahead\b|\bstraight\b|\bonward\b", 1),
              (r"\bup\b|\bupwards?\b|\boverhead\b|\babove\b", 5),
              (r"\bdown\b|\bdownwards?\b|\bfloor\b|\bground\b", 6)]
_SLOW = re.compile(r"\bslow(?:ly)?\b|\bleisurely\b|\bgently\b|\bcalmly\b|\bcarefully\b|\bsluggish")
_FAST = re.compile(r"\bfast\b|\bquick(?:ly)?\b|\brapid(?:ly)?\b|\bbriskly\b|\bhurr(?:y|ies|iedly)\b|\bsprint|\bdash")


def parse_slots(text: str) -> np.ndarray:
    """[4] int64 slot ids (side, direction, speed, reps) read from a prompt."""
    t = " " + str(text).lower().replace("-", " ") + " "
    has_l, has_r = bool(re.search(r"\bleft\b", t)), bool(re.search(r"\bright\b", t))
    both = bool(re.search(r"\bboth\b|\btwo hands\b|\btwo arms\b|\beach hand\b|\bleft and right\b|\bright and left\b", t))
    side = 3 if both or (has_l and has_r) else 1 if has_l else 2 if has_r else 0
    direction = next((v for pat, v in _DIRECTION if re.search(pat, t)), 0)
    speed = 1 if _SLOW.search(t) else 2 if _FAST.search(t) else 0
    reps = _named_count(t)[0]
    return np.array([side, direction, speed, min(max(reps, 0), 10)], dtype=np.int64)


def _named_count(t: str) -> tuple[int, str, str]:
    """(count, the number's words, the counted word) in a padded lower-case prompt; (0, "", "") if none."""
    reps, number, noun = 0, "", ""
    for w, n in _REPS_WORD.items():
        if re.search(rf"\b{w}\b", t):
            reps, number = n, w
    if not reps:
        for m in _COUNT.finditer(t):
            word = m.group(2)
            if word in _NOT_COUNTED:
                continue
            num = m.group(1)
            # digits: capped below anyway; int() of thousands of digits would raise
            reps = (int(num) if len(num.lstrip("0")) <= 3 else 10) if num.isdigit() else _NUM[num]
            number, noun = num, word
            break
    return reps, number, noun


def clock_cycles(text: str) -> float:
    """Rhythm cycles a prompt's count asks for (the clock's ``count_clock``, :func:`.clock.named_cycles`):
    the count (capped at 10); half of it for steps, one gait cycle being two steps; 0 where no count or
    only a vague one is named ("a few", "several")."""
    reps, number, noun = _named_count(" " + str(text).lower().replace("-", " ") + " ")
    if not reps or number in _VAGUE:
        return 0.0
    return min(reps, 10) / (2.0 if noun in _GAIT_NOUNS else 1.0)


@dataclass
class TextCond:
    """Text condition of a batch: pooled [B, D], tokens [B, L, D], token mask [B, L] (True = real), slots [B, 4]."""

    pooled: np.ndarray
    tokens: np.ndarray
    mask: np.ndarray
    slots: np.ndarray
    cycles: np.ndarray | None = None  # [B] float: clock cycles a count asks for (clock_cycles)

    def __len__(self) -> int:
        return len(self.pooled)

    def to_torch(self, device: Any) -> dict:
        import torch
        return {"text": torch.as_tensor(self.pooled, dtype=torch.float32, device=device),
                "tokens": torch.as_tensor(self.tokens, dtype=torch.float32, device=device),
                "token_mask": torch.as_tensor(self.mask, dtype=torch.bool, device=device),
                "slots": torch.as_tensor(self.slots, dtype=torch.long, device=device),
                **({} if self.cycles is None else
                   {"cycles": torch.as_tensor(self.cycles, dtype=torch.float32, device=device)})}


def as_text_cond(encoded: Any, texts: list[str]) -> TextCond:
    """A TextCond from an encoder's output: an [N, D] array (the pooled vector stands in for the
    tokens) or a dict with 'pooled', 'tokens', 'mask' (slots always come from the texts)."""
    slots = np.stack([parse_slots(t) for t in texts]) if texts else np.zeros((0, N_SLOTS), np.int64)
    cycles = np.array([clock_cycles(t) for t in texts], np.float32)
    if isinstance(encoded, dict):
        return TextCond(np.asarray(encoded["pooled"], np.float32), np.asarray(encoded["tokens"], np.float32),
                        np.asarray(encoded["mask"], bool), slots, cycles)
    pooled = np.asarray(encoded, np.float32)
    return TextCond(pooled, pooled[:, None].copy(), np.ones((len(pooled), 1), bool), slots, cycles)


def encode_text_cond(texts: list[str]) -> dict:
    """Pooled vectors and per-token states of the frozen MiniLM (at most MAX_TEXT_TOKENS tokens)."""
    from app.engine.text_encoder import TextEncoder
    enc = TextEncoder.get()
    pooled = enc.encode(texts)
    tokens, mask = enc.encode_tokens(texts)
    return {"pooled": pooled, "tokens": tokens[:, :MAX_TEXT_TOKENS], "mask": mask[:, :MAX_TEXT_TOKENS]}


def pad_tokens(items: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length [L_i, D] token arrays into [N, Lmax, D] plus a True-where-real mask."""
    length = max(1, max((len(x) for x in items), default=1))
    dim = items[0].shape[-1] if items else 384
    out = np.zeros((len(items), length, dim), np.float32)
    mask = np.zeros((len(items), length), bool)
    for i, x in enumerate(items):
        out[i, :len(x)] = x
        mask[i, :len(x)] = True
    return out, mask
