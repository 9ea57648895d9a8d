"""Runs the recogniser for the studio and keeps the action lanes in :class:`~.studio_state.StudioState`.

- Every generated motion (a clip the studio shows as made here, ``state.unsaved_clip``) is
  recognised as soon as it is shown, while ``state.auto_label`` is on; its prompt spans are the
  asked lane.
- Motion > Recognise actions (``state.request_recognition()``) labels the shown clip on request
  (an opened file's segments, if any, are the asked lane).
- :meth:`recognize_video` tracks the body in a video, shows it in the viewport (not as unsaved
  work) and its actions in the lanes.

Work runs on the engine (:func:`app.engine.tasks.label_task.label_task`: progress and Cancel in
the Jobs panel); results are remembered per clip, so going back to a sample shows its lanes at
once. ``pipeline`` and ``tracker`` may be replaced (tests: a stub recogniser or tracker).
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject

from app.engine.jobs import Job
from app.engine.tasks.label_task import LabelResult, label_task

from .studio_tasks import LoadedClip

if TYPE_CHECKING:
    from .studio_state import StudioState

log = logging.getLogger(__name__)

CACHE_SIZE = 64


class RecognitionController(QObject):
    """Submits recognition jobs and puts their lanes into the studio state."""

    def __init__(self, state: "StudioState", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.pipeline: Any = None          # None: models/recognition, loaded once on the engine
        self.tracker: Callable | None = None  # None: BlazePose + SMPL-22 fit
        self.job: Job | None = None         # labelling the shown clip
        self.video_job: Job | None = None   # tracking and labelling a video
        self.last_error: str | None = None
        self._cache: OrderedDict[int, tuple[Any, Any]] = OrderedDict()  # id(clip) -> (clip, lanes)
        state.clipChanged.connect(self._clip_changed)
        state.recognizeRequested.connect(self.recognize_current)

    # --- cache ----------------------------------------------------------------------------
    def lanes_for(self, clip: Any) -> Any:
        hit = self._cache.get(id(clip))
        return hit[1] if hit is not None and hit[0] is clip else None

    def _remember(self, clip: Any, lanes: Any) -> None:
        self._cache[id(clip)] = (clip, lanes)
        self._cache.move_to_end(id(clip))
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    # --- triggers -------------------------------------------------------------------------
    def _clip_changed(self, loaded: Any) -> None:
        clip = getattr(loaded, "clip", None)
        if self.job is not None and not self.job.state.finished:
            self.job.cancel()  # it was for the clip shown before
        lanes = self.lanes_for(clip)
        self.state.set_lanes(lanes)
        if self.video_job is None or self.video_job.state.finished:
            self.state.set_lanes_status("")  # (a video still being tracked keeps saying so)
        generated = clip is not None and clip is self.state.unsaved_clip
        if lanes is None and generated and self.state.auto_label:
            self.recognize(clip)

    def recognize_current(self) -> Job | None:
        """Motion > Recognise actions: label the shown clip (again)."""
        clip = self.state.clip
        if clip is None:
            self.state.message("no motion to recognise: open or generate one first")
            return None
        return self.recognize(clip)

    def recognize(self, clip: Any) -> Job | None:
        """Label `clip` on the engine; its lanes appear when it is (still) the shown clip."""
        if self.job is not None and not self.job.state.finished:
            self.job.cancel()
        self.state.set_lanes_status("recognising actions…")
        name = clip.name or "motion"
        self.job = self.state.bridge.run(
            f"Recognise actions: {name[:40]}", label_task, clip, None, self.pipeline,
            on_done=lambda r: self._done(r, clip), on_error=self._failed,
            on_cancel=lambda: self._cancelled(clip))
        return self.job

    def recognize_video(self, path: str | Path) -> Job | None:
        """Track the person in a video, show the tracked body and label its actions."""
        path = Path(path)
        if self.video_job is not None and not self.video_job.state.finished:
            self.video_job.cancel()
        self.state.set_lanes_status(f"tracking the body in {path.name}…")
        self.video_job = self.state.bridge.run(
            f"Recognise actions in {path.name}", label_task, path, None, self.pipeline, self.tracker,
            on_done=self._video_done, on_error=self._failed, on_cancel=lambda: self.state.set_lanes_status(""))
        return self.video_job

    # --- results --------------------------------------------------------------------------
    def _done(self, result: LabelResult, clip: Any) -> None:
        self._remember(clip, result.lanes)
        if self.state.clip is clip:
            self.state.set_lanes_status("")
            self.state.set_lanes(result.lanes)
            self.state.message(result.lanes.summary(), 10000)

    def _video_done(self, result: LabelResult) -> None:
        self._remember(result.clip, result.lanes)
        loaded = LoadedClip(result.clip, None, result.joints, result.contacts)
        self.state.show_clip(loaded, autoplay=True, unsaved=False)  # clipChanged finds the lanes cached
        self.state.message(f"{result.source}: {result.lanes.summary()} (body tracked hip-centred)", 12000)

    def _failed(self, message: str) -> None:
        message = (message or "failed").strip().splitlines()[0]
        self.last_error = message
        self.state.set_lanes_status(f"recognition failed: {message}")
        self.state.message(f"recognition failed: {message}", 15000)

    def _cancelled(self, clip: Any) -> None:
        if self.state.clip is clip:
            self.state.set_lanes_status("")
