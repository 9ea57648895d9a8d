"""The engine thread: progress, cancellation within a second, errors as results, synchronous mode."""
from __future__ import annotations

import threading
import time

import pytest

from app.core.errors import InvalidInputError
from app.engine.jobs import Engine, JobState, Progress, drain, relay, run_task
from app.engine.tasks.steps import sub_task


def counting(n: int, delay: float = 0.0):
    total = 0
    for i in range(n):
        if delay:
            time.sleep(delay)
        total += i
        yield (i + 1) / n
    return total


def failing():
    yield 0.5
    raise ValueError("boom\nsecond line")


def rejecting():
    yield "checking"
    raise InvalidInputError("prompt is empty")


def test_synchronous_engine_runs_task_and_reports_progress():
    engine = Engine(synchronous=True)
    events: list[tuple[str, float | None]] = []
    engine.subscribe(lambda job, ev: events.append((ev, job.fraction)))
    job = engine.submit("count", counting, 5)
    assert job.state is JobState.DONE and job.result == 10
    kinds = [e for e, _ in events]
    assert kinds[0] == "queued" and kinds[1] == "started" and kinds[-1] == "done"
    fractions = [f for e, f in events if e == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_failure_is_a_result_and_thread_survives():
    engine = Engine().start()
    try:
        bad = engine.submit("bad", failing)
        assert bad.wait(5)
        assert bad.state is JobState.FAILED and bad.error == "ValueError: boom"
        rejected = engine.submit("rejected", rejecting)
        assert rejected.wait(5) and rejected.error == "prompt is empty"
        good = engine.submit("good", counting, 3)
        assert good.wait(5) and good.state is JobState.DONE and good.result == 3
    finally:
        engine.stop()


def test_cancel_takes_effect_within_a_second():
    engine = Engine().start()
    try:
        job = engine.submit("long", counting, 10_000, 0.05)
        deadline = time.monotonic() + 5
        while job.state is not JobState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        t0 = time.monotonic()
        job.cancel()
        assert job.wait(1.0), "cancel did not take effect within a second"
        assert time.monotonic() - t0 < 1.0
        assert job.state is JobState.CANCELLED
    finally:
        engine.stop()


def test_queued_job_cancelled_before_start_never_runs():
    engine = Engine().start()
    ran = threading.Event()

    def marker():
        ran.set()
        yield 1.0

    try:
        first = engine.submit("first", counting, 20, 0.02)
        second = engine.submit("second", marker)
        second.cancel()
        assert first.wait(5) and second.wait(5)
        assert second.state is JobState.CANCELLED and not ran.is_set()
    finally:
        engine.stop()


def test_events_come_from_engine_thread():
    engine = Engine().start()
    threads: set[str] = set()
    engine.subscribe(lambda job, ev: threads.add(threading.current_thread().name))
    try:
        job = engine.submit("count", counting, 3)
        job.wait(5)
        time.sleep(0.05)
    finally:
        engine.stop()
    assert "engine" in threads


def test_sub_task_maps_progress_and_returns_value():
    def parent():
        value = yield from sub_task(counting(4), 0.5, 1.0)
        return value * 2

    seen: list[Progress] = []
    assert run_task(parent, on_progress=seen.append) == 12
    fractions = [p.fraction for p in seen if p.fraction is not None]
    assert min(fractions) >= 0.5 and max(fractions) == pytest.approx(1.0)


def test_run_task_propagates_errors():
    with pytest.raises(InvalidInputError):
        run_task(rejecting)


def test_in_helper_thread_ticks_returns_reraises_and_abandons():
    from app.engine.jobs import drain, in_helper_thread

    ticks = []
    assert drain(in_helper_thread(lambda: (time.sleep(0.35), 42)[1], lambda s: ticks.append(s) or s, every=0.05)) == 42
    assert len(ticks) >= 3 and ticks == sorted(ticks)  # elapsed seconds, growing

    def boom():
        raise KeyError("inside")
    with pytest.raises(KeyError):
        drain(in_helper_thread(boom, 0.0))

    release, abandoned = threading.Event(), []
    gen = in_helper_thread(lambda: release.wait(5), 0.0, on_abandon=lambda: abandoned.append(True) or release.set())
    next(gen)
    gen.close()  # a cancelled task closes its generator while the helper still runs
    assert abandoned == [True] and release.is_set()


def test_relay_maps_a_child_into_the_parent_slice_and_returns_its_value():
    def child():
        yield 0.5
        yield Progress(1.0, "child says")
        return "value"

    def parent():
        value = yield from relay(child(), 0.2, 0.6, lambda f: f"at {f}")
        return value.upper()

    seen: list[Progress] = []
    assert drain(parent(), seen.append) == "VALUE"
    assert [(p.fraction, p.message) for p in seen] == [(pytest.approx(0.4), "at 0.5"), (pytest.approx(0.6), "child says")]
