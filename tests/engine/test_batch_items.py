"""Batch items and the result store, without Ray: input expansion, keys, prompt files, the JSONL
and CSV (resume keys, a cut last line, CSV rewrite without duplicates, another task's columns)."""
from __future__ import annotations

import csv
import json

import pytest

from app.core.errors import InvalidInputError
from app.engine.batch import ResultStore, get_task, make_items, read_rows
from app.engine.batch.registry import TASKS, BatchTask


def test_files_and_folders_expand_recursively(tmp_path):
    (tmp_path / "v" / "deep").mkdir(parents=True)
    (tmp_path / "v" / ".cache").mkdir()
    for p in ("v/a.mp4", "v/deep/b.MOV", "v/notes.txt", "v/.hidden.mp4", "v/.cache/c.mp4", "x.mp4"):
        (tmp_path / p).write_bytes(b"0")
    items = make_items("inspect", "files", [tmp_path / "v", tmp_path / "x.mp4", tmp_path / "v" / "a.mp4"],
                       TASKS["inspect"].suffixes, {})
    assert [i.label for i in items] == ["a.mp4", "b.MOV", "x.mp4"]          # duplicates dropped, .txt and hidden skipped
    with pytest.raises(InvalidInputError, match="no such file"):
        make_items("inspect", "files", [tmp_path / "missing"], (".mp4",), {})
    with pytest.raises(InvalidInputError, match="no files"):
        make_items("inspect", "files", [tmp_path / "v" / "deep" / ".."], (".avi",), {})


def test_keys_follow_task_input_and_options(tmp_path):
    f = tmp_path / "a.npz"
    f.write_bytes(b"0")
    k = make_items("render2p5d", "files", [f], (".npz",), {"width": 64})[0].key
    assert make_items("render2p5d", "files", [str(f)], (".npz",), {"width": 64})[0].key == k
    assert make_items("render2p5d", "files", [f], (".npz",), {"width": 65})[0].key != k
    assert make_items("recognize", "files", [f], (".npz",), {"width": 64})[0].key != k


def test_prompt_files(tmp_path):
    p = tmp_path / "prompts.txt"
    p.write_text("a person walks\n\n# a comment\n  a person jumps  \na person walks\n", encoding="utf-8")
    items = make_items("generate", "prompts", [p], (), {"seed": 0})
    assert [(i.input, i.label, i.extra["repeat"]) for i in items] == [
        ("a person walks", "a person walks", 1), ("a person jumps", "a person jumps", 1),
        ("a person walks", "a person walks#2", 2)]
    assert len({i.key for i in items}) == 3 and items[0].out_stem().startswith("a_person_walks_")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInputError, match="UTF-8"):
        make_items("generate", "prompts", [tmp_path / "bin.txt"], (), {})


def _row(key: str, status: str, **kw) -> dict:
    return {"item": key, "status": status, "error": "" if status == "ok" else "bad", "attempt": 1, "key": key, **kw}


def test_store_resume_keys_and_cut_line(tmp_path):
    s = ResultStore(tmp_path, ("value",))
    s.append(_row("a", "ok", value=1.5))
    s.append(_row("b", "retry"))
    s.append(_row("c", "retry"))
    s.append(_row("c", "error"))
    s.append(_row("d", "ok", value=float("nan")))
    s.close()
    with open(tmp_path / "results.jsonl", "a") as fh:
        fh.write('{"key": "e", "stat')                                    # a write cut by a crash
    again = ResultStore(tmp_path, ("value",))
    assert again.done_keys() == {"a", "c", "d"}
    assert again.done_keys(retry_errors=True) == {"a", "d"}
    assert read_rows(tmp_path / "results.jsonl")[-1]["value"] is None  # NaN is stored as null
    with open(tmp_path / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["key"], r["status"]) for r in rows] == [("a", "ok"), ("c", "error"), ("d", "ok")]


def test_csv_keeps_one_row_per_item_and_all_columns(tmp_path):
    s = ResultStore(tmp_path, ("value",))
    s.append(_row("a", "error"))
    s.close()
    s = ResultStore(tmp_path, ("verdict",))                               # a rerun, or another task
    s.append(_row("a", "ok", verdict="likely real", value=2))
    s.append(_row("b", "ok", verdict="uncertain", options={"x": 1}))
    s.close()
    with open(tmp_path / "results.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert {"value", "verdict"} <= set(reader.fieldnames)
    assert [(r["key"], r["status"], r["verdict"]) for r in rows] == [("a", "ok", "likely real"), ("b", "ok", "uncertain")]
    assert json.loads((tmp_path / "results.jsonl").read_text().splitlines()[-1])["options"] == {"x": 1}


def test_registry(monkeypatch):
    assert set(TASKS) >= {"inspect", "generate", "render2p5d", "recognize"}
    with pytest.raises(InvalidInputError, match="unknown batch task"):
        get_task("nope")
    gone = BatchTask("gone", "app.engine.batch.workers:InspectWorker", requires=("app.engine.no_such_module",),
                     unavailable="gone is not available here")
    assert gone.missing() == "gone is not available here"
    with pytest.raises(InvalidInputError, match="not available"):
        gone.check({})
    with pytest.raises(InvalidInputError, match="resolution"):
        TASKS["render2p5d"].check({"width": 8, "height": 8})
    with pytest.raises(InvalidInputError, match="format"):
        TASKS["generate"].check({"format": "doc"})


def test_one_batch_per_output_folder(tmp_path):
    first = ResultStore(tmp_path)
    first.lock()
    with pytest.raises(Exception, match="another batch is writing"):
        ResultStore(tmp_path).lock()
    first.close()
    second = ResultStore(tmp_path)
    second.lock()                                                         # released by close()
    second.close()
