"""Fan batch items out over Ray: a local Ray started on demand with N worker processes, or an
existing cluster (``address``). Each worker is a Ray actor that loads its task's models once.

:func:`run_batch` is an engine task (a generator yielding :class:`BatchProgress`): the CLI drains
it on the main thread, the studio runs it on the engine thread. Every finished attempt is
written to ``results.jsonl`` at once; a failure (an error, ``timeout`` seconds exceeded, or the
worker process dying) is retried once, then kept as an ``error`` row, and the batch goes on.
Interrupting (Ctrl+C, or closing the generator when a job is cancelled) stops the workers and
keeps every row written so far; a rerun skips the items already done.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Generator, Sequence

from app.core.errors import ActionStudioError
from app.engine.batch.items import BatchItem, make_items
from app.engine.batch.registry import BatchTask, get_task
from app.engine.batch.store import ResultStore
from app.engine.jobs import Progress

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
POLL_S = 0.25
OBJECT_STORE_BYTES = 128 * 1024 * 1024   # rows are small: keep Ray's shared memory small too
MAX_START_CRASHES = 3
LOCAL_START_TRIES = 3      # Ray's driver waits a fixed 30 s for its raylet: on a loaded machine that can pass
# Ray's start-up waits (agents, raylet, worker registration) time out on a busy small machine: be patient.
RAY_ENV_DEFAULTS = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_agent_register_timeout_ms": "600000",
                    "RAY_raylet_start_wait_time_s": "600", "RAY_worker_register_timeout_seconds": "600"}


class BatchError(ActionStudioError):
    """The batch as a whole cannot go on (e.g. no worker can start)."""


@dataclass
class BatchProgress(Progress):
    """Progress with the batch counts (the studio's table and the console bar read them)."""

    done: int = 0
    total: int = 0
    errors: int = 0
    items_per_min: float | None = None
    eta_s: float | None = None


@dataclass
class BatchSummary:
    task: str
    out_dir: Path
    total: int               # items named by the inputs
    skipped: int             # already done by an earlier run
    ok: int = 0
    errors: int = 0
    retried: int = 0
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)

    @property
    def items_per_min(self) -> float:
        return 60.0 * (self.ok + self.errors) / self.seconds if self.seconds > 0 else 0.0


class BatchActor:
    """One worker process: builds the task's worker (its models) once, then runs items."""

    def __init__(self, task: BatchTask, options: dict[str, Any], out_dir: str) -> None:
        self.init_error = ""
        try:
            self.worker = task.worker_class()(options, Path(out_dir))
        except Exception as exc:  # noqa: BLE001 - reported by ready(), stops the batch
            self.init_error = _one_line(exc)
            logging.getLogger(__name__).exception("batch worker for %s could not start", task.name)

    def ready(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "error": self.init_error}

    def run(self, item: BatchItem) -> dict[str, Any]:
        t0 = time.monotonic()
        result, error = {}, ""
        try:
            result = self.worker.run(item) or {}
        except Exception as exc:  # noqa: BLE001 - one bad item must not stop the worker
            error = _one_line(exc)
            if not isinstance(exc, ActionStudioError):
                logging.getLogger(__name__).exception("batch item %s failed", item.label)
        return {"result": result, "error": error, "seconds": time.monotonic() - t0, "worker": os.getpid()}


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, ActionStudioError) else f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0][:300]


def worker_pythonpath() -> str:
    """PYTHONPATH for worker processes: the project root and the driver's paths inside it."""
    paths = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve().is_relative_to(ROOT)]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys(paths))


def start_ray(workers: int, address: str | None = None) -> bool:
    """Connect to ``address``, or start a local Ray with ``workers`` CPUs; False when Ray was
    already running in this process (then the caller must not shut it down)."""
    import ray

    if ray.is_initialized():
        return False
    for k, v in RAY_ENV_DEFAULTS.items():
        os.environ.setdefault(k, v)
    runtime_env = {"env_vars": {"PYTHONPATH": worker_pythonpath()}}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        return True
    for attempt in range(1, LOCAL_START_TRIES + 1):
        try:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
                     object_store_memory=OBJECT_STORE_BYTES)
            break
        except KeyboardInterrupt:
            ray.shutdown()
            raise
        except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception when its node is slow to register
            ray.shutdown()
            if "timed out during startup" not in str(exc) or attempt == LOCAL_START_TRIES:
                raise BatchError(f"could not start a local Ray: {_one_line(exc)}") from exc
            log.warning("local Ray was slow to start (a busy machine?); trying again (%d/%d)", attempt + 1,
                        LOCAL_START_TRIES)
    return True


class _Slot:
    """One actor and what it is doing: starting (``ready_ref``), idle, running one item, or dead
    (``actor`` None: replaced only when there is work left for it)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.actor: Any = None
        self.ready_ref: Any = None
        self.started_at = 0.0
        self.busy: tuple[Any, BatchItem, int, float] | None = None   # (ref, item, attempt, t0)
        self.start()

    def start(self) -> None:
        self.actor = self.factory()
        self.ready_ref = self.actor.ready.remote()
        self.started_at = time.monotonic()

    def kill(self) -> None:
        import ray

        if self.actor is not None:
            try:
                ray.kill(self.actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actor = self.ready_ref = self.busy = None


def run_batch(task: str | BatchTask, inputs: Sequence[str | Path], out_dir: str | Path, *, workers: int = 2,
              address: str | None = None, options: dict[str, Any] | None = None, timeout: float | None = None,
              retry_errors: bool = False, cpus_per_worker: float = 1.0, startup_timeout: float = 900.0,
              on_row: Callable[[dict], None] | None = None) -> Generator[Progress, None, BatchSummary]:
    """Engine task: run ``task`` on every item of ``inputs`` not yet done in ``out_dir``."""
    task = get_task(task)
    options = dict(options or {})
    task.check(options)
    if workers < 1:
        raise BatchError(f"--workers must be at least 1, got {workers}")
    items = make_items(task.name, task.kind, inputs, task.suffixes, options)
    store = ResultStore(out_dir, task.fields)
    done = store.done_keys(retry_errors)
    todo = [it for it in items if it.key not in done]
    summary = BatchSummary(task.name, Path(out_dir), len(items), len(items) - len(todo))
    if not todo:
        store.close()
        return summary
    store.lock()
    slots: list[_Slot] = []
    owned = False
    t0 = time.monotonic()
    try:
        yield BatchProgress(0.0, "starting Ray", total=len(todo))
        import ray

        owned = start_ray(workers, address)
        remote = ray.remote(BatchActor).options(num_cpus=cpus_per_worker, max_restarts=0, max_task_retries=0)
        factory = lambda: remote.remote(task, options, str(Path(out_dir).resolve()))  # noqa: E731
        slots = [_Slot(factory) for _ in range(min(workers, len(todo)))]
        yield from _dispatch(slots, deque((it, 1) for it in todo), store, summary, task, options, timeout,
                             startup_timeout, on_row)
    finally:
        summary.seconds = time.monotonic() - t0
        for s in slots:
            s.kill()
        store.close()
        if owned:
            ray.shutdown()
    return summary


def _dispatch(slots: list[_Slot], pending: deque, store: ResultStore, summary: BatchSummary, task: BatchTask,
              options: dict, timeout: float | None, startup_timeout: float,
              on_row: Callable[[dict], None] | None) -> Generator[Progress, None, None]:
    import ray
    from ray.exceptions import RayActorError, RayError

    total = len(pending)
    start_crashes = 0
    first_ready: float | None = None

    def record(item: BatchItem, attempt: int, error: str, out: dict | None) -> None:
        status = "ok" if not error else ("retry" if attempt == 1 else "error")
        row = {"item": item.label, "status": status, "error": error, "attempt": attempt,
               "seconds": round(out["seconds"], 3) if out else None, "task": task.name, "input": item.input,
               "key": item.key, "worker": out["worker"] if out else None,
               "finished": datetime.now().isoformat(timespec="seconds"), "options": options,
               **(out["result"] if out and not error else {})}
        row = store.append(row)
        if status == "retry":
            summary.retried += 1
            pending.append((item, 2))
        else:
            summary.ok += status == "ok"
            summary.errors += status == "error"
            summary.rows.append(row)
        if on_row is not None:
            on_row(row)

    while pending or any(s.busy for s in slots):
        now = time.monotonic()
        for s in slots:
            if s.actor is None and pending:
                s.start()
            elif s.actor is not None and s.ready_ref is None and s.busy is None and pending:
                item, attempt = pending.popleft()
                s.busy = (s.actor.run.remote(item), item, attempt, now)
        refs = {s.ready_ref: s for s in slots if s.ready_ref is not None}
        refs.update({s.busy[0]: s for s in slots if s.busy})
        ready, _ = ray.wait(list(refs), num_returns=1, timeout=POLL_S)
        if ready:
            ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
        for ref in ready:
            s = refs[ref]
            if ref is s.ready_ref:
                try:
                    info = ray.get(ref)
                except RayError as exc:
                    start_crashes += 1
                    if start_crashes > MAX_START_CRASHES:
                        raise BatchError(f"batch workers keep dying at start: {_one_line(exc)}") from None
                    s.kill()
                    s.start()
                    continue
                if info["error"]:
                    raise BatchError(f"{task.name} workers could not start: {info['error']}")
                s.ready_ref = None
                first_ready = first_ready or time.monotonic()
                continue
            _, item, attempt, _ = s.busy
            s.busy = None
            try:
                out = ray.get(ref)
                record(item, attempt, out["error"], out)
            except RayActorError as exc:
                log.info("worker crashed on %s: %s", item.label, exc)
                s.kill()
                record(item, attempt, "worker process crashed", None)
            except RayError as exc:
                record(item, attempt, _one_line(exc), None)
        now = time.monotonic()
        for s in slots:
            if s.busy and timeout and now - s.busy[3] > timeout:
                _, item, attempt, _ = s.busy
                s.busy = None
                s.kill()
                record(item, attempt, f"timed out after {timeout:g} s", None)
            elif s.ready_ref is not None and now - s.started_at > startup_timeout:
                raise BatchError(f"no batch worker started within {startup_timeout:g} s "
                                 "(is the cluster short of CPUs?)")
        yield _progress(summary, total, first_ready)


def _progress(summary: BatchSummary, total: int, first_ready: float | None) -> BatchProgress:
    n = summary.ok + summary.errors
    rate = eta = None
    if first_ready is not None and n:
        elapsed = max(1e-6, time.monotonic() - first_ready)
        rate = 60.0 * n / elapsed
        eta = (total - n) * elapsed / n
    msg = f"{n}/{total} done"
    if summary.errors:
        msg += f", {summary.errors} failed"
    if rate is not None:
        msg += f", {rate:.1f} items/min, {_duration(eta)} left"
    elif first_ready is None:
        msg += ", starting workers"
    return BatchProgress(n / total if total else 1.0, msg, done=n, total=total, errors=summary.errors,
                         items_per_min=rate, eta_s=eta)


def _duration(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")
