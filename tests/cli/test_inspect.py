"""`python main.py inspect`: one video -> HTML + JSON; a folder -> CSV that survives bad files."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from app.cli.main import main
from app.engine.forensics import synth


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from app.viewers.video import write_video
    joints = np.zeros((16, 22, 3))
    joints[:, :, 1] = np.linspace(0, 1.7, 22)[None]
    frames, _ = synth.render_video(joints, synth.SceneSpec(width=128, height=96))
    d = tmp_path_factory.mktemp("videos")
    write_video(frames, d / "a.mp4", 20.0)
    (d / "broken.mp4").write_bytes(b"\x00" * 100)
    (d / "readme.txt").write_text("not scanned")
    return d


def test_inspect_one_video_writes_html_and_json(folder, tmp_path, capsys):
    rc = main(["inspect", str(folder / "a.mp4"), "--report", str(tmp_path / "r.html"), "--json",
               str(tmp_path / "r.json"), "--no-sfm", "--quiet"])
    assert rc == 0
    d = json.loads((tmp_path / "r.json").read_text())
    # no person is found in the tiny synthetic render: too little evidence for either verdict
    assert 0.0 <= d["authenticity_score"] <= 1.0 and d["verdict"] == "uncertain" and d["confidence"] <= 0.3
    assert any("Too little to decide" in r for r in d["reasons"])
    assert "flicker" in d["cues"] and d["video"]["name"] == "a.mp4"
    assert "a.mp4" in (tmp_path / "r.html").read_text()
    assert "a.mp4:" in capsys.readouterr().out


def test_inspect_folder_csv_continues_past_bad_files(folder, tmp_path):
    rc = main(["inspect", str(folder), "--csv", str(tmp_path / "out.csv"), "--no-sfm", "--quiet"])
    assert rc == 0
    rows = list(csv.DictReader(open(tmp_path / "out.csv")))
    assert [r["file"] for r in rows] == ["a.mp4", "broken.mp4"]
    assert rows[0]["verdict"] == "uncertain" and not rows[0]["error"]
    assert rows[1]["error"] and not rows[1]["verdict"]
    assert "probability_generated" in rows[0] and "families_measured" in rows[0]
    assert "pixel" in rows[0]["families_measured"].split(";") and "noise" in rows[0]["families_measured"].split(";")
    assert rows[0]["people"] != "" and int(rows[0]["drift_frames"]) >= 0 and rows[0]["residual_level"] != ""
    from app.engine.forensics.calibration import load_model
    assert load_model() is not None  # the calibrated model is committed (models/forensics/calibrated.json)
    assert 0.0 < float(rows[0]["probability_generated"]) < 1.0


def test_inspect_crop_box(folder, tmp_path):
    rc = main(["inspect", str(folder / "a.mp4"), "--crop", "0,0,64,96", "--json", str(tmp_path / "c.json"),
               "--no-sfm", "--quiet"])
    assert rc == 0
    d = json.loads((tmp_path / "c.json").read_text())
    assert d["video"]["width"] == 64 and d["video"]["crop_box"] == [0, 0, 64, 96]
    assert main(["inspect", str(folder / "a.mp4"), "--crop", "0,0,5", "--quiet"]) == 2


def test_inspect_rejects_bad_input(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "none.mp4"), "--quiet"]) == 2
    assert main(["inspect", str(tmp_path), "--quiet"]) == 2
    assert "error:" in capsys.readouterr().err
