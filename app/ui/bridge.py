"""EngineBridge: engine job events (engine thread) -> Qt signals (GUI thread).

The engine calls its listeners on its own worker thread. The bridge re-emits
each event through a queued connection, so every slot connected to the public
signals, and every ``on_done``/``on_error`` callback given to :meth:`EngineBridge.run`,
runs on the thread that owns the bridge (the GUI thread).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.engine.jobs import Engine, Job, JobState

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals per second per job


class EngineBridge(QObject):
    """Qt face of an :class:`Engine`; create it on the GUI thread."""

    jobQueued = Signal(object)
    jobStarted = Signal(object)
    jobProgress = Signal(object)
    jobFinished = Signal(object)
    _event = Signal(object, str)  # internal: crosses from the engine thread

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._callbacks: dict[int, tuple[Callable | None, Callable | None, Callable | None]] = {}
        self._last_progress: dict[int, float] = {}
        self._lock = threading.Lock()
        self._event.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        engine.subscribe(self._on_engine_event)

    # --- engine thread ------------------------------------------------
    def _on_engine_event(self, job: Job, event: str) -> None:
        if event == "progress":
            now = time.monotonic()
            with self._lock:
                if now - self._last_progress.get(job.id, 0.0) < PROGRESS_INTERVAL_S:
                    return
                self._last_progress[job.id] = now
        self._event.emit(job, event)

    # --- GUI thread -----------------------------------------------------
    @Slot(object, str)
    def _deliver(self, job: Job, event: str) -> None:
        if event == "queued":
            self.jobQueued.emit(job)
        elif event == "started":
            self.jobStarted.emit(job)
        elif event == "progress":
            if not job.state.finished:
                self.jobProgress.emit(job)
        else:
            with self._lock:
                self._last_progress.pop(job.id, None)
            self.jobFinished.emit(job)
            self._dispatch(job)

    def _dispatch(self, job: Job) -> None:
        on_done, on_error, on_cancel = self._callbacks.pop(job.id, (None, None, None))
        try:
            if job.state == JobState.DONE and on_done is not None:
                on_done(job.result)
            elif job.state == JobState.FAILED and on_error is not None:
                on_error(job.error or "failed")
            elif job.state == JobState.CANCELLED and on_cancel is not None:
                on_cancel()
        except Exception:  # noqa: BLE001 - a callback bug must not kill the event loop
            log.exception("callback of job %s failed", job.name)

    def run(self, name: str, task: Callable[..., Any], *args: Any,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[str], None] | None = None,
            on_cancel: Callable[[], None] | None = None, **kwargs: Any) -> Job:
        """Submit `task(*args, **kwargs)`; callbacks run on the GUI thread when it finishes."""
        job = self.engine.submit(name, task, *args, **kwargs)
        # Events are queued, so they cannot be delivered before the callbacks are stored.
        self._callbacks[job.id] = (on_done, on_error, on_cancel)
        return job

    def shutdown(self) -> None:
        """Detach from the engine (call before the window closes)."""
        self.engine.unsubscribe(self._on_engine_event)
        self._callbacks.clear()
