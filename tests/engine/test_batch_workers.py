"""The built-in batch workers in this process (no Ray): each wraps the single-item engine code,
loads its model once, writes its output under the batch folder and returns the row's fields."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.core.motion_io import save_motion
from app.core.skeleton import smpl22_skeleton
from app.engine.batch import TASKS, make_items
from app.engine.batch.workers import GenerateWorker, Render2p5dWorker


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from app.engine.repr.normalizer import Normalizer
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.train import export_model

    cfg = dict(model_type="atom", d_model=32, enc_layers=1, dec_layers=1, heads=2, ff=64, codebook_size=16)
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    pipe = TextToMotionPipeline.from_config(cfg, norm, device="cpu")
    return export_model(pipe.model, norm, tmp_path_factory.mktemp("tiny_atom"))


def test_generate_worker_writes_npz_with_the_cli_metadata(tiny_model, tmp_path):
    prompts = tmp_path / "p.txt"
    prompts.write_text("a person walks forward\na person walks forward\n")
    opts = {"model": str(tiny_model), "seconds": 2.0, "seed": 3, "format": "npz", "foot_lock": True}
    TASKS["generate"].check(opts)
    worker = GenerateWorker(opts, tmp_path / "out")
    first, repeat = make_items("generate", "prompts", [prompts], (), opts)
    a, b = worker.run(first), worker.run(repeat)
    assert (a["frames"], a["fps"], a["prompt"]) == (40, 20.0, "a person walks forward")
    with np.load(a["output"]) as da, np.load(b["output"]) as db:
        assert (int(da["seed"]), int(db["seed"])) == (3, 4)   # a repeated prompt is another sample
        assert str(da["prompt"]) == "a person walks forward" and da["codebook_attention"].shape == (40, 16)
        assert json.loads(str(da["spans"])) and not np.array_equal(da["joints"], db["joints"])
    assert a["output"] != b["output"] and a["output"].startswith(str(tmp_path / "out" / "motions"))


def test_recognize_without_a_model_is_refused():
    from app.engine.recognition.pipeline import DEFAULT_DIR

    if (DEFAULT_DIR / "config.json").is_file():
        pytest.skip("a recognition model is installed")
    with pytest.raises(InvalidInputError, match="no recognition model"):
        TASKS["recognize"].check({})


@pytest.mark.anny
@pytest.mark.gl
def test_render2p5d_worker_loads_the_body_once(tmp_path):
    from app.engine.body import is_anny_prepared
    from app.engine.body.prepare import resolve_anny_cache_dir

    if not is_anny_prepared(resolve_anny_cache_dir()):
        pytest.skip("Anny body model not prepared")
    rot = np.zeros((3, 22, 3))
    trans = np.tile([0.0, 0.93, 0.0], (3, 1))
    src = tmp_path / "clip.npz"
    save_motion(MotionClip(fps=30.0, trans=trans, rotations=rot, skeleton=smpl22_skeleton()), src)
    opts = {"width": 64, "height": 48}
    worker = Render2p5dWorker(opts, tmp_path / "out")
    body = worker.body
    (item,) = make_items("render2p5d", "files", [src], (".npz",), opts)
    row = worker.run(item)
    assert worker.body is body and row["frames"] == 3
    cam = json.loads((tmp_path / "out" / "render2p5d" / item.out_stem() / "camera.json").read_text())
    assert cam["width"] == 64 and row["output"].endswith(item.out_stem())
