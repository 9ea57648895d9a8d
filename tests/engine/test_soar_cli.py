"""`main.py recognize VIDEO --route rgb|both` on a tiny random-weight SOAR model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli.main import main as cli_main
from app.engine.soar.config import SoarConfig
from app.engine.soar.model import SOAR
from app.engine.soar.pipeline import combine_opinions, person_box


@pytest.fixture(scope="module")
def rgb_model(tmp_path_factory) -> Path:
    from app.engine.recognition.config import UNKNOWN_ATOMS
    from app.engine.corpus.registry import ATOMS

    torch.manual_seed(0)
    cfg = SoarConfig(labels=[a for a in ATOMS if a not in UNKNOWN_ATOMS], size=16, frames=8, widths=[4, 8, 8, 16],
                     recon_size=8, dropout=0.0, unknown_threshold=0.99)
    path = tmp_path_factory.mktemp("soar") / "rgb"
    SOAR(cfg).save_pretrained(path)
    return path


def _video(path: Path, frames: int, size: int = 64) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (size, size))
    rng = np.random.default_rng(0)
    for t in range(frames):
        img = np.full((size, size, 3), 90, np.uint8)
        img[10:54, 28 + (t % 6):36 + (t % 6)] = rng.integers(150, 255, 3)   # a moving bar on grey
        writer.write(img)
    writer.release()
    return path


@pytest.fixture
def no_tracker(monkeypatch):
    import app.engine.tasks.recognize_task as rt

    monkeypatch.setattr(rt, "_has_tracker", lambda: False)


def test_cli_rgb_route_gives_valid_json(rgb_model, tmp_path, no_tracker):
    video = _video(tmp_path / "clip.avi", 30)
    out = tmp_path / "r.json"
    assert cli_main(["recognize", str(video), "--route", "rgb", "--rgb-model", str(rgb_model), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    labels = set(json.loads((rgb_model / "config.json").read_text())["labels"])
    assert doc["route"] == "rgb" and doc["model"] and 0.0 <= doc["uncertainty"] <= 1.0
    assert len(doc["clip"]) == 5 and {c["label"] for c in doc["clip"]} <= labels
    probs = [c["probability"] for c in doc["clip"]]
    assert probs == sorted(probs, reverse=True)
    assert doc["actions"] and all(a["label"] in labels | {"unknown"} for a in doc["actions"])
    assert doc["actions"][0]["start_s"] == 0.0 and doc["actions"][-1]["end_s"] == pytest.approx(doc["duration_s"])
    assert any("centre square" in w for w in doc["warnings"])


def test_cli_rgb_bad_input_exits_2(rgb_model, tmp_path, capsys, no_tracker):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    short = _video(tmp_path / "short.avi", 5)
    motion = tmp_path / "m.npz"
    from app.core.motion import rest_clip
    from app.core.motion_io import save_motion

    save_motion(rest_clip(40, fps=20.0), motion)
    cases = [[str(junk)], [str(short)], [str(motion)], [str(tmp_path / "missing.mp4")]]
    for argv in cases:
        assert cli_main(["recognize", *argv, "--route", "rgb", "--rgb-model", str(rgb_model)]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "Traceback" not in err and len(err.splitlines()) == 1, err
    video = _video(tmp_path / "ok.avi", 20)
    assert cli_main(["recognize", str(video), "--route", "rgb", "--rgb-model", str(tmp_path / "none")]) == 2
    assert "no RGB recognition model" in capsys.readouterr().err


def test_person_box_is_a_square_around_the_landmarks():
    img = np.full((10, 33, 2), np.nan)
    img[:, :, 0] = np.linspace(100, 140, 33)
    img[:, :, 1] = np.linspace(50, 250, 33)
    present = np.ones(10, bool)
    x0, y0, x1, y1 = person_box(img, present, 640, 360)
    assert x1 - x0 == y1 - y0 and x0 <= 104 and x1 >= 136 and y0 <= 54 and y1 >= 246


def test_dempster_combination():
    b1, u1 = np.array([0.6, 0.1, 0.0]), 0.3
    b2, u2 = np.array([0.5, 0.0, 0.2]), 0.3
    b, u = combine_opinions(b1, u1, b2, u2)
    assert abs(b.sum() + u - 1.0) < 1e-9 and b.argmax() == 0 and b[0] > max(b1[0], b2[0]) and u < min(u1, u2)
    b, u = combine_opinions(np.zeros(3), 1.0, b2, u2)              # a vacuous opinion changes nothing
    assert np.allclose(b, b2) and abs(u - u2) < 1e-9


def test_both_routes_fuse_into_one_opinion(rgb_model):
    from app.engine.corpus.compose import compose
    from app.engine.recognition.config import RecognitionConfig
    from app.engine.recognition.model import ATSCN
    from app.engine.recognition.pipeline import RecognitionPipeline
    from app.engine.recognition.train import known_labels
    from app.engine.soar.pipeline import RgbPipeline
    from app.engine.tasks.recognize_task import fuse_routes

    torch.manual_seed(0)
    cfg = RecognitionConfig(hidden=8, layers=2, dropout=0.0)
    cfg.labels = known_labels(cfg)
    skel = RecognitionPipeline(ATSCN(cfg).eval())
    clip = compose([("walk", {"steps": 4})], np.random.default_rng(0))
    rgb_pipe = RgbPipeline.from_pretrained(rgb_model, device="cpu")
    frames = np.random.default_rng(0).integers(0, 255, (30, 40, 50, 3), dtype=np.uint8)
    rgb = rgb_pipe.recognize_frames(frames, 10.0, (5, 0, 45, 40))
    rgb["_labels"] = rgb_pipe.labels
    skel_only = skel.recognize(clip)
    fused = fuse_routes(skel, clip, skel.recognize(clip), rgb).to_dict()
    assert fused["route"] == "both" and len(fused["clip"]) == 5 and 0.0 <= fused["uncertainty"] <= 1.0
    assert set(fused["routes"]) == {"skeleton", "rgb"} and fused["actions"] == skel_only.actions
    assert fused["uncertainty"] <= min(skel_only.uncertainty, rgb["uncertainty"]) + 1e-6
