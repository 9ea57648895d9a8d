"""EngineBridge: engine events arrive as Qt signals on the GUI thread."""
from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from app.engine.jobs import JobState
from app.ui.bridge import EngineBridge


def _task(n: int):
    for i in range(n):
        yield (i + 1) / n
    return n * 2


def _bad():
    yield 0.5
    raise ValueError("kaput\nmore")


def test_events_delivered_on_gui_thread(qtbot, engine):
    bridge = EngineBridge(engine)
    gui = QThread.currentThread()
    seen: list[tuple[str, bool, str]] = []
    for sig, name in ((bridge.jobQueued, "queued"), (bridge.jobStarted, "started"),
                      (bridge.jobProgress, "progress"), (bridge.jobFinished, "finished")):
        sig.connect(lambda job, n=name: seen.append((n, QThread.currentThread() is gui,
                                                     threading.current_thread().name)))
    results = []
    with qtbot.waitSignal(bridge.jobFinished, timeout=5000):
        job = bridge.run("double", _task, 3, on_done=lambda r: results.append(
            (r, QThread.currentThread() is gui)))
    qtbot.waitUntil(lambda: bool(results), timeout=2000)
    assert results == [(6, True)]
    assert job.state == JobState.DONE
    names = [s[0] for s in seen]
    assert names[0] == "queued" and "started" in names and names[-1] == "finished"
    assert all(on_gui for _, on_gui, _ in seen)
    assert all(tname == "MainThread" for _, _, tname in seen)
    bridge.shutdown()


def test_errors_go_to_on_error(qtbot, engine):
    bridge = EngineBridge(engine)
    errors = []
    with qtbot.waitSignal(bridge.jobFinished, timeout=5000):
        bridge.run("bad", _bad, on_done=lambda r: errors.append("done?"), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=2000)
    assert errors == ["ValueError: kaput"]
    bridge.shutdown()


def test_synchronous_engine_still_queues(qtbot):
    from app.engine.jobs import Engine

    bridge = EngineBridge(Engine(synchronous=True))
    got = []
    job = bridge.run("sync", _task, 2, on_done=got.append)
    assert job.state == JobState.DONE and got == []  # delivered through the event loop, not inline
    qtbot.waitUntil(lambda: got == [4], timeout=2000)
