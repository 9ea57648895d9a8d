"""The engine: one worker thread running generator-style tasks from a queue.

A task is a callable returning a generator. The generator yields progress
(a float in [0, 1], a message string, or a :class:`Progress`) between steps and
returns its result with ``return``. Cancellation is checked between steps, so a
task that yields at least every few hundred milliseconds cancels within a second.
Failures become ``failed`` jobs with a one-line message; the thread never dies.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Generator, Iterator

from app.core.errors import ActionStudioError

log = logging.getLogger(__name__)

TaskGenerator = Generator[Any, None, Any]
TaskFunction = Callable[..., TaskGenerator]


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Progress:
    """A progress report: fraction done (None = unknown) and a short message."""

    fraction: float | None = None
    message: str = ""


class Cancelled(Exception):
    """Raised inside a task generator when its job is cancelled."""


@dataclass
class Job:
    """One unit of engine work and its observable state."""

    name: str
    task: TaskFunction
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    id: int = 0
    state: JobState = JobState.QUEUED
    fraction: float | None = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Ask the job to stop at its next step (or never start, if queued)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; True if it did."""
        return self._done.wait(timeout)


Listener = Callable[[Job, str], None]  # (job, event) with event in queued/started/progress/done/failed/cancelled


def _as_progress(item: Any) -> Progress:
    if isinstance(item, Progress):
        return item
    if isinstance(item, (int, float)):
        return Progress(float(item))
    if isinstance(item, str):
        return Progress(None, item)
    if isinstance(item, tuple) and len(item) == 2:
        return Progress(None if item[0] is None else float(item[0]), str(item[1]))
    return Progress(None, "")


def drive(job: Job, emit: Listener | None = None) -> Job:
    """Run one job to completion on the calling thread (used by the engine and by tests)."""
    emit = emit or (lambda j, e: None)
    if job.cancel_requested:
        job.state = JobState.CANCELLED
        job.finished_at = time.monotonic()
        job._done.set()
        emit(job, "cancelled")
        return job
    job.state = JobState.RUNNING
    job.started_at = time.monotonic()
    emit(job, "started")
    gen: Iterator[Any] | None = None
    try:
        gen = job.task(*job.args, **job.kwargs)
        while True:
            if job.cancel_requested:
                raise Cancelled()
            try:
                item = next(gen)
            except StopIteration as stop:
                job.result = stop.value
                break
            p = _as_progress(item)
            if p.fraction is not None:
                job.fraction = min(1.0, max(0.0, p.fraction))
            if p.message:
                job.message = p.message
            emit(job, "progress")
        job.state = JobState.DONE
        job.fraction = 1.0
    except Cancelled:
        job.state = JobState.CANCELLED
        job.message = "cancelled"
    except ActionStudioError as exc:
        job.state, job.error = JobState.FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 - a task must never kill the engine
        job.state = JobState.FAILED
        job.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        log.error("job %s failed:\n%s", job.name, traceback.format_exc())
    finally:
        if gen is not None and hasattr(gen, "close"):
            try:
                gen.close()
            except Exception:  # noqa: BLE001
                log.debug("closing generator of %s failed", job.name, exc_info=True)
    job.finished_at = time.monotonic()
    job._done.set()
    emit(job, job.state.value)
    return job


class Engine:
    """A job queue served by one background thread (or synchronously, for tests)."""

    def __init__(self, synchronous: bool = False) -> None:
        self.synchronous = synchronous
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._listeners: list[Listener] = []
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.jobs: list[Job] = []
        self.current: Job | None = None

    # --- listeners ---------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call `listener(job, event)` on every job event (from the engine thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, job: Job, event: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(job, event)
            except Exception:  # noqa: BLE001
                log.exception("engine listener failed on %s %s", job.name, event)

    # --- lifecycle ---------------------------------------------------
    def start(self) -> "Engine":
        if self.synchronous or (self._thread and self._thread.is_alive()):
            return self
        self._thread = threading.Thread(target=self._run, name="engine", daemon=True)
        self._thread.start()
        return self

    def stop(self, cancel_running: bool = True, timeout: float = 5.0) -> None:
        """Cancel what is queued or running and join the thread."""
        with self._lock:
            for job in self.jobs:
                if not job.state.finished and cancel_running:
                    job.cancel()
        if self._thread and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self.current = job
            drive(job, self._emit)
            self.current = None

    # --- submitting --------------------------------------------------
    def submit(self, name: str, task: TaskFunction, *args: Any, **kwargs: Any) -> Job:
        """Queue `task(*args, **kwargs)`; runs at once when the engine is synchronous."""
        job = Job(name, task, args, kwargs, id=next(self._ids))
        with self._lock:
            self.jobs.append(job)
            if len(self.jobs) > 200:
                self.jobs = [j for j in self.jobs if not j.state.finished][-200:] or self.jobs[-200:]
        self._emit(job, "queued")
        if self.synchronous:
            drive(job, self._emit)
        else:
            self.start()
            self._queue.put(job)
        return job

    def cancel_all(self) -> None:
        with self._lock:
            for job in self.jobs:
                if not job.state.finished:
                    job.cancel()


def run_task(task: TaskFunction, *args: Any, on_progress: Callable[[Progress], None] | None = None, **kwargs: Any) -> Any:
    """Run a task generator to completion on this thread and return its result (CLI helper).

    Errors propagate as exceptions (unlike jobs), so command-line tools can map them to exit codes.
    """
    return drain(task(*args, **kwargs), on_progress)


def drain(gen: Iterator[Any], on_progress: Callable[[Progress], None] | None = None) -> Any:
    """Run an already created task generator to its end on this thread and return its value."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(_as_progress(item))


def relay(gen: Iterator[Any], lo: float = 0.0, hi: float = 1.0,
          message: str | Callable[[float | None], str] | None = None) -> Generator[Progress, None, Any]:
    """``value = yield from relay(child, lo, hi, message)``: run a child generator inside a parent
    task, its progress mapped into ``[lo, hi]``; returns the child's value.  ``message`` (a string,
    or a function of the child's own fraction) stands in where the child yields a bare fraction."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        p = _as_progress(item)
        text = p.message or (message(p.fraction) if callable(message) else message) or ""
        yield Progress(None if p.fraction is None else lo + (hi - lo) * p.fraction, text)


def in_helper_thread(fn: Callable[[], Any], tick: Any = None, name: str = "task-helper",
                     on_abandon: Callable[[], None] | None = None, every: float = 0.1) -> Generator[Any, None, Any]:
    """Run ``fn()`` on a daemon thread while this task keeps yielding, so it stays cancellable.

    Yields ``tick`` (or ``tick(elapsed_seconds)`` when callable) every ``every`` seconds until ``fn``
    returns; returns its value or re-raises its exception on the task's thread. Closing the generator
    early (a cancelled job) calls ``on_abandon`` when ``fn`` is still running (e.g. to cancel a solver).
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            box["error"] = exc

    th = threading.Thread(target=work, name=name, daemon=True)
    t0 = time.monotonic()
    th.start()
    try:
        while th.is_alive():
            th.join(every)
            yield tick(time.monotonic() - t0) if callable(tick) else tick
    finally:
        if th.is_alive() and on_abandon is not None:
            on_abandon()
    if "error" in box:
        raise box["error"]
    return box["value"]
