"""The length estimator: learns durations from (text, seconds) pairs, sizes each part of a prompt when no duration
is given, and with the shipped files makes counted actions the length their count needs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.t2m.length import LengthConfig, LengthEstimator, load_length_estimator, slot_onehots
from app.engine.t2m.pipeline import HOLD_TEXT, MODELS_DIR, hold_after_counts, plan_spans
from tests.t2m_fakes import fake_encoder, tiny_pipeline


def _fit_on_counts(steps: int = 300) -> LengthEstimator:
    """A tiny estimator trained on texts whose duration is 1.5 s per repetition (the reps slot)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    texts = [f"a person jumps {w}" for w in ("once", "twice", "three times", "four times")]
    reps = np.array([1, 2, 3, 4])
    model = LengthEstimator(LengthConfig(text_dim=384, hidden=32, dropout=0.0))
    pooled, slots = fake_encoder(texts), np.stack([[0, 0, 0, r] for r in reps])
    x, s = torch.from_numpy(pooled), torch.from_numpy(slot_onehots(slots))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        idx = torch.from_numpy(rng.integers(0, 4, 16))
        y = torch.from_numpy((1.5 * reps[idx.numpy()] * np.exp(rng.normal(0, 0.05, 16))).astype(np.float32))
        loss = model.nll(x[idx], s[idx], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.encoder = fake_encoder
    return model


def test_fits_duration_per_repetition_and_round_trips(tmp_path):
    model = _fit_on_counts()
    texts = ["a person jumps once", "a person jumps twice", "a person jumps three times", "a person jumps four times"]
    est = model.seconds(texts)
    assert np.all(np.diff(est) > 0.5), est
    assert np.allclose(est, [1.5, 3.0, 4.5, 6.0], rtol=0.2), est
    out = model.save(tmp_path / "length", figures={"note": "test"})
    again = load_length_estimator(out)
    again.encoder = fake_encoder
    assert np.allclose(again.seconds(texts), est)
    assert load_length_estimator(tmp_path / "missing") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "model.safetensors").write_bytes(b"not a file")
    (tmp_path / "bad" / "config.json").write_text("{}")
    assert load_length_estimator(tmp_path / "bad") is None  # unreadable: no estimator, no crash


def test_count_head_gives_a_count_never_seen_its_time():
    """With ``count_head`` a prompt lasts base + per-repetition time x count: trained on 1, 2 and 4 repetitions
    (0.5 s + 1.5 s each), six get about 9.5 s; a prompt without a count keeps its own estimate (3 s here)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = LengthEstimator(LengthConfig(text_dim=384, hidden=32, dropout=0.0, count_head=True))
    reps = np.array([0, 1, 2, 4])
    pooled = np.repeat(fake_encoder(["a person jumps"]), 4, axis=0)
    x, s = torch.from_numpy(pooled), torch.from_numpy(slot_onehots(np.stack([[0, 0, 0, r] for r in reps])))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(400):
        idx = torch.from_numpy(rng.integers(0, 4, 16))
        r = reps[idx.numpy()]
        y = np.where(r > 0, 0.5 + 1.5 * r, 3.0) * np.exp(rng.normal(0, 0.03, 16))
        loss = model.nll(x[idx], s[idx], torch.from_numpy(y.astype(np.float32)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    est = model.predict(np.repeat(pooled[:1], 3, axis=0), np.array([[0, 0, 0, 0], [0, 0, 0, 3], [0, 0, 0, 6]]))
    assert est == pytest.approx([3.0, 5.0, 9.5], rel=0.12), est


def test_plan_spans_uses_the_estimate_only_without_a_duration():
    est = lambda parts: np.array([1.0 + len(p) / 10 for p in parts])  # noqa: E731
    plan = plan_spans("jump once; then walk forward for a while", None, None, est)
    assert [t for t, _ in plan] == ["jump once", "walk forward for a while"]
    assert [s for _, s in plan] == [pytest.approx(1.9), pytest.approx(3.4)]
    fixed = plan_spans("jump twice; then walk forward for a while", 4.0, None, est)
    assert [s for _, s in fixed] == [2.0, 2.0]  # the count's estimate (2.0 s) is not shorter: shared equally
    assert plan_spans("jump once; then walk forward for a while", 6.0, None, None) == [
        ("jump once", 3.0), ("walk forward for a while", 3.0)]  # no estimator: shared equally


def test_a_counted_part_given_spare_time_ends_standing():
    """With a duration, a counted part given > 1.3 x its estimate does its count in the estimate, then stands
    (the time is the user's, the count too); uncounted parts and explicit spans are left as they are."""
    est = lambda parts: np.array([1.0 + len(p) / 10 for p in parts])  # noqa: E731
    plan = plan_spans("jump once; then walk forward for a while", 6.0, None, est)
    assert plan == [("jump once", 1.9), (HOLD_TEXT, 1.1), ("walk forward for a while", 3.0)]
    assert sum(s for _, s in plan) == pytest.approx(6.0)
    assert plan_spans("walk forward", 9.0, None, est) == [("walk forward", 9.0)]
    assert plan_spans(None, None, [("jump once", 5.0)], est) == [("jump once", 5.0)]
    assert hold_after_counts([("clap three times", 2.0)], est) == [("clap three times", 2.0)]  # 2.0 < 1.3 x 2.6
    assert [s for _, s in plan_spans("jump", None, None)] == [4.0]  # no estimator: the old default


def test_pipeline_without_duration_follows_its_estimator():
    pipe = tiny_pipeline()
    pipe.length = _fit_on_counts()
    once = pipe.generate("a person jumps once", seed=0)[0]
    four = pipe.generate("a person jumps four times", seed=0)[0]
    assert once.duration == pytest.approx(float(pipe.length.seconds(["a person jumps once"])[0]), abs=0.1)
    assert four.duration > once.duration + 3.0
    assert pipe.generate("a person jumps once", seconds=5.0, seed=0)[0].duration == pytest.approx(5.0, abs=0.06)


@pytest.mark.skipif(not (MODELS_DIR / "length" / "model.safetensors").is_file(), reason="no shipped estimator")
def test_shipped_estimator_and_atom_count_a_single_jump():
    """User-shaped: with no duration given, 'jumps one time' is short enough that the shipped ATOM jumps once
    (judged by the jump predicate's flight count); given 6 s, it still jumps once and stands for the rest
    (:func:`hold_after_counts`), where the model alone, given the whole 6 s for the jump, jumps more."""
    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    from app.engine.t2m.pipeline import TextToMotionPipeline

    pipe = TextToMotionPipeline.from_pretrained(MODELS_DIR / "atom", device="cpu")
    assert pipe.length is not None
    short, long_ = pipe.length.seconds(["a girl jumps one time", "a girl jumps five times"])
    assert 1.0 <= short <= 3.5 and long_ > short + 2.0, (short, long_)

    def jumps(**kw) -> list[int]:
        return [evaluate("jump", Kin.from_clip(pipe.generate(seed=s, **kw)[0])).values["jumps"] for s in range(3)]

    auto, fixed = jumps(text="a girl jumps one time"), jumps(text="a girl jumps one time", seconds=6.0)
    whole = jumps(spans=[("a girl jumps one time", 6.0)])  # an explicit span: no standing added
    assert sum(n == 1 for n in auto) >= 2 and sum(n == 1 for n in fixed) >= 2, (auto, fixed)
    assert np.mean(whole) > np.mean(fixed), (whole, fixed)
    out = pipe.generate("a girl jumps one time", seconds=6.0)
    assert [t for *_, t in out.spans][-1] == HOLD_TEXT
    assert any("standing for the other" in n for n in out.notes), out.notes
