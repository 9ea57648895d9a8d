"""Recognise the actions in a motion or a video: an engine task (progress, cancel) and a plain call.

``recognize_task(source)`` is a job generator for the studio; ``recognize_file(path)`` runs
the same steps to completion and returns the JSON-ready dict (what ``main.py recognize``
and batch jobs use).  Routes: "skeleton" (A-TSCN on SMPL-22 joints; videos are tracked with
BlazePose first); "rgb" (SOAR) is not built yet and is refused with a clear message.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Generator

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress
from app.engine.tasks.steps import sub_task

ROUTES = ("skeleton", "rgb", "both")
_PIPES: dict[tuple[str, float, str], Any] = {}
_LOCK = threading.Lock()


def get_pipeline(model_dir: str | Path | None = None, device: str | None = None):
    """A cached :class:`RecognitionPipeline` for ``model_dir`` (default models/recognition)."""
    from app.engine.recognition.pipeline import DEFAULT_DIR, RecognitionPipeline

    path = Path(model_dir) if model_dir else DEFAULT_DIR
    cfg = path / "config.json"
    key = (str(path.resolve()), cfg.stat().st_mtime if cfg.is_file() else 0.0, device or "")
    with _LOCK:
        if key not in _PIPES:
            _PIPES[key] = RecognitionPipeline.from_pretrained(path, device)
        return _PIPES[key]


def check_route(route: str) -> list[str]:
    """Warnings for a route; raises for routes that cannot run."""
    if route not in ROUTES:
        raise InvalidInputError(f"unknown route {route!r}; use one of {', '.join(ROUTES)}")
    if route == "rgb":
        raise InvalidInputError("the RGB route (SOAR) is not available yet; use --route skeleton")
    return ["the RGB route (SOAR) is not available yet: skeleton route only"] if route == "both" else []


def recognize_task(source: str | Path | MotionClip, model_dir: str | Path | None = None, route: str = "skeleton",
                   pipeline: Any = None) -> Generator[Progress, None, Any]:
    """Task: load the model, read (or track) the motion, recognise; returns a RecognitionResult."""
    from app.engine.recognition.inputs import is_video, load_motion_input, video_to_clip

    warnings = check_route(route)
    yield Progress(0.0, "loading the recogniser")
    pipe = pipeline or get_pipeline(model_dir)
    if isinstance(source, MotionClip):
        clip = source
    elif is_video(source):
        try:
            import mediapipe  # noqa: F401
        except ImportError:
            raise InvalidInputError("video input needs BlazePose (mediapipe), which is not installed; "
                                    "videos otherwise need the RGB route") from None
        clip = yield from sub_task(video_to_clip(source), 0.05, 0.9)
        warnings.append("video: body tracked hip-centred (no root travel)")
    else:
        clip = load_motion_input(source)
    yield Progress(0.92, "recognising")
    result = pipe.recognize(clip)
    result.warnings += warnings
    yield Progress(1.0, "done")
    return result


def recognize_file(path: str | Path, model_dir: str | Path | None = None, route: str = "skeleton",
                   pipeline: Any = None) -> dict:
    """Run :func:`recognize_task` to completion; the result as a dict with ``input`` added."""
    gen = recognize_task(path, model_dir, route, pipeline)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return {"input": str(path), **stop.value.to_dict()}
