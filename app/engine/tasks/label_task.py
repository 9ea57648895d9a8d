"""Studio task: label a motion or a video with the recogniser's actions, next to what was asked.

``label_task(source, segments)`` runs on the engine thread (progress, cancel): a MotionClip (a
generation, an opened file) is recognised as is; a video is first tracked (BlazePose ->
SMPL-22 fit, :func:`app.engine.recognition.inputs.video_to_clip`; tests pass a stub
``tracker``), put on the floor and returned with its joints, so the studio can show the tracked
body. The result holds both lanes (:mod:`app.engine.recognition.lanes`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generator, Iterable

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress
from app.engine.recognition.lanes import ActionLanes, lanes_from_result
from app.engine.tasks.recognize_task import recognize_task
from app.engine.tasks.steps import sub_task

log = logging.getLogger(__name__)


@dataclass
class LabelResult:
    """Lanes for a clip; for a video also the tracked clip with its world joints and foot contacts."""

    lanes: ActionLanes
    clip: MotionClip
    source: str = ""
    tracked: bool = False  # the clip was tracked from a video
    joints: np.ndarray | None = None
    contacts: np.ndarray | None = None


def on_floor(clip: MotionClip) -> MotionClip:
    """The clip moved up or down so the 10th percentile of its lowest joint is at y = 0."""
    low = clip.joints()[..., 1].min(axis=1)
    out = clip.copy()
    out.trans[:, 1] -= float(np.percentile(low, 10))
    return out


def _track(path: Path, tracker: Callable | None) -> Generator[Any, None, MotionClip]:
    if tracker is None:
        from app.engine.recognition.inputs import video_to_clip
        try:
            import mediapipe  # noqa: F401
        except ImportError:
            raise InvalidInputError("tracking a person in a video needs BlazePose (mediapipe), which is not "
                                    "installed") from None
        tracker = video_to_clip
    clip = yield from tracker(path)
    clip = on_floor(clip)
    clip.name = clip.name or path.stem
    return clip


def label_task(source: str | Path | MotionClip, segments: Iterable[Any] | None = None, pipeline: Any = None,
               tracker: Callable | None = None, model_dir: str | Path | None = None
               ) -> Generator[Progress, None, LabelResult]:
    """Recognise `source` and judge it against `segments` (default: the clip's own segments)."""
    from app.engine.recognition.inputs import is_video, load_motion_input
    from app.engine.tasks.recognize_task import get_pipeline

    tracked = False
    name = ""
    if isinstance(source, MotionClip):
        clip = source
    else:
        path = Path(source)
        name = path.name
        if is_video(path):
            if not path.is_file():
                raise InvalidInputError(f"{path}: no such file")
            yield Progress(0.0, f"tracking the body in {path.name}")
            clip = yield from sub_task(_track(path, tracker), 0.0, 0.85)
            tracked = True
        else:
            clip = load_motion_input(path)
    pipe = pipeline or get_pipeline(model_dir)
    result = yield from sub_task(recognize_task(clip, pipeline=pipe), 0.85 if tracked else 0.1, 0.97)
    if tracked:
        result.warnings.append("video: body tracked hip-centred (no root travel)")
    segs = list(clip.segments if segments is None else segments)
    lanes = lanes_from_result(result, segs, pipe.labels, float(getattr(pipe.cfg, "unknown_threshold", 0.5)))
    out = LabelResult(lanes, clip, name, tracked)
    if tracked:
        out.joints = clip.joints().astype(np.float32)
        try:
            from app.viewers.scene import foot_contacts
            out.contacts = np.asarray(foot_contacts(out.joints, clip.fps), dtype=bool)
        except Exception:  # noqa: BLE001 - markers are optional
            log.debug("foot contacts unavailable", exc_info=True)
    yield Progress(1.0, "done")
    log.info("%s: %s", name or clip.name or "motion", lanes.summary())
    return out
