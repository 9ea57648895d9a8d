"""`main.py generate`: outputs, determinism, samples and exit codes (tiny random model directory)."""
from __future__ import annotations

import numpy as np
import pytest

from app.cli.main import EXIT_BAD_INPUT, main
from app.engine.repr.normalizer import Normalizer


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import export_model

    cfg = dict(model_type="atom", d_model=32, enc_layers=1, dec_layers=1, heads=2, ff=64, codebook_size=16)
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    pipe = TextToMotionPipeline.from_config(cfg, norm, device="cpu")
    return export_model(pipe.model, norm, tmp_path_factory.mktemp("tiny_atom"))


def run(*args: str) -> int:
    return main(["generate", *args])


def test_npz_output_and_same_seed_same_motion(model_dir, tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert run("a person walks forward", "--seconds", "2", "--seed", "7", "--out", str(a), "--model", str(model_dir)) == 0
    assert run("a person walks forward", "--seconds", "2", "--seed", "7", "--out", str(b), "--model", str(model_dir)) == 0
    with np.load(a) as da, np.load(b) as db:
        assert da["joints"].dtype == np.float32 and da["joints"].shape == (40, 22, 3)
        assert float(da["fps"]) == 20.0 and da["poses"].shape == (40, 66) and da["trans"].shape == (40, 3)
        assert str(da["text"]) == "a person walks forward" and int(da["seed"]) == 7
        assert da["codebook_attention"].shape == (40, 16)
        np.testing.assert_array_equal(da["joints"], db["joints"])


def test_samples_and_bvh(model_dir, tmp_path):
    out = tmp_path / "m.npz"
    assert run("jump; then wave", "--seconds", "3", "--samples", "2", "--out", str(out), "--model", str(model_dir)) == 0
    with np.load(tmp_path / "m_1.npz") as d1, np.load(tmp_path / "m_2.npz") as d2:
        assert not np.array_equal(d1["joints"], d2["joints"])
    bvh = tmp_path / "m.bvh"
    assert run("a person bows", "--seconds", "1.5", "--out", str(bvh), "--model", str(model_dir), "--no-foot-lock") == 0
    assert bvh.read_text().startswith("HIERARCHY")


@pytest.mark.parametrize("args", [
    ["", "--seconds", "2"], ["   ", "--seconds", "2"], ["walk", "--seconds", "0"], ["walk", "--seconds", "-3"],
    ["walk", "--seconds", "500"], ["walk", "--samples", "0"], ["walk", "--model", "nope"],
    ["walk", "--candidates", "0"], ["walk", "--candidates", "17"],
])
def test_rejected_input_exits_2(model_dir, tmp_path, args, capsys):
    extra = [] if "--model" in args else ["--model", str(model_dir)]
    assert run(*args, "--out", str(tmp_path / "x.npz"), *extra) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error:")
    assert not (tmp_path / "x.npz").exists()


def test_bad_extension_exits_2(model_dir, tmp_path):
    assert run("walk", "--out", str(tmp_path / "x.txt"), "--model", str(model_dir)) == EXIT_BAD_INPUT


def test_odd_prompts_still_generate(model_dir, tmp_path, capsys):
    for i, prompt in enumerate(["🕺💃 dance!", "eine Person springt", "zorblat the quiffle", "walk " * 1000]):
        assert run(prompt, "--seconds", "1", "--out", str(tmp_path / f"o{i}.npz"), "--model", str(model_dir)) == 0
    assert "truncated" in capsys.readouterr().err


def test_unknown_words_are_noted(model_dir, tmp_path, capsys):
    import shutil

    from app.engine.t2m.vocabulary import Vocabulary

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    Vocabulary({"walks": 900, "forward": 900, "jumps": 400}).save(model / "vocabulary.json")
    out = tmp_path / "m.npz"
    assert run("my character does a backflip twice", "--seconds", "1", "--out", str(out), "--model", str(model)) == 0
    assert "note: not learned: backflip" in capsys.readouterr().out
    with np.load(out) as d:
        assert "backflip" in str(d["notes"])
    assert run("a person walks forward", "--seconds", "1", "--out", str(out), "--model", str(model)) == 0
    assert "note:" not in capsys.readouterr().out
