"""bench_idol.py's saved samples: frames generated in one place (a lent GPU) score the same here."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_saved_samples_score_like_the_run_that_made_them(tmp_path):
    pytest.importorskip("torch")
    from app.engine.idol.config import IDOL_TINY
    from app.engine.idol.data import shard_path, write_shard
    from app.engine.idol.pipeline import IdolPipeline
    from tests.engine.test_idol_data import _fake_clip

    rng = np.random.default_rng(0)
    (tmp_path / "data").mkdir()
    write_shard(shard_path(tmp_path / "data", "test", 0), [_fake_clip(rng) for _ in range(2)], [{}, {}])
    IdolPipeline.from_config(replace(IDOL_TINY, frames=3), seed=1).save_pretrained(tmp_path / "model")
    bench = [sys.executable, str(ROOT / "bench" / "bench_idol.py"), "--data", str(tmp_path / "data"), "--clips", "2",
             "--no-pose", "--threads", "1"]  # --clips is given again below where it differs
    subprocess.run(bench + ["--model", str(tmp_path / "model"), "--no-determinism", "--json", str(tmp_path / "a.json"),
                            "--save-samples", str(tmp_path / "s.npz")], check=True, capture_output=True, cwd=ROOT)
    subprocess.run(bench + ["--from-samples", str(tmp_path / "s.npz"), "--json", str(tmp_path / "b.json")],
                   check=True, capture_output=True, cwd=ROOT)
    made, scored = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    with np.load(tmp_path / "s.npz") as d:
        assert d["rgb"].shape == d["depth_vis"].shape == (2, 3, 16, 16, 3)
        assert json.loads(str(d["meta"]))["frames"] == 3
    assert scored["clips"] == 2 and scored["idol"] == pytest.approx(made["idol"])
    assert [r["psnr"] for r in scored["per_clip"]] == pytest.approx([r["psnr"] for r in made["rows"][0]["per_clip"]])
    # --first: frames made from a later clip are scored against that clip
    subprocess.run(bench + ["--model", str(tmp_path / "model"), "--no-determinism", "--first", "1", "--clips", "1",
                            "--save-samples", str(tmp_path / "s1.npz")], check=True, capture_output=True, cwd=ROOT)
    subprocess.run(bench + ["--from-samples", str(tmp_path / "s1.npz"), "--json", str(tmp_path / "c.json")],
                   check=True, capture_output=True, cwd=ROOT)
    later = json.loads((tmp_path / "c.json").read_text())
    assert later["per_clip"][0]["psnr"] == pytest.approx(made["rows"][0]["per_clip"][1]["psnr"])
