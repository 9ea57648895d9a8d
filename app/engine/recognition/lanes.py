"""Asked vs seen: the two action lanes the studio draws under the timeline, and the benchmark's
"recogniser agrees with the prompt" judgement.

The *asked* lane is the motion's own segments (a generation's prompt spans, a corpus file's
atoms), each read as an atom (:mod:`.prompt_atoms`); the *seen* lane is the recogniser's
localised actions. Each asked span is judged by the seen label covering most of it; each seen
span by the asked span it overlaps most. Statuses: ``agree``, ``disagree``, ``unknown`` (the
recogniser does not know the action, and nothing asked an action it never learned) and ``none``
(nothing to compare with: no asked span, or an asked text no rule reads).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .prompt_atoms import TEXT_RULES, UNKNOWN, agrees, atom_for_text, expected_label

AGREE, DISAGREE, UNKNOWN_STATUS, NONE = "agree", "disagree", "unknown", "none"
ALL_ATOMS = frozenset(a for a, _ in TEXT_RULES)


@dataclass
class LaneSpan:
    """One span of a lane, in seconds; ``label`` an atom, "unknown" or None (not read)."""

    start_s: float
    end_s: float
    label: str | None
    text: str = ""
    status: str = NONE
    confidence: float | None = None
    other: str | None = None  # the label it was compared with
    expect: str | None = None  # asked spans: what the recogniser should say ("unknown" for an atom it never learned)

    def overlap(self, a: float, b: float) -> float:
        return max(0.0, min(self.end_s, b) - max(self.start_s, a))


@dataclass
class ActionLanes:
    """What was asked and what the recogniser sees, span by span, plus its clip-level answer."""

    asked: list[LaneSpan]
    seen: list[LaneSpan]
    duration_s: float
    clip_label: str = ""
    uncertainty: float = 0.0
    model: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def judged(self) -> list[LaneSpan]:
        return [s for s in self.asked if s.status in (AGREE, DISAGREE)]

    def summary(self) -> str:
        """One line for the status bar, e.g. 'recogniser agrees on 1 of 2 asked span(s) (1 unknown)'."""
        seen = ", ".join(dict.fromkeys(s.label or "?" for s in self.seen)) or "nothing"
        asked = [s for s in self.asked if s.status != NONE]
        if not asked:
            return f"recogniser sees: {seen}"
        ok = sum(s.status == AGREE for s in asked)
        unknown = sum(s.status == UNKNOWN_STATUS for s in asked)
        note = f" ({unknown} seen as unknown)" if unknown else ""
        return f"recogniser agrees on {ok} of {len(asked)} asked span(s){note}; sees: {seen}"


def asked_spans(segments: Iterable[Any], labels: Sequence[str]) -> list[LaneSpan]:
    """A motion's segments as asked spans: an atom-named label is taken as is, otherwise the text is read."""
    out = []
    for seg in segments:
        text = str(getattr(seg, "text", "") or getattr(seg, "label", ""))
        label = str(getattr(seg, "label", ""))
        atom = label if label in ALL_ATOMS else atom_for_text(text)
        out.append(LaneSpan(float(seg.start), float(seg.end), atom, text, expect=expected_label(atom, labels)))
    return out


def dominant(spans: Sequence[LaneSpan], a: float, b: float) -> LaneSpan | None:
    """The span of `spans` that covers most of [a, b) (None when none overlaps)."""
    best = max(spans, key=lambda s: s.overlap(a, b), default=None)
    return best if best is not None and best.overlap(a, b) > 0 else None


def _status(expected: str | None, seen: str | None) -> str:
    if seen == UNKNOWN and expected != UNKNOWN:
        return UNKNOWN_STATUS
    ok = agrees(expected, seen)
    return NONE if ok is None else (AGREE if ok else DISAGREE)


def build_lanes(actions: Sequence[dict], segments: Iterable[Any], labels: Sequence[str], duration_s: float,
                clip_label: str = "", uncertainty: float = 0.0, model: str = "",
                warnings: Sequence[str] = ()) -> ActionLanes:
    """Both lanes, judged against each other; `actions` as the recogniser's JSON gives them."""
    asked = asked_spans(segments, labels)
    seen = [LaneSpan(float(a["start_s"]), float(a["end_s"]), str(a["label"]), str(a["label"]),
                     confidence=float(a.get("confidence", 0.0))) for a in actions]
    for s in asked:
        d = dominant(seen, s.start_s, s.end_s)
        s.other = d.label if d else None
        s.status = _status(s.expect, s.other) if s.expect is not None and d is not None else NONE
    for s in seen:
        d = dominant(asked, s.start_s, s.end_s)
        s.other = d.label if d else None
        s.status = _status(d.expect if d else None, s.label)
    return ActionLanes(asked, seen, float(duration_s), clip_label, float(uncertainty), model, list(warnings))


def lanes_from_result(result: Any, segments: Iterable[Any], labels: Sequence[str],
                      unknown_threshold: float) -> ActionLanes:
    """:func:`build_lanes` from a :class:`~.pipeline.RecognitionResult`."""
    return build_lanes(result.actions, segments, labels, result.duration_s,
                       clip_label(result, unknown_threshold), result.uncertainty, result.model, result.warnings)


def clip_label(result: Any, unknown_threshold: float) -> str:
    """The recogniser's one label for the whole input: its top atom, or "unknown" when the clip's
    uncertainty exceeds the model's calibrated threshold."""
    if not result.clip or float(result.uncertainty) > float(unknown_threshold):
        return UNKNOWN
    return str(result.clip[0]["label"])


def prompt_agreement(result: Any, asked: Sequence[str | None], spans_s: Sequence[tuple[float, float]],
                     labels: Sequence[str], unknown_threshold: float) -> dict:
    """Does the recogniser agree with a prompt whose parts ask for atoms `asked` (None: no mapping)?

    One part: the clip label against the part's expected label. Several: in each part's span
    (seconds, in order), the seen label covering most of it. ``ok`` is None (n/a) when a part
    has no atom mapping; otherwise True only when every part agrees. ``ok_top`` (one-part prompts
    asking for a learned atom): the clip's top atom agrees, its uncertainty ignored."""
    expected = [expected_label(a, labels) for a in asked]
    top = str(result.clip[0]["label"]) if result.clip else None
    if len(expected) == 1:
        seen = [clip_label(result, unknown_threshold)]
    else:
        actions = [LaneSpan(float(a["start_s"]), float(a["end_s"]), str(a["label"])) for a in result.actions]
        seen = [(d.label if (d := dominant(actions, a, b)) else None) for a, b in spans_s]
    out = dict(ok=None, ok_top=None, expected=expected, seen=seen, top=top)
    if any(e is None for e in expected):
        return out
    out["ok"] = all(bool(agrees(e, s)) for e, s in zip(expected, seen))
    if len(expected) == 1 and expected[0] != UNKNOWN:  # closed set: the top atom, uncertainty ignored
        out["ok_top"] = bool(agrees(expected[0], top))
    return out
