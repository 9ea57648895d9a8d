"""An ensemble of A-TSCN recognisers (tiny random-weight models): saved, loaded and averaged."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from app.engine.corpus.compose import compose
from app.engine.recognition.config import RecognitionConfig
from app.engine.recognition.data import Video
from app.engine.recognition.ensemble import ATSCNEnsemble, load
from app.engine.recognition.evaluate import predict
from app.engine.recognition.features import clip_features
from app.engine.recognition.model import ATSCN
from app.engine.recognition.pipeline import RecognitionPipeline
from app.engine.recognition.train import known_labels


def _member(seed: int, **kw) -> ATSCN:
    torch.manual_seed(seed)
    cfg = RecognitionConfig(hidden=8, layers=2, dropout=0.0, **kw)
    cfg.labels = known_labels(cfg)
    return ATSCN(cfg).eval()


@pytest.fixture(scope="module")
def clip():
    return compose([("walk", {"steps": 4}), ("wave", None)], np.random.default_rng(0))


def test_saved_ensemble_loads_as_one_and_averages_its_members(tmp_path, clip):
    a, b = _member(0), _member(1)
    ATSCNEnsemble([a, b], unknown_threshold=0.42).save_pretrained(tmp_path / "ens")
    assert (tmp_path / "ens" / "member1" / "model.safetensors").is_file()
    loaded = load(tmp_path / "ens", device="cpu")
    assert isinstance(loaded, ATSCNEnsemble) and len(loaded.members) == 2
    assert loaded.cfg.unknown_threshold == pytest.approx(0.42)
    pose, motion = clip_features(clip)
    pipe = RecognitionPipeline.from_pretrained(tmp_path / "ens", device="cpu")
    one = [RecognitionPipeline(m)._raw_one(m, pose, motion) for m in (a, b)]
    both = pipe.raw(pose, motion)
    assert np.allclose(both["clip_prob"], (one[0]["clip_prob"] + one[1]["clip_prob"]) / 2, atol=1e-5)
    assert np.allclose(both["evidence"], (one[0]["evidence"] + one[1]["evidence"]) / 2, atol=1e-5)
    assert not np.allclose(one[0]["clip_prob"], one[1]["clip_prob"], atol=1e-3)   # the members do differ
    result = pipe.recognize(clip)
    assert result.clip[0]["label"] == pipe.labels[int(np.argmax(both["clip_prob"]))]


def test_predict_on_videos_matches_the_pipeline(tmp_path, clip):
    ens = ATSCNEnsemble([_member(0), _member(1)])
    pose, motion = clip_features(clip)
    video = Video(id="v", pose=pose, motion=motion, frames=np.full(len(pose), -1, np.int16), split="test",
                  source="toy")
    (p,) = predict(ens, [video])
    raw = RecognitionPipeline(ens).raw(pose, motion)
    for key in ("clip_prob", "video_prob", "att", "evidence"):
        assert np.allclose(p[key], raw[key], atol=1e-4), key
    assert abs(p["clip_u"] - raw["clip_u"]) < 1e-5


def test_a_plain_model_directory_still_loads_as_one_model(tmp_path):
    _member(0).save_pretrained(tmp_path / "one")
    assert isinstance(load(tmp_path / "one", device="cpu"), ATSCN)


def test_members_with_other_labels_are_refused():
    a = _member(0)
    b = _member(1)
    b.cfg = replace(b.cfg, labels=list(reversed(b.cfg.labels)))
    with pytest.raises(ValueError):
        ATSCNEnsemble([a, b])
