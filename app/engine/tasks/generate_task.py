"""Engine tasks for text-to-motion in the studio: generate samples, regenerate a span.

Both are generator tasks (see :mod:`app.engine.jobs`): they yield progress between steps
(model load, every model step of the generation (each DDIM step for the diffusion baseline),
joints per sample), so a cancel takes effect at the next step.
Pipelines are loaded once per model name and cached; tests inject their own with
:func:`register_pipeline`. Results carry precomputed world joints and foot contacts so the
GUI thread only displays them.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Generator

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress, relay

log = logging.getLogger(__name__)

MODELS = {"atom": "ATOM", "mdm": "MDM baseline"}
MAX_UI_SAMPLES = 4
_PIPELINES: dict[str, Any] = {}
_LOCK = threading.Lock()


@dataclass
class GenerationRequest:
    """What the prompt panel asks for."""

    text: str
    seconds: float | None = 4.0  # None: the length estimator sizes each action from its text
    seed: int = 0
    num_samples: int = 1
    model: str = "atom"
    foot_lock: bool = True
    rank: bool = True  # each sample the ranker's best of several draws (when models/ranker exists)


@dataclass
class GeneratedSample:
    """One generated motion, ready to show: clip, joints [T,22,3], contacts [T,4], attention [T,K]."""

    clip: MotionClip
    joints: np.ndarray
    contacts: np.ndarray | None
    attention: np.ndarray | None
    skate_before: float = 0.0
    skate_after: float = 0.0


@dataclass
class GenerationResult:
    request: GenerationRequest
    samples: list[GeneratedSample] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    seconds_taken: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. "not learned: backflip; closest learned action: jump"


def register_pipeline(model: str, pipeline: Any) -> None:
    """Use `pipeline` for `model` (tests, or a preloaded pipeline); None forgets it."""
    with _LOCK:
        if pipeline is None:
            _PIPELINES.pop(model, None)
        else:
            _PIPELINES[model] = pipeline


def get_pipeline(model: str) -> Any:
    """The cached pipeline for 'atom' or 'mdm' (loaded from models/<name> on first use)."""
    if model not in MODELS:
        raise InvalidInputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    with _LOCK:
        pipe = _PIPELINES.get(model)
        if pipe is None:
            from app.engine.t2m.pipeline import TextToMotionPipeline
            pipe = TextToMotionPipeline.from_pretrained(model, device="cpu")
            _PIPELINES[model] = pipe
        return pipe


def _contacts(joints: np.ndarray, fps: float) -> np.ndarray | None:
    try:
        from app.viewers.scene import foot_contacts
        return np.asarray(foot_contacts(joints, fps), dtype=bool)
    except Exception:  # noqa: BLE001 - contact markers are optional
        log.debug("foot contacts unavailable", exc_info=True)
        return None


def sample_from_clip(clip: MotionClip, attention: np.ndarray | None, before: float = 0.0,
                     after: float = 0.0) -> GeneratedSample:
    joints = clip.joints().astype(np.float32)
    return GeneratedSample(clip, joints, _contacts(joints, clip.fps), attention, before, after)


def validate_request(req: GenerationRequest) -> GenerationRequest:
    """Cheap checks done before queuing (the pipeline re-checks everything)."""
    from app.engine.t2m.pipeline import plan_spans
    plan_spans(req.text, req.seconds, None)  # empty prompt, bad duration, too many spans
    if not 1 <= int(req.num_samples) <= MAX_UI_SAMPLES:
        raise InvalidInputError(f"samples must be between 1 and {MAX_UI_SAMPLES}, got {req.num_samples}")
    if req.model not in MODELS:
        raise InvalidInputError(f"unknown model {req.model!r}")
    return req


def generate_task(req: GenerationRequest) -> Generator[Any, None, GenerationResult]:
    """Generate `req.num_samples` motions for a prompt (deterministic for a seed)."""
    import time
    validate_request(req)
    t0 = time.perf_counter()
    yield Progress(0.02, f"loading {MODELS[req.model]}")
    pipe = get_pipeline(req.model)
    if hasattr(pipe, "use_ranker"):
        pipe.use_ranker(candidates=None if req.rank else 1)
    message = f"generating {req.num_samples} sample(s)"
    yield Progress(0.15, message)
    kwargs = dict(seed=int(req.seed), num_samples=int(req.num_samples), foot_lock=bool(req.foot_lock))
    if hasattr(pipe, "generate_steps"):  # progress (and cancellation) between model steps
        out = yield from relay(pipe.generate_steps(req.text, req.seconds, **kwargs), 0.15, 0.7, message)
    else:
        out = pipe.generate(req.text, req.seconds, **kwargs)
    result = GenerationResult(req, spans=list(out.spans), notes=list(getattr(out, "notes", [])))
    n = len(out)
    for i, clip in enumerate(out):
        yield Progress(0.7 + 0.3 * i / n, f"preparing sample {i + 1}/{n}")
        att = out.attention[i] if i < len(out.attention) else None
        result.samples.append(sample_from_clip(clip, att, out.skate_before[i], out.skate_after[i]))
    result.seconds_taken = time.perf_counter() - t0
    log.info("generated %d sample(s) of %r in %.2f s", n, req.text[:60], result.seconds_taken)
    yield Progress(1.0, f"{n} sample{'s' if n != 1 else ''} in {result.seconds_taken:.2f} s")   # the Jobs row's last line
    return result


@dataclass
class SpanEdit:
    """A regenerated span: the edited sample and the frames [f0, f1) actually replaced."""

    sample: GeneratedSample
    f0: int
    f1: int
    text: str
    snapped: bool = False
    notes: list[str] = field(default_factory=list)


def regenerate_span_task(clip: MotionClip, f0: int, f1: int, text: str, seed: int = 0, model: str = "atom",
                         foot_lock: bool = True, attention: np.ndarray | None = None
                         ) -> Generator[Any, None, SpanEdit]:
    """`clip` with frames [f0, f1) regenerated from `text`; the attention rows of the span are replaced.

    Span ends within 0.15 s of a segment edge are moved onto it (a selection dragged a frame
    short of a segment replaces the whole segment instead of leaving a sliver of it).
    """
    from app.engine.t2m.pipeline import clean_prompt
    from app.engine.t2m.spans import snap_span
    text = clean_prompt(text)
    a, b = snap_span(clip.segments, int(f0), int(f1), clip.fps, clip.num_frames)
    if (a, b) != (int(f0), int(f1)):
        log.info("span %d-%d snapped to segment edges %d-%d", f0, f1, a, b)
    yield Progress(0.05, f"loading {MODELS.get(model, model)}")
    pipe = get_pipeline(model)
    yield Progress(0.2, f"regenerating frames {a}-{b}")
    new, att = pipe.regenerate_span(clip, a, b, text, seed=int(seed), foot_lock=bool(foot_lock))
    yield Progress(0.8, "computing joints")
    merged = None
    if attention is not None and att is not None and attention.shape[0] == clip.num_frames \
            and attention.shape[1] == att.shape[1]:
        merged = attention.copy()
        merged[a:b] = att
    new.name = clip.name
    vocab = getattr(pipe, "vocabulary", None)
    notes = vocab.notes([text]) if vocab is not None else []
    return SpanEdit(sample_from_clip(new, merged), a, b, text, (a, b) != (int(f0), int(f1)), notes)
