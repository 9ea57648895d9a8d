"""IDOL's dual-modal U-Net, alignment losses, CFG dropout and pipeline on tiny random-weight models."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from app.engine.idol.config import IDOL_TINY, with_variant  # noqa: E402
from app.engine.idol.losses import (attention_consistency, drop_conditions, motion_consistency,  # noqa: E402
                                    motion_field)
from app.engine.idol.pipeline import Conditions, IdolPipeline, build_unet  # noqa: E402

S, T = IDOL_TINY.size, IDOL_TINY.frames


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _inputs(b: int = 1, m: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    return r(b, m, T, 3, S, S), torch.tensor([500] * b), r(b, T, 3, S, S), r(b, T, 3, S, S), r(b, 3, S, S)


def _unet(cfg=IDOL_TINY, seed=0):
    torch.manual_seed(seed)
    return build_unet(cfg).eval()


def test_shapes_and_aux_outputs():
    unet = _unet()
    x, t, pose, bg, ref = _inputs(b=2)
    out = unet(x, t, pose, bg, ref, return_aux=True)
    assert out.sample.shape == (2, 2, T, 3, S, S)
    assert out.features and all(f.shape[:3] == (2, 2, T) for f in out.features)
    heads, tokens = IDOL_TINY.heads, IDOL_TINY.ref_tokens_side ** 2
    assert out.attention and all(a.shape[:4] == (2, 2, T, heads) and a.shape[-1] == tokens for a in out.attention)
    assert torch.allclose(out.attention[0].sum(-1), torch.ones(()), atol=1e-5)   # softmax over reference tokens


def test_modality_embedding_tells_the_branches_apart():
    unet = _unet(with_variant(IDOL_TINY, "no_xattn"))
    x, t, pose, bg, ref = _inputs()
    x[:, 1] = x[:, 0]                       # the same noisy frames in both branches
    out = unet(x, t, pose, bg, ref).sample
    assert (out[:, 0] - out[:, 1]).abs().max() > 1e-4
    with torch.no_grad():
        unet.modality_embedding.weight.zero_()
    out = unet(x, t, pose, bg, ref).sample
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-6)


def test_cross_modal_attention_lets_depth_change_the_video_branch():
    on = _unet()
    off = _unet(with_variant(IDOL_TINY, "no_xattn"))
    off.load_state_dict(on.state_dict())   # same parameters: the switch only changes the wiring
    x, t, pose, bg, ref = _inputs()
    x2 = x.clone()
    x2[:, 1] += 1.0                         # change the depth branch only
    with torch.no_grad():
        assert (on(x, t, pose, bg, ref).sample[:, 0] - on(x2, t, pose, bg, ref).sample[:, 0]).abs().max() > 1e-4
        assert torch.equal(off(x, t, pose, bg, ref).sample[:, 0], off(x2, t, pose, bg, ref).sample[:, 0])
        assert (on(x, t, pose, bg, ref).sample - off(x, t, pose, bg, ref).sample).abs().max() > 1e-4


def test_motion_field_recovers_a_shift():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(1, 1, 16, 12, 14, generator=g)
    shifted = torch.roll(base, shifts=1, dims=-1)          # frame 2 = frame 1 moved one pixel right
    flow = motion_field(torch.cat([base, shifted], 1), radius=2, tau=0.02)
    interior = flow[0, 0, :, 2:-2, 2:-2]
    assert abs(float(interior[0].mean()) - 1.0) < 0.05 and abs(float(interior[1].mean())) < 0.05


@pytest.mark.parametrize("loss_name", ["motion", "attention"])
def test_alignment_losses_have_gradients(loss_name):
    unet = _unet().train()
    x, t, pose, bg, ref = _inputs()
    out = unet(x, t, pose, bg, ref, return_aux=True)
    loss = motion_consistency(out.features) if loss_name == "motion" else attention_consistency(out.attention)
    assert float(loss) > 0
    loss.backward()
    grads = {n: p.grad for n, p in unet.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert "conv_in.weight" in grads
    if loss_name == "attention":
        assert any("attn2.to_q" in n for n in grads) and any("ref_encoder" in n for n in grads)


def test_cfg_condition_dropout():
    keep, keep_ref = drop_conditions(4000, 0.1, 0.05, torch.Generator().manual_seed(0))
    assert abs(1 - float(keep.float().mean()) - 0.1) < 0.02
    assert bool((keep_ref <= keep).all())                              # no reference without the rest
    assert abs(float((keep & ~keep_ref).float().mean()) - 0.9 * 0.05) < 0.015
    assert not drop_conditions(8, 1.0, 0.0)[0].any() and drop_conditions(8, 0.0, 0.0)[1].all()
    unet = _unet()
    ref = torch.randn(2, 3, S, S)
    tokens = unet.ref_encoder(ref, torch.tensor([True, False]))
    assert torch.equal(tokens[1], unet.ref_encoder.null)
    assert not torch.equal(tokens[0], unet.ref_encoder.null)


def _conditions(seed=0):
    rng = np.random.default_rng(seed)
    u8 = lambda *s: rng.integers(0, 256, s, dtype=np.uint8)  # noqa: E731
    return Conditions(u8(T, S, S, 3), u8(T, S, S, 3), u8(S, S, 3))


def test_same_seed_same_frames_and_save_load_round_trip(tmp_path):
    pipe = IdolPipeline.from_config(IDOL_TINY, seed=3)
    cond = _conditions()
    a = pipe(cond, seed=7)
    b = pipe(cond, seed=7)
    c = pipe(cond, seed=8)
    assert a[0].shape == (T, S, S, 3) and a[1].shape == (T, S, S, 3) and a[0].dtype == np.uint8
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    pipe.save_pretrained(tmp_path / "m", info={"steps": 1})
    loaded = IdolPipeline.from_pretrained(tmp_path / "m")
    assert loaded.config == pipe.config and loaded.info["steps"] == 1
    d = loaded(cond, seed=7)
    assert np.array_equal(a[0], d[0]) and np.array_equal(a[1], d[1])
    assert np.array_equal(a[0], loaded(cond, seed=7, sampler="ddim")[0])
    fast = loaded(cond, seed=7, sampler="dpm", steps=3)
    assert fast[0].shape == (T, S, S, 3) and np.array_equal(fast[0], loaded(cond, seed=7, sampler="dpm", steps=3)[0])


def test_sampling_defaults():
    from app.core.errors import InvalidInputError

    pipe = IdolPipeline.from_config(IDOL_TINY)
    assert pipe.sampling() == ("ddim", IDOL_TINY.sample_steps) and pipe.sampling(steps=4) == ("ddim", 4)
    assert pipe.sampling("dpm") == ("dpm", 10) and pipe.sampling("dpm", 8) == ("dpm", 8)
    with pytest.raises(InvalidInputError, match="unknown sampler"):
        pipe.sampling("euler")


def test_bf16_sampling_is_repeatable_and_close_to_fp32():
    from app.core.errors import InvalidInputError
    from app.engine.idol.pipeline import bf16_supported

    pipe = IdolPipeline.from_config(IDOL_TINY, seed=3)
    cond = _conditions()
    full = pipe(cond, seed=7)
    half = pipe(cond, seed=7, precision="bf16")
    assert np.array_equal(half[0], pipe(cond, seed=7, precision="bf16")[0])          # same seed, same frames
    if bf16_supported():
        assert not np.array_equal(full[0], half[0])                                   # it did run in bf16
    diff = np.abs(full[0].astype(int) - half[0].astype(int))
    assert np.median(diff) <= 2 and diff.mean() < 4, (np.median(diff), diff.mean())   # of 255 levels
    with pytest.raises(InvalidInputError, match="unknown precision"):
        pipe(cond, seed=7, precision="fp8")


@pytest.mark.parametrize("cfg", [IDOL_TINY, with_variant(IDOL_TINY, "no_xattn"), with_variant(IDOL_TINY, "two_stage"),
                                 replace(IDOL_TINY, size=64, channels=(8, 16, 16))], ids=["full", "no_xattn",
                                                                                         "two_stage", "pixel_attn"])
def test_inference_fast_path_matches_the_training_path(cfg):
    """Same function on the fast path (64 px: pixel-aligned cross-modal attention at 32x32), batch of 2 (CFG)."""
    unet = _unet(cfg)
    with torch.no_grad():
        for p in unet.parameters():       # the zero-initialised output layers would hide differences
            p.add_(torch.randn_like(p) * 0.05)
    g = torch.Generator().manual_seed(1)
    s, m = cfg.size, cfg.modalities
    x, pose, bg = (torch.randn(2, *shape, generator=g) for shape in ((m, T, 3, s, s), (T, 3, s, s), (T, 3, s, s)))
    ref, keep = torch.randn(2, 3, s, s, generator=g), torch.tensor([True, False])
    with torch.inference_mode():
        slow = unet(x, torch.tensor(300), pose, bg, ref, keep).sample
        fast = unet(x, torch.tensor(300), pose, bg, ref, keep, cache=unet.inference_cache(ref, keep)).sample
    assert slow.abs().mean() > 0.1 and torch.allclose(slow, fast, atol=2e-5)
    with pytest.raises(ValueError, match="sampling only"):
        unet(x, torch.tensor(300), pose, bg, ref, keep, cache=unet.inference_cache(ref, keep), return_aux=True)


def test_two_stage_baseline_and_guidance(tmp_path):
    cfg = with_variant(IDOL_TINY, "two_stage")
    pipe = IdolPipeline.from_config(cfg)
    assert pipe.unet.config.modalities == 1 and pipe.depth_model is not None
    rgb, depth = pipe(_conditions())
    assert rgb.shape == depth.shape == (T, S, S, 3)
    pipe.save_pretrained(tmp_path / "b")
    assert IdolPipeline.from_pretrained(tmp_path / "b").depth_model is not None
    full = IdolPipeline.from_config(IDOL_TINY)
    cond = _conditions()
    assert not np.array_equal(full(cond, guidance=1.0)[0], full(cond, guidance=3.0)[0])


def test_wrong_size_is_rejected():
    from app.core.errors import InvalidInputError

    pipe = IdolPipeline.from_config(replace(IDOL_TINY))
    cond = _conditions()
    bad = Conditions(np.zeros((T, S * 2, S * 2, 3), np.uint8), cond.background, cond.reference)
    with pytest.raises(InvalidInputError, match="not supported"):
        pipe(bad)
