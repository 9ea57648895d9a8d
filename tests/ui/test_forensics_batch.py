"""Forensics tab, folder mode: a folder starts a batch on its own engine thread; the sortable table
fills as rows arrive (a retry row is replaced by its result), earlier results show at once on
reopening, Save CSV copies the results. The batch runner is a stand-in here that writes rows
through the real ResultStore (the Ray runner itself is tested in tests/engine/test_batch_ray.py)."""
from __future__ import annotations

import csv
import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from app.engine.batch.store import ResultStore
from app.engine.jobs import Progress

VERDICTS = {"a.mp4": ("likely real", 0.91), "b.mp4": ("likely generated", 0.12), "c.mp4": ("uncertain", 0.55)}


def fake_runner(task, inputs, out_dir, *, workers, options, on_row):
    """Rows like run_batch's: c.mp4 fails once (retry row) before its result; bad.mp4 fails twice."""
    from pathlib import Path

    store = ResultStore(out_dir, ("verdict", "authenticity_score"))
    done = store.done_keys()
    names = sorted(p.name for p in Path(inputs[0]).iterdir())
    ok = errors = 0
    for i, name in enumerate(names):
        if name in done:
            continue
        attempts = [("retry", "timed out"), None] if name == "c.mp4" else [None]
        if name == "bad.mp4":
            attempts = [("retry", "bad.mp4: cannot decode"), ("error", "bad.mp4: cannot decode")]
        for attempt, failure in enumerate(attempts, 1):
            time.sleep(0.05)
            row = {"item": name, "key": name, "input": str(Path(inputs[0]) / name), "attempt": attempt,
                   "status": failure[0] if failure else "ok", "error": failure[1] if failure else "",
                   "seconds": 1.0 + i}
            if not failure:
                row.update(verdict=VERDICTS[name][0], authenticity_score=VERDICTS[name][1], frames=40)
            on_row(store.append(row))
            yield Progress((i + 1) / len(names), f"{i + 1}/{len(names)} done")
        ok += failure is None
        errors += failure is not None
    store.close()
    return SimpleNamespace(ok=ok, errors=errors, skipped=len(done))


@pytest.fixture
def tab(qtbot, engine, tmp_path, monkeypatch):
    from app.ui.bridge import EngineBridge
    from app.ui.forensics_tab import ForensicsTab

    monkeypatch.setenv("ACTION_STUDIO_CACHE", str(tmp_path / "cache"))
    w = ForensicsTab(EngineBridge(engine), use_colmap=False)
    w.quiet_errors = True
    w.batch.runner = fake_runner
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def _column(tab, name: str) -> int:
    from app.ui.forensics_batch import COLUMNS
    return [c[0] for c in COLUMNS].index(name)


def _texts(tab, column: str) -> list[str]:
    p = tab.batch.proxy
    return [p.data(p.index(r, _column(tab, column))) for r in range(p.rowCount())]


def test_folder_fills_a_sortable_table_and_resumes(tab, qtbot, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "bad.mp4", "c.mp4"):
        (folder / name).write_bytes(b"0")
    assert not tab.batch.isVisibleTo(tab)
    seen: list[int] = []
    tab.batch.model.rowsInserted.connect(lambda *a: seen.append(tab.batch.model.rowCount()))
    job = tab.open_path(folder)                     # what a dropped folder does
    assert tab.batch.isVisibleTo(tab) and job is tab.batch.job
    assert job not in tab.bridge.engine.jobs        # its own engine thread: the studio's queue stays free
    qtbot.waitUntil(lambda: job.state.finished, timeout=20000)
    qtbot.waitUntil(lambda: "analysed" in tab.batch.status.full_text(), timeout=5000)
    assert seen == [1, 2, 3, 4]                     # rows arrived one by one
    assert tab.batch.model.rowCount() == 4          # c.mp4's retry row was replaced by its result
    assert _texts(tab, "status") == ["done", "done", "failed", "done"]
    assert _texts(tab, "error")[2] == "bad.mp4: cannot decode"
    assert tab.batch.status.full_text().startswith("3 analysed, 1 failed")

    tab.batch.view.sortByColumn(_column(tab, "authenticity_score"), Qt.SortOrder.DescendingOrder)
    assert _texts(tab, "item") == ["a.mp4", "c.mp4", "b.mp4", "bad.mp4"]
    tab.batch.view.sortByColumn(_column(tab, "verdict"), Qt.SortOrder.AscendingOrder)
    assert _texts(tab, "verdict") == ["", "likely generated", "likely real", "uncertain"]

    out = tab.batch.save_csv(tmp_path / "copy.csv")
    with open(out, newline="") as fh:
        assert sorted(r["item"] for r in csv.DictReader(fh)) == ["a.mp4", "b.mp4", "bad.mp4", "c.mp4"]

    (folder / "d.mp4").write_bytes(b"0")            # reopen the folder: done rows show at once, only d.mp4 runs
    VERDICTS["d.mp4"] = ("likely real", 0.8)
    job = tab.open_path(folder)
    assert tab.batch.model.rowCount() == 4
    qtbot.waitUntil(lambda: job.state.finished, timeout=20000)
    qtbot.waitUntil(lambda: tab.batch.model.rowCount() == 5, timeout=5000)
    qtbot.waitUntil(lambda: "analysed" in tab.batch.status.full_text(), timeout=5000)   # the summary follows the last row
    assert "1 analysed, 0 failed, 4 done earlier" in tab.batch.status.full_text()


def test_folder_button_and_cancel(tab, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "v"
    folder.mkdir()
    for i in range(40):
        (folder / f"{i:02d}.mp4").write_bytes(b"0")
        VERDICTS[f"{i:02d}.mp4"] = ("uncertain", 0.5)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    tab.folder_button.click()
    job = tab.batch.job
    qtbot.waitUntil(lambda: tab.batch.model.rowCount() >= 2, timeout=10000)
    tab.batch.cancel_button.click()
    qtbot.waitUntil(lambda: job.state.finished, timeout=5000)
    qtbot.waitUntil(lambda: "cancelled" in tab.batch.status.full_text(), timeout=5000)
    kept = len(ResultStore(tab.batch.out_dir).final_rows())
    assert 2 <= kept < 40 and f"the {tab.batch.model.rowCount()} finished results are kept" in tab.batch.status.full_text()
