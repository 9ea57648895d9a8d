"""`main.py batch`: argument checks that need no Ray (the Ray runs are in tests/engine/test_batch_ray.py)."""
from __future__ import annotations

import dataclasses

from app.cli.main import main
from app.engine.batch import registry


def test_recognize_unavailable_says_so(tmp_path, monkeypatch, capsys):
    gone = dataclasses.replace(registry.TASKS["recognize"], requires=("app.engine.recognition_missing",))
    monkeypatch.setitem(registry.TASKS, "recognize", gone)
    (tmp_path / "a.npz").write_bytes(b"0")
    assert main(["batch", "recognize", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "recognition is not available" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_arguments_exit_2_before_any_work(tmp_path, capsys):
    (tmp_path / "a.mp4").write_bytes(b"0")
    out = tmp_path / "out"
    assert main(["batch", "inspect", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["batch", "inspect", str(tmp_path), "--out", str(out), "--workers", "0"]) == 2
    assert main(["batch", "inspect", str(tmp_path), "--out", str(out), "--crop", "1,2"]) == 2
    assert main(["batch", "render2p5d", str(tmp_path), "--out", str(out), "--width", "5"]) == 2
    assert main(["batch", "generate", str(tmp_path / "a.mp4"), "--out", str(out), "--seconds", "500"]) == 2
    assert not out.exists()


def test_done_batch_does_not_start_ray(tmp_path, capsys, monkeypatch):
    """Everything already done: the rerun reports it without starting workers."""
    import json

    from app.engine.batch import make_items, runner

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray started for a batch with nothing to do")

    monkeypatch.setattr(runner, "start_ray", no_ray)
    video = tmp_path / "a.mp4"
    video.write_bytes(b"0")
    out = tmp_path / "out"
    out.mkdir()
    opts = {"use_colmap": True, "crop": None, "reference": None}
    key = make_items("inspect", "files", [video], registry.TASKS["inspect"].suffixes, opts)[0].key
    (out / "results.jsonl").write_text(json.dumps({"key": key, "item": "a.mp4", "status": "ok", "error": ""}) + "\n")
    assert main(["batch", "inspect", str(tmp_path), "--out", str(out), "--quiet"]) == 0
    assert "0 ok, 0 failed (0 retried), 1 already done" in capsys.readouterr().out
