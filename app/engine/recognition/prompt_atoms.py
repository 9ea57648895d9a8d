"""What a prompt asks for, as the recogniser's atoms: prompt text and benchmark predicates -> atoms.

Two mappings, one vocabulary (the corpus's 49 atoms):

- :func:`atom_for_text` reads one prompt span ("a kid hopping on the left foot") with ordered
  keyword rules (:data:`TEXT_RULES`, first match wins; specific phrases before general verbs,
  e.g. "jumping jacks" before "jump", "creeping ... crouched" is a sneak, not a crouch). The
  studio uses it for the "asked" lane. ``None`` when no rule matches (no judgement).
- :func:`atoms_for_part` maps a prompt-suite part (a kinematic predicate name and its
  arguments, ``bench/prompt_suite.py``) to the atoms that count as doing it
  (:data:`PREDICATE_ATOMS`); the benchmark's "recogniser agrees" column uses it.

:func:`agrees` compares an asked atom with a recognised label: equal, or in one of the
:data:`COMPATIBLE` groups (run/jog, the three jumps, turn/spin, raise arms/stretch). An atom the
recogniser was never trained on (held out as unknown) is asked as "unknown": the right answer
of an open-set recogniser is then "unknown".
"""
from __future__ import annotations

import re
from typing import Iterable

UNKNOWN = "unknown"
_DET = r"(?:the |a |his |her |their |your |my |one |both )?"
_SIDE = r"(?:left |right |both )?"

# (atom, pattern) in priority order: the first pattern found in the lower-cased text wins
TEXT_RULES: list[tuple[str, str]] = [
    ("jumping_jacks", r"jumping[ -]?jacks?|star[ -]?jumps?"),
    ("toe_touch", rf"touch\w* {_DET}toes|toe[ -]?touch|bend\w* (?:forward|down) to {_DET}(?:toes|feet)|reach\w* down to {_DET}(?:toes|feet)"),
    ("arm_circles", rf"arm circles?|arms? in circles|circl\w* {_DET}{_SIDE}arms?|windmill"),
    ("clap", r"\bclap|applau"),
    ("lunge", r"\blung"),
    ("side_bend", rf"side[ -]?bend|side stretch|stretch\w* sideways|lean\w* (?:over )?(?:to )?{_DET}(?:left|right|side)|bend\w* (?:over )?to {_DET}(?:left|right|side)"),
    ("torso_twist", rf"\btwist|upper body (?:back|from|left|to)|rotat\w* {_DET}(?:upper body|torso|trunk)"),
    ("march", r"\bmarch"),
    ("sneak", r"\bsneak|\bcreep|\bburglar|stealth|tiptoe\w* (?:forward|along|across|ahead)"),
    ("kneel", r"\bkneel|(?:on|to) one knee"),
    ("squat", r"\bsquat|knee bend"),
    ("calf_raise", rf"tip[ -]?toes|\bheels\b|(?:rise|raise|go)\w* (?:up )?onto {_DET}toes|calf raise|onto {_DET}toes|on {_DET}toes"),
    ("crouch", r"\bcrouch|\bhunker|\bduck"),
    ("stand_up", r"stand\w* (?:back )?up|gets? (?:back )?up\b|get\w* (?:back )?up\b|to (?:their|his|her|your|my) feet|\brises?\b"),
    ("sit_down", r"\bsit\b|\bsits\b|\bsitting|seated|takes? a seat|\bplo[pn]\w* down|settles? (?:down )?onto"),
    ("step_up", r"step\w* up (?:onto|on|and)|step up\b|onto a (?:step|box|platform)"),
    ("kick", r"\bkick"),
    ("knee_raise", rf"\bknees? (?:up|high|raises?)|(?:rais|lift|bring|pull)\w* {_DET}{_SIDE}knee|high knees?"),
    ("hop", r"\bhop|on one (?:leg|foot)|bounce\w* on one"),
    ("jump_forward", r"(?:jump|leap|bound)\w* (?:\w+ )?(?:forward|ahead)|(?:broad|long) jump"),
    ("jump_sideways", rf"(?:jump|leap)\w* (?:over )?(?:to )?{_DET}(?:left|right)\b|(?:jump|leap)\w* sideways"),
    ("jump", r"\bjump|\bleap|\bbounc"),
    ("walk_backward", r"\bbackwards?\b|\bretreat|step\w* back\b|backs? up\b|in reverse"),
    ("side_step", r"side[ -]?step|\bshuffl|(?:step|mov)\w* (?:\w+ )?sideways|steps? to the (?:left|right|side)|\bstrafe"),
    ("walk_circle", r"in (?:a|one) (?:big |small |wide |full )?(?:circle|curve|loop)|round in a|walks? a loop|circles to|on foot in a"),
    ("stop", r"\bhalt|\bstops?\b|stopping|comes? to a stop|standstill|\bbrakes?\b"),
    ("jog", r"\bjog"),
    ("run", r"\brun|\bsprint|\bdash"),
    ("check_watch", r"\bwatch\b|the time\b|wristwatch"),
    ("look_around", r"look\w* (?:a)?round|look\w* left and right|\bglanc|\bscans?\b"),
    ("scratch_head", r"\bscratch|\brubs? (?:the |his |her |their )?head"),
    ("point", r"\bpoint|indicat"),
    ("reach_forward", rf"\breach|(?:extend|stretch)\w* {_DET}{_SIDE}(?:arms? |hands? )?forward"),
    ("drink", r"\bdrink|\bsip|\bcup\b|\bglass\b"),
    ("spin", r"\bspin|pirouette|twirl"),
    ("turn", r"\bturn|face the opposite|about[- ]face|\bpivot|\bdegrees\b|rotates? to\b"),
    ("wave", r"\bwav"),
    ("raise_arms", rf"(?:rais|lift|put|throw|stick)\w* {_DET}{_SIDE}(?:arms?|hands?) (?:\w+ )?(?:up|high|above|over)|"
                   r"\barms? (?:straight )?(?:up|out)\b|hands? (?:high )?(?:above|over) |like a t\b|shoulder height|"
                   rf"(?:rais|lift)\w* {_DET}{_SIDE}(?:arms?|hands?)"),
    ("punch", r"\bpunch|\bjab|\bstrike|\buppercut|\bbox(?:es|ing)? with"),
    ("throw", r"\bthrow|\bpitch|\btoss|\bhurl"),
    ("bow", r"\bbow"),
    ("stretch", r"\bstretch"),
    ("shrug", r"\bshrug"),
    ("hands_on_hips", r"\bhips?\b|\bwaist\b|akimbo"),
    ("cross_arms", rf"(?:cross|fold)\w* {_DET}arms"),
    ("dance", r"\bdanc|\bsway|\bgroov|boogie|to the music"),
    ("stumble", r"\bstumbl|loses? (?:the |his |her |their )?footing|\btrips?\b|\btripping|loses? (?:his |her |their )?balance"),
    ("idle", r"stand\w* (?:still|there|around|idle|in place)|remains? standing|doing nothing|\bidle|\bwait|stays? still"),
    ("walk", r"\bwalk|forward on foot|\bstroll|\bstride|\bpace|\bstep\w* forward|\bgoes forward|\bheads? forward"),
]
_COMPILED = [(atom, re.compile(pat)) for atom, pat in TEXT_RULES]

# groups of atoms that count as the same request (a prompt's "jogger running" may be either)
COMPATIBLE: list[frozenset[str]] = [frozenset({"run", "jog"}), frozenset({"jump", "jump_forward", "jump_sideways"}),
                                    frozenset({"turn", "spin"}), frozenset({"raise_arms", "stretch"})]

# prompt-suite predicate -> the atom it asks for (bench/prompt_suite.py); special cases in atoms_for_part
PREDICATE_ATOMS: dict[str, str] = {
    "walk_forward": "walk", "walk_backward": "walk_backward", "run": "run", "turn": "turn", "side_step": "side_step",
    "walk_circle": "walk_circle", "march": "march", "sneak": "sneak", "stop": "stop", "jump": "jump",
    "jumping_jacks": "jumping_jacks", "hop": "hop", "squat": "squat", "lunge": "lunge", "kick": "kick",
    "knee_raise": "knee_raise", "kneel": "kneel", "sit_floor": "sit_down", "stand_up": "stand_up", "crouch": "crouch",
    "calf_raise": "calf_raise", "wave": "wave", "raise_arms": "raise_arms", "clap": "clap", "punch": "punch",
    "throw": "throw", "hand_to_head": "scratch_head", "bow": "bow", "hands_on_hips": "hands_on_hips",
    "cross_arms": "cross_arms", "arm_circles": "arm_circles", "spin": "spin", "dance": "dance",
    "toe_touch": "toe_touch", "side_bend": "side_bend", "torso_twist": "torso_twist", "idle": "idle",
}


def atom_for_text(text: str) -> str | None:
    """The atom a prompt span asks for, or None when no rule reads it."""
    low = " ".join(str(text).lower().replace("-", " ").split())
    for atom, pat in _COMPILED:
        if pat.search(low):
            return atom
    return None


def atoms_for_part(pred: str, kw: dict | None = None, text: str = "") -> str | None:
    """The atom a prompt-suite part asks for: its predicate's atom, refined by the arguments
    (a jump forward / to a side; hand to head while sipping from a cup is a drink). None: no mapping."""
    kw = kw or {}
    atom = PREDICATE_ATOMS.get(pred)
    if pred == "jump":
        direction = kw.get("direction")
        atom = {"forward": "jump_forward", "left": "jump_sideways", "right": "jump_sideways"}.get(direction, "jump")
    elif pred == "hand_to_head" and re.search(r"\bsip|\bdrink|\bcup\b", text.lower()):
        atom = "drink"
    return atom


def expected_label(atom: str | None, labels: Iterable[str]) -> str | None:
    """What a recogniser with vocabulary `labels` should say for `atom`: the atom itself, "unknown"
    for an atom it never learned, None when nothing is asked."""
    if atom is None:
        return None
    return atom if atom in set(labels) else UNKNOWN


def agrees(expected: str | None, seen: str | None) -> bool | None:
    """Does the recognised label `seen` match the `expected` one (compatible groups count)? None: no judgement."""
    if expected is None or seen is None:
        return None
    if expected == seen:
        return True
    return any(expected in g and seen in g for g in COMPATIBLE)
