"""Left/right mirroring of motions and their texts (HumanML3D's mirrored-twin augmentation).

A motion mirrored in the body's sagittal plane (x -> -x; the skeleton's x axis points to the
body's left) is the same action done with the other side, so its text is the original with
"left" and "right" swapped.  Training on both doubles the data and balances the sides exactly:
the corpus has, for instance, more left than right single punches, and a model that hears
"right" must not fall back on the commoner side.

Rotations: a local rotation R of joint j becomes M R M (M = diag(-1, 1, 1)) on the mirror joint
of j; for an axis-angle vector (x, y, z) that is (x, -y, -z).  Root translation: (-x, y, z).
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from app.core.motion import MotionClip, Segment
from app.core.skeleton import SMPL22_MIRROR, SMPL22_NAMES

_SWAPS = {"left": "right", "right": "left", "clockwise": "counterclockwise",
          "counterclockwise": "clockwise", "anticlockwise": "clockwise", "counter-clockwise": "clockwise"}
_WORDS = re.compile(r"\b(counter-clockwise|counterclockwise|anticlockwise|clockwise|left|right)\b", re.IGNORECASE)


def mirror_text(text: str) -> str:
    """Swap left/right (and clockwise/counterclockwise) words, keeping their capitalisation."""
    def swap(m: re.Match) -> str:
        word = m.group(0)
        new = _SWAPS[word.lower()]
        return new.capitalize() if word[0].isupper() else new
    return _WORDS.sub(swap, text)


def mirror_clip(clip: MotionClip) -> MotionClip:
    """The clip's left/right mirror image (SMPL-22 skeletons only); texts mirrored too."""
    if tuple(clip.skeleton.names) != SMPL22_NAMES:
        raise ValueError("mirroring needs the SMPL-22 joint layout")
    idx = np.asarray(SMPL22_MIRROR)
    rot = clip.rotations[:, idx] * np.array([1.0, -1.0, -1.0])
    trans = clip.trans * np.array([-1.0, 1.0, 1.0])
    segs = [Segment(s.start, s.end, mirror_text(s.text), s.label) for s in clip.segments]
    return replace(clip, trans=trans, rotations=rot, segments=segs, text=mirror_text(clip.text),
                   name=f"{clip.name}~m" if clip.name else "")
