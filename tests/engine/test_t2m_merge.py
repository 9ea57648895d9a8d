"""Weight-space merge of two exported ATOM models (WiSE-FT): endpoints, midpoint, refusals."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from app.engine.t2m.merge import MergeError, merge_exports, merge_weights
from app.engine.t2m.train import export_model
from tests.t2m_fakes import TINY_ATOM, tiny_pipeline


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    a, b = tiny_pipeline(), tiny_pipeline()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # b: a as if fine-tuned (same architecture and normaliser, other weights)
        for p in b.model.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=gen))
    da = export_model(a.model, a.normalizer, tmp_path_factory.mktemp("a"), train_steps=10)
    db = export_model(b.model, b.normalizer, tmp_path_factory.mktemp("b"), train_steps=20)
    return da, db


def test_endpoints_and_midpoint(two_models, tmp_path):
    da, db = two_models
    wa, wb = load_file(str(da / "model.safetensors")), load_file(str(db / "model.safetensors"))
    some = next(k for k, v in wa.items() if v.is_floating_point() and not torch.equal(v, wb[k]))
    for alpha, want in ((0.0, wa[some]), (1.0, wb[some]), (0.5, (wa[some] + wb[some]) / 2)):
        out = merge_exports(da, db, alpha, tmp_path / f"m{alpha}")
        got = load_file(str(out / "model.safetensors"))[some]
        assert torch.allclose(got, want, atol=1e-6), alpha
    cfg = json.loads((tmp_path / "m0.5" / "config.json").read_text())
    assert cfg["merged_from"]["alpha"] == 0.5 and cfg["d_model"] == TINY_ATOM["d_model"]


def test_merged_model_loads_and_generates(two_models, tmp_path):
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from tests.t2m_fakes import fake_encoder

    out = merge_exports(*two_models, 0.5, tmp_path / "m")
    pipe = TextToMotionPipeline.from_pretrained(out, device="cpu", text_encoder=fake_encoder)
    clip = pipe.generate("a person walks forward", seconds=1.0, seed=0)[0]
    assert np.isfinite(clip.trans).all() and np.isfinite(clip.rotations).all() and len(clip.trans) > 0


def test_refuses_other_architecture_normaliser_or_alpha(two_models, tmp_path):
    da, db = two_models
    other = tiny_pipeline(dict(TINY_ATOM, d_model=16, ff=32))
    dc = export_model(other.model, other.normalizer, tmp_path / "c")
    with pytest.raises(MergeError, match="configs differ"):
        merge_exports(da, dc, 0.5, tmp_path / "x")
    with pytest.raises(MergeError, match="alpha"):
        merge_exports(da, db, 1.5, tmp_path / "y")
    a = tiny_pipeline()
    a.normalizer.std = a.normalizer.std * 2
    dd = export_model(a.model, a.normalizer, tmp_path / "d")
    with pytest.raises(MergeError, match="normalisers differ"):
        merge_exports(da, dd, 0.5, tmp_path / "z")


def _with_config(src, dst, cfg: dict):
    """``dst``: a copy of export ``src``'s weights and normaliser with ``cfg`` as its config."""
    dst.mkdir(exist_ok=True)
    for f in ("model.safetensors", "normalizer.npz"):
        (dst / f).write_bytes((src / f).read_bytes())
    (dst / "config.json").write_text(json.dumps(cfg))
    return dst


def test_loss_settings_may_differ_but_sampling_settings_may_not(two_models, tmp_path):
    """Two fine-tunes with other loss weights (the prior path's on) or run descriptions (a shipped model's ``how`` /
    ``init_from``) are one architecture; a sampling setting is not."""
    da, db = two_models
    cfg = json.loads((db / "config.json").read_text())
    lossy = _with_config(db, tmp_path / "b_loss", dict(cfg, w_prior_path=0.1, prior_path_bands=True, train_items=9,
                                                       how="README, session 9", init_from="models/atom"))
    assert (merge_exports(da, lossy, 0.5, tmp_path / "m") / "model.safetensors").exists()
    _with_config(db, lossy, dict(cfg, sample_temperature=0.9))
    with pytest.raises(MergeError, match="sample_temperature"):
        merge_exports(da, lossy, 0.5, tmp_path / "m2")


def test_a_setting_left_out_reads_as_its_default(two_models, tmp_path):
    """An export written before a sampling setting existed (no ``count_clock`` key) merges with one that writes it at
    its default, not with one that turns it on."""
    da, db = two_models
    cfg = json.loads((db / "config.json").read_text())
    old = _with_config(db, tmp_path / "b_old", {k: v for k, v in cfg.items() if not k.startswith("count_clock")})
    assert (merge_exports(old, db, 0.5, tmp_path / "m") / "model.safetensors").exists()
    _with_config(db, old, dict(cfg, count_clock=0.85))
    with pytest.raises(MergeError, match="count_clock"):
        merge_exports(da, old, 0.5, tmp_path / "m2")


def test_integer_tensors_must_agree():
    a = {"w": torch.ones(2), "n": torch.tensor([3])}
    assert torch.equal(merge_weights(a, {"w": torch.zeros(2), "n": torch.tensor([3])}, 0.25)["w"], torch.full((2,), 0.75))
    with pytest.raises(MergeError, match="non-float"):
        merge_weights(a, {"w": torch.zeros(2), "n": torch.tensor([4])}, 0.5)
