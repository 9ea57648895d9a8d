"""Text-to-motion: ATOM / MDM models, training loop, pipeline, spans, foot locking (tiny random models)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from app.core.errors import InvalidInputError
from app.engine.t2m.atom_model import ATOM, mask_ratio
from app.engine.t2m.layers import atom_usage_gap
from app.engine.t2m.config import AtomConfig, MDMConfig, TrainConfig
from app.engine.t2m.data import T2MDataset
from app.engine.t2m.foot_lock import foot_lock, foot_skate_ratio
from app.engine.t2m.mdm_baseline import MDM
from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline
from app.engine.t2m.spans import split_prompt
from app.engine.t2m.train import export_model, train

from t2m_fakes import TINY_ATOM, TINY_MDM, fake_encoder
from t2m_fakes import tiny_pipeline as tiny_pipe


def tiny_batch(b: int = 4, t: int = 24) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(b, t, 263, generator=g) * 0.5
    return {"x": x, "lengths": torch.tensor([t, t - 4, t - 8, t][:b]), "text": torch.randn(b, 384, generator=g)}


def test_atom_shapes_and_attention_sum_to_one():
    model = ATOM(AtomConfig(**{k: v for k, v in TINY_ATOM.items()})).eval()
    batch = tiny_batch()
    mu, logvar = model.encode(batch["x"], batch["lengths"], batch["text"])
    assert mu.shape == logvar.shape == (4, 32)
    feats, maps = model.decode(mu, batch["text"], batch["lengths"], 24)
    assert feats.shape == (4, 24, 263) and len(maps) == 1 and maps[0].shape == (4, 24, 16)
    assert torch.allclose(maps[0].sum(-1), torch.ones(4, 24), atol=1e-5)
    out, att = model.sample(batch["text"], 30, torch.Generator().manual_seed(1))
    assert out.shape == (4, 30, 263) and att.shape == (4, 30, 16)


def test_atom_usage_gap_is_zero_when_spread_and_log_k_when_collapsed():
    valid = torch.ones(2, 8, dtype=torch.bool)
    one_hot = torch.nn.functional.one_hot(torch.arange(16).view(2, 8), 16).float()
    assert float(atom_usage_gap(one_hot, valid)) == pytest.approx(0.0, abs=1e-5)  # sparse per frame, all used
    collapsed = torch.nn.functional.one_hot(torch.zeros(2, 8, dtype=torch.long), 16).float()
    assert float(atom_usage_gap(collapsed, valid)) == pytest.approx(np.log(16), abs=1e-4)
    valid[1] = False  # padded frames do not count
    half = torch.cat([one_hot[:1], collapsed[1:]])
    assert float(atom_usage_gap(half, valid)) == pytest.approx(np.log(16) - np.log(8), abs=1e-4)


def test_kl_is_summed_over_latent_dims_by_default():
    model = ATOM(AtomConfig(**TINY_ATOM))
    batch = tiny_batch()
    torch.manual_seed(0)
    _, logs_sum = model.loss(batch, 0.0, torch.Generator().manual_seed(0))
    model.cfg.kl_reduction = "mean"
    _, logs_mean = model.loss(batch, 0.0, torch.Generator().manual_seed(0))
    assert logs_sum["kl"] == pytest.approx(logs_mean["kl"] * model.cfg.d_model, rel=1e-4)
    assert 0.0 <= logs_sum["usage"] <= np.log(model.cfg.codebook_size) + 1e-5


def test_mask_curriculum_schedule():
    assert mask_ratio(0.0) == 0.0
    assert mask_ratio(0.375) == pytest.approx(0.25)
    assert mask_ratio(0.75) == pytest.approx(0.5) and mask_ratio(1.0) == pytest.approx(0.5)
    assert mask_ratio(0.375, schedule="square") == pytest.approx(0.125)
    assert mask_ratio(0.1, schedule="constant") == 0.5
    assert 0 < mask_ratio(0.375, schedule="exponential") < mask_ratio(0.375)
    with pytest.raises(ValueError):
        mask_ratio(0.5, schedule="cubic")


@pytest.mark.parametrize("kind", [TINY_ATOM, TINY_MDM])
def test_losses_finite_and_decreasing(kind):
    torch.manual_seed(0)
    cfg = (AtomConfig if kind["model_type"] == "atom" else MDMConfig)(**kind)
    model = ATOM(cfg) if cfg.model_type == "atom" else MDM(cfg)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    batch = tiny_batch()
    losses = []
    for step in range(20):
        loss, logs = model.loss(batch, step / 20, torch.Generator().manual_seed(step % 2))
        assert all(np.isfinite(v) for v in logs.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4])


def test_training_loop_resumes_and_exports(tmp_path):
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(n, 263)).astype(np.float32) * 0.1 for n in (20, 25, 30, 22)]
    data = T2MDataset(feats, [fake_encoder([f"t{i}"]) for i in range(4)], [[f"t{i}"] for i in range(4)],
                      [f"i{i}" for i in range(4)])
    tcfg = TrainConfig(steps=4, batch_size=2, log_every=2, warmup=1)
    out = train(AtomConfig(**TINY_ATOM), tcfg, data, tmp_path, device="cpu")
    assert out["steps"] == 4
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "normalizer.npz").is_file()
    from dataclasses import replace
    out2 = train(AtomConfig(**TINY_ATOM), replace(tcfg, steps=6), data, tmp_path, device="cpu")
    assert out2["steps"] == 6  # resumed from step 4
    lines = (tmp_path / "train_log.jsonl").read_text().splitlines()
    assert len(lines) == 3


@pytest.mark.parametrize("kind", [TINY_ATOM, TINY_MDM])
def test_save_load_round_trip_and_determinism(tmp_path, kind):
    pipe = tiny_pipe(kind)
    export_model(pipe.model, pipe.normalizer, tmp_path)
    loaded = TextToMotionPipeline.from_pretrained(tmp_path, device="cpu", text_encoder=fake_encoder)
    a = pipe.generate("a person walks", 2.0, seed=3, foot_lock=False)[0]
    b = loaded.generate("a person walks", 2.0, seed=3, foot_lock=False)[0]
    c = loaded.generate("a person walks", 2.0, seed=4, foot_lock=False)[0]
    assert a.num_frames == 40
    np.testing.assert_allclose(a.joints(), b.joints(), atol=1e-5)
    assert not np.allclose(a.joints(), c.joints())


def test_generate_outputs_attention_and_samples():
    out = tiny_pipe().generate("a person waves", 3.0, seed=0, num_samples=2)
    assert len(out) == 2 and all(c.num_frames == 60 for c in out)
    assert out.attention[0].shape == (60, 16)
    np.testing.assert_allclose(out.attention[0].sum(-1), 1.0, atol=1e-4)
    assert not np.allclose(out[0].joints(), out[1].joints())
    assert out.skate_after[0] <= out.skate_before[0] + 1e-9


def test_split_prompt():
    assert split_prompt("walk forward; then jump twice; then wave") == ["walk forward", "jump twice", "wave"]
    assert split_prompt("a man walks, then sits down and then waves") == ["a man walks", "sits down", "waves"]
    assert split_prompt("dance") == ["dance"]
    assert split_prompt("after jogging for a bit, she stops") == ["jogging for a bit", "she stops"]
    assert split_prompt("clap three times before bowing") == ["clap three times", "bowing"]
    assert split_prompt("walks forward, followed by a jump") == ["walks forward", "a jump"]


def test_multi_span_length_and_continuity():
    pipe = tiny_pipe()
    out = pipe.generate("walk forward; then jump twice; then wave", 6.0, seed=1, foot_lock=False)
    clip = out[0]
    labels = [s[2] for s in out.spans]   # the wave's side is drawn and said (t2m/sides.py)
    assert clip.num_frames == 120 and labels[:2] == ["walk forward", "jump twice"]
    assert labels[2] in ("wave with the left hand", "wave with the right hand")
    step = np.linalg.norm(np.diff(clip.trans[:, [0, 2]], axis=0), axis=1)
    for seam in (39, 79):  # transition frames 39->40 and 79->80
        assert step[seam] <= 3 * np.median(step) + 0.02
    long = pipe.generate("walk in a circle", 25.0, seed=0, spans=None, foot_lock=False)[0]
    assert long.num_frames == 500 and np.isfinite(long.joints()).all()
    expl = pipe.generate(spans=[("walk", 2.0), ("jump", 1.5)], seed=0)[0]
    assert expl.num_frames == 70 and len(expl.segments) == 2


def test_span_regeneration_keeps_outside_frames_bit_exact():
    pipe = tiny_pipe()
    clip = pipe.generate("a person walks forward", 6.0, seed=2)[0]
    new, att = pipe.regenerate_span(clip, 40, 80, "the person jumps", seed=5)
    assert new.num_frames == clip.num_frames and att.shape == (40, 16)
    assert np.array_equal(new.trans[:40], clip.trans[:40]) and np.array_equal(new.trans[80:], clip.trans[80:])
    assert np.array_equal(new.rotations[:40], clip.rotations[:40])
    assert np.array_equal(new.rotations[80:], clip.rotations[80:])
    assert not np.allclose(new.rotations[45:75], clip.rotations[45:75])
    assert any(s.text == "the person jumps" for s in new.segments)
    with pytest.raises(InvalidInputError):
        pipe.regenerate_span(clip, 80, 40, "x")


def test_span_regeneration_of_a_30_fps_clip():
    """A BVH at another rate is edited at the model's rate; only the span's frames change, at the clip's rate."""
    pipe = tiny_pipe()
    clip = pipe.generate("a person walks forward", 6.0, seed=2)[0].resample(30.0)
    new, att = pipe.regenerate_span(clip, 60, 120, "the person jumps", seed=5)
    assert new.fps == 30.0 and new.num_frames == clip.num_frames and att.shape == (60, 16)
    for a, b in ((new.trans, clip.trans), (new.rotations, clip.rotations)):
        assert np.array_equal(a[:60], b[:60]) and np.array_equal(a[120:], b[120:])
    assert not np.allclose(new.rotations[70:110], clip.rotations[70:110])
    span = next(s for s in new.segments if s.text == "the person jumps")
    assert span.start == pytest.approx(2.0) and span.end == pytest.approx(4.0)
    step = np.linalg.norm(np.diff(new.joints()[:, 0], axis=0), axis=1)   # no jump at the seams
    assert max(step[58:61].max(), step[118:121].max()) <= 3 * np.median(step) + 0.03


def test_foot_locking_reduces_foot_skate():
    from app.engine.corpus.compose import random_composition
    rng = np.random.default_rng(3)
    clip = random_composition(rng, (2, 2)).on_ground()
    clip.trans[:, 0] += np.cumsum(rng.normal(0, 0.02, clip.num_frames))  # make the feet slide
    before = foot_skate_ratio(clip.joints())
    locked, info = foot_lock(clip)
    assert before > 0.05 and info["skate_after"] < 0.5 * before
    np.testing.assert_allclose(locked.trans, clip.trans)  # only the legs move


def test_foot_locking_never_lifts_both_feet_at_once():
    """Both toes sliding apart together in contact (a standing piece carried at walking speed) are split and
    stepped, but never lifted in the same frame: the lock must not invent a hop (session 43: L5 did)."""
    from app.engine.t2m.foot_lock import contact_corrections, one_foot_down
    hold, move = np.zeros(10), np.linspace(0.0, 0.3, 5)[1:-1]
    x = np.concatenate([hold, move, hold + 0.3, move + 0.3, hold + 0.6])
    toes = [np.stack([x, np.full(len(x), 0.02), np.full(len(x), z)], -1) for z in (-0.1, 0.1)]
    deltas = [contact_corrections(t) for t in toes]
    assert all((d[:, 1] > 0).any() for d in deltas)   # each toe alone would step
    one_foot_down(deltas, toes)
    both = (deltas[0][:, 1] > 0) & (deltas[1][:, 1] > 0)
    assert not both.any() and any((d[:, 1] > 0).any() for d in deltas)


def test_foot_locking_keeps_feet_that_slide_apart_low():
    """A toe that stays 2 cm up but slides 30 cm between holds (the low hops of a jumping jack spreading the
    feet) is pinned at each hold, not pulled to one place between them, and steps between holds (lifted, without
    a jump or a slide);
    a 19 cm slow slide is still pinned as one contact."""
    from app.engine.t2m.foot_lock import contact_corrections, contact_runs
    hold, move = np.zeros(10), np.linspace(0.0, 0.3, 5)[1:-1]
    x = np.concatenate([hold, move, hold + 0.3, move[::-1], hold, move, hold + 0.3])
    toe = np.stack([x, np.full(len(x), 0.02), np.zeros(len(x))], -1)
    moved = toe + contact_corrections(toe)
    pinned = moved[:, 0]
    for centre, place in ((5, 0.0), (18, 0.3), (31, 0.0), (44, 0.3)):
        assert abs(pinned[centre] - place) < 0.02
        assert abs(moved[centre, 1] - 0.02) < 1e-9   # on the ground while held
    assert np.abs(np.diff(pinned)).max() <= np.abs(np.diff(x)).max() + 0.01   # no step faster than the toe's own
    fast = np.abs(np.diff(pinned)) > 0.025   # the toe steps between holds: lifted above 5 cm, not slid
    assert fast.any() and np.all(np.maximum(moved[:-1, 1], moved[1:, 1])[fast] > 0.05)
    assert moved[:, 1].max() < 0.02 + 0.06 + 1e-9   # a step, not a high lift
    assert len(contact_runs(toe, toe[:, 1] < 0.05)) >= 4
    slide = np.stack([np.arange(20) * 0.01, np.full(20, 0.02), np.zeros(20)], -1)
    assert contact_runs(slide, slide[:, 1] < 0.05) == [(0, 20)]
    assert np.abs(contact_corrections(slide)[:, 0]).max() > 0.05


@pytest.mark.parametrize("prompt,seconds", [("", 2.0), ("   ", 2.0), ("walk", 0), ("walk", -1), ("walk", 1000),
                                            ("walk", float("nan"))])
def test_bad_input_is_rejected(prompt, seconds):
    with pytest.raises(InvalidInputError):
        tiny_pipe().generate(prompt, seconds)


def test_odd_prompts_give_motions():
    pipe = tiny_pipe()
    for text in ("💃🕺", "une personne marche", "florp zindle quax", "walk " * 1000):
        clip = pipe.generate(text, 1.0, seed=0)[0]
        assert clip.num_frames == 20 and np.isfinite(clip.joints()).all()


def test_committed_atom_checkpoint_generates():
    pipe = TextToMotionPipeline.from_pretrained(MODELS_DIR / "atom", device="cpu")
    out = pipe.generate("a person walks forward", 3.0, seed=0)
    clip = out[0]
    assert clip.num_frames == 60 and np.isfinite(clip.joints()).all()
    assert out.attention[0].shape == (60, pipe.cfg.codebook_size)
    assert 0.5 < clip.joints()[:, 15, 1].mean() < 2.2  # the head is above the ground at a human height
    assert Path(MODELS_DIR / "atom" / "README.md").is_file()


def test_dataset_subset_keeps_items_and_their_first_texts():
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(n, 263)).astype(np.float32) for n in (20, 25, 30)]
    texts = [[f"walk {i}", f"stroll {i}"] for i in range(3)]
    data = T2MDataset(feats, [fake_encoder(t) for t in texts], texts, ["a", "b", "c"])
    sub = data.subset([2, 0])
    assert sub.ids == ["c", "a"] and sub.texts == [["walk 2"], ["walk 0"]]
    assert np.array_equal(sub.features[0], feats[2]) and sub.text_emb[1].shape == (1, 384) and len(sub.slots[0]) == 1


def test_one_foot_down_keeps_the_support_foot_on_the_floor():
    """A lift arc of the lower toe while the other toe is off the floor (a seam blend) is dropped: lifting the
    only foot near the floor would float the body; with the other foot planted the arc is kept (a step)."""
    from app.engine.t2m.foot_lock import one_foot_down
    t = 10
    arc = np.zeros((t, 3))
    arc[2:8, 1] = np.sin(np.pi * np.arange(6) / 5) * 0.05
    low, high = np.zeros((t, 3)), np.zeros((t, 3))
    low[:, 1], high[:, 1] = 0.01, 0.045
    deltas = [arc.copy(), np.zeros((t, 3))]
    one_foot_down(deltas, [low, high], floor=0.0)
    assert float(deltas[0][:, 1].max()) == 0.0
    deltas = [arc.copy(), np.zeros((t, 3))]
    one_foot_down(deltas, [low, low.copy()], floor=0.0)   # other foot planted: a step, kept
    assert float(deltas[0][:, 1].max()) > 0.04
    deltas = [arc.copy(), np.zeros((t, 3))]
    one_foot_down(deltas, [low, high])                    # no floor given (whole clips): unchanged
    assert float(deltas[0][:, 1].max()) > 0.04
