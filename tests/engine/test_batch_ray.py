"""Batch on a local Ray with 2 workers: rows, resume, retry of a corrupt file, a worker crash,
a timeout and a flaky crash, Ctrl+C keeping what finished, and one real-task (inspect) smoke run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import ray

from app.engine.batch import read_rows
from app.engine.batch.runner import run_batch, start_ray
from app.engine.jobs import drain

from batch_probe import PROBE

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    owned = start_ray(2)
    yield
    if owned:
        ray.shutdown()


def _folder(root: Path) -> Path:
    d = root / "in"
    (d / "sub").mkdir(parents=True)
    for name, n in (("a", 1), ("b", 2), ("c", 3)):
        (d / f"{name}.probe").write_text(json.dumps({"n": n}))
    (d / "sub" / "corrupt.probe").write_bytes(b"\x00\xffgarbage")
    (d / "crash.probe").write_text("CRASH")
    (d / "flaky.probe").write_text("FLAKY")
    (d / "sleep.probe").write_text("SLEEP 60")
    (d / "notes.txt").write_text("not an input")
    (d / ".hidden.probe").write_text(json.dumps({"n": 9}))
    return d


def _by_item(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["item"], []).append(r)
    return out


def test_rows_retry_and_resume(tmp_path):
    src, out = _folder(tmp_path), tmp_path / "out"
    streamed: list[dict] = []
    summary = drain(run_batch(PROBE, [src], out, workers=2, timeout=5, on_row=streamed.append))
    assert (summary.total, summary.ok, summary.errors, summary.retried) == (7, 4, 3, 4)

    rows = read_rows(out / "results.jsonl")
    assert rows == streamed                          # every row was on disk when the caller heard of it
    by = _by_item(rows)
    assert sorted(by) == ["a.probe", "b.probe", "c.probe", "corrupt.probe", "crash.probe", "flaky.probe",
                          "sleep.probe"]
    for name, n in (("a.probe", 1), ("b.probe", 2), ("c.probe", 3)):
        (row,) = by[name]
        assert (row["status"], row["attempt"], row["value"], row["error"]) == ("ok", 1, 2 * n, "")
        assert row["inits"] == 1                      # the worker built its "models" once in its process
    assert max(r["runs"] for r in rows if r["status"] == "ok") >= 2   # ... and reused them for later items
    # a failure is an error row with the reason, retried once
    assert [(r["status"], r["attempt"]) for r in by["crash.probe"]] == [("retry", 1), ("error", 2)]
    assert all(r["error"] == "worker process crashed" for r in by["crash.probe"])
    assert [r["status"] for r in by["corrupt.probe"]] == ["retry", "error"]
    assert by["corrupt.probe"][-1]["error"] == "corrupt.probe: not a probe file"
    assert [r["error"] for r in by["sleep.probe"]] == ["timed out after 5 s"] * 2
    flaky = by["flaky.probe"]
    assert [(r["status"], r["attempt"]) for r in flaky] == [("retry", 1), ("ok", 2)] and flaky[1]["value"] == 10
    assert flaky[0]["error"] == "RuntimeError: flaky the first time"

    csv_lines = (out / "results.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 7 and csv_lines[0].startswith("item,status,error,attempt")
    assert "value" in csv_lines[0].split(",")

    # resume: the same command again does nothing; a new file is the only work
    again = drain(run_batch(PROBE, [src], out, workers=2, timeout=5))
    assert (again.skipped, again.ok, again.errors) == (7, 0, 0)
    assert len(read_rows(out / "results.jsonl")) == len(rows)
    (src / "d.probe").write_text(json.dumps({"n": 4}))
    more = drain(run_batch(PROBE, [src], out, workers=2, timeout=5))
    assert (more.total, more.skipped, more.ok) == (8, 7, 1)
    new = read_rows(out / "results.jsonl")[len(rows):]
    assert [(r["item"], r["status"], r["value"]) for r in new] == [("d.probe", "ok", 8)]
    assert len((out / "results.csv").read_text().splitlines()) == 1 + 8


def test_interrupt_keeps_finished_rows(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(6):
        (src / f"{i}.probe").write_text("SLEEP 0.2" if i else json.dumps({"n": 1}))

    def stop_after_first(row: dict) -> None:
        raise KeyboardInterrupt   # what Ctrl+C does between two items

    with pytest.raises(KeyboardInterrupt):
        drain(run_batch(PROBE, [src], out, workers=1, on_row=stop_after_first))
    kept = read_rows(out / "results.jsonl")
    assert len(kept) == 1 and kept[0]["status"] == "ok"
    assert len((out / "results.csv").read_text().splitlines()) == 2
    rest = drain(run_batch(PROBE, [src], out, workers=1))
    assert (rest.skipped, rest.ok) == (1, 5)
    assert sorted(r["item"] for r in read_rows(out / "results.jsonl")) == sorted(f"{i}.probe" for i in range(6))


def test_cli_inspect_corrupt_video_is_an_error_row(tmp_path, capsys):
    """The real inspect worker (forensics models loaded in the actor) on a corrupt video."""
    from app.cli.main import main

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 2000)
    out = tmp_path / "out"
    assert main(["batch", "inspect", str(bad), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    rows = read_rows(out / "results.jsonl")
    assert [(r["status"], r["attempt"]) for r in rows] == [("retry", 1), ("error", 2)]
    assert "bad.mp4" in rows[-1]["error"] and rows[-1]["task"] == "inspect"
    assert "0 ok, 1 failed (1 retried)" in capsys.readouterr().out
