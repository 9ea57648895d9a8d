"""`main.py recognize`, the engine task and the pipeline, on a tiny random-weight model."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli.main import main as cli_main
from app.core.errors import InvalidInputError
from app.core.motion_io import save_motion
from app.engine.corpus.compose import compose
from app.engine.jobs import Progress
from app.engine.recognition.config import RecognitionConfig
from app.engine.recognition.model import ATSCN
from app.engine.recognition.pipeline import RecognitionPipeline, atom_descriptions
from app.engine.recognition.train import known_labels
from app.engine.tasks.recognize_task import recognize_task


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    cfg = RecognitionConfig(hidden=8, layers=2, dropout=0.0)
    cfg.labels = known_labels(cfg)
    path = tmp_path_factory.mktemp("recog") / "model"
    ATSCN(cfg).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def motion(tmp_path_factory) -> Path:
    clip = compose([("walk", {"steps": 4}), ("wave", None)], np.random.default_rng(0))
    path = tmp_path_factory.mktemp("in") / "walk_wave.npz"
    save_motion(clip, path)
    return path


def _check_schema(doc: dict, labels: set[str]) -> None:
    assert {"clip", "uncertainty", "actions", "route", "model"} <= set(doc)
    assert doc["route"] == "skeleton" and doc["model"]
    assert len(doc["clip"]) == 5 and all({"label", "probability"} == set(c) for c in doc["clip"])
    probs = [c["probability"] for c in doc["clip"]]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    assert {c["label"] for c in doc["clip"]} <= labels
    assert 0.0 <= doc["uncertainty"] <= 1.0
    assert doc["actions"], "a 5 s motion gives at least one action"
    for a in doc["actions"]:
        assert {"label", "start_s", "end_s", "confidence"} <= set(a)
        assert a["label"] in labels | {"unknown"} and 0 <= a["start_s"] < a["end_s"] <= doc["duration_s"] + 1e-6
    spans = [(a["start_s"], a["end_s"]) for a in doc["actions"]]
    assert all(e0 <= s1 for (_, e0), (s1, _) in zip(spans, spans[1:]))


def test_cli_json_and_csv(model_dir, motion, tmp_path):
    out, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert cli_main(["recognize", str(motion), "--json", str(out), "--csv", str(out_csv), "--model", str(model_dir)]) == 0
    doc = json.loads(out.read_text())
    _check_schema(doc, set(json.loads((model_dir / "config.json").read_text())["labels"]))
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == len(doc["actions"]) and rows[0]["label"] == doc["actions"][0]["label"]


def test_cli_folder_and_gltf(model_dir, motion, tmp_path):
    from app.core.gltf import write_gltf
    from app.core.motion_io import load_motion

    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "a.npz").write_bytes(motion.read_bytes())
    write_gltf(load_motion(motion), folder / "b.glb")
    (folder / "broken.bvh").write_text("not a bvh")
    out = tmp_path / "f.json"
    assert cli_main(["recognize", str(folder), "--json", str(out), "--model", str(model_dir)]) == 0
    doc = json.loads(out.read_text())
    assert [Path(r["input"]).name for r in doc["results"]] == ["a.npz", "b.glb"]
    assert [Path(f["input"]).name for f in doc["failed"]] == ["broken.bvh"]
    a, b = doc["results"]
    assert a["clip"] == b["clip"]  # the glTF export reads back as the same motion


def test_cli_bad_input_exits_2(model_dir, motion, tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    short = tmp_path / "short.npz"
    from app.core.motion import rest_clip
    save_motion(rest_clip(6, fps=20.0), short)
    for argv in (["recognize", str(tmp_path / "missing.bvh")], ["recognize", str(junk)], ["recognize", str(short)],
                 ["recognize", str(tmp_path / "x.txt")], ["recognize", str(motion), "--route", "rgb"], ["recognize"]):
        (tmp_path / "x.txt").write_text("hello")
        assert cli_main(argv + ["--model", str(model_dir)]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "Traceback" not in err and len(err.splitlines()) == 1
    assert cli_main(["recognize", str(short), "--model", str(model_dir)]) == 2
    assert "too short" in capsys.readouterr().err
    assert cli_main(["recognize", str(motion), "--model", str(tmp_path / "no_model")]) == 2
    assert "no recognition model" in capsys.readouterr().err


def test_labels_list_every_atom(model_dir, capsys):
    assert cli_main(["recognize", "--labels", "--model", str(model_dir)]) == 0
    out = capsys.readouterr().out
    desc = atom_descriptions()
    assert len(desc) == 49 and all(line.startswith("a person ") for line in desc.values())
    assert all(name in out for name in desc) and "held out: reported as unknown" in out


def test_task_reports_progress_and_returns_a_result(model_dir, motion):
    pipe = RecognitionPipeline.from_pretrained(model_dir, device="cpu")
    gen = recognize_task(motion, pipeline=pipe)
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert all(isinstance(s, Progress) for s in steps) and steps[-1].fraction == 1.0
    assert result.route == "skeleton" and len(result.clip) == 5
    with pytest.raises(InvalidInputError):
        list(recognize_task(motion, pipeline=pipe, route="rgb"))
