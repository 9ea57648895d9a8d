"""Prompt-following predicates on synthetic joints and procedural atoms, and the bench's plumbing."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.skeleton import SMPL22_REST_POSITIONS
from app.engine.corpus.registry import families, generate
from app.engine.evaluator.kinematics import Kin, count_events, zigzag
from app.engine.evaluator.predicates import PREDICATES, evaluate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

FPS = 20.0


def _stand(n: int = 60) -> np.ndarray:
    """A T-pose standing on the floor (toes at y=0), facing +Z, for n frames."""
    rest = SMPL22_REST_POSITIONS - [0.0, SMPL22_REST_POSITIONS[:, 1].min(), 0.0]
    return np.repeat(rest[None], n, 0).copy()


def _kin(name: str, **params) -> Kin:
    return Kin.from_clip(generate(name, params, rng=np.random.default_rng(0)))


def test_signal_helpers():
    x = np.sin(np.linspace(0, 6 * np.pi, 200))  # three periods from 0
    assert zigzag(x, 0.5) == 7  # 0->1, then six half-period moves (the last one -1->0)
    assert zigzag(0.01 * x, 0.5) == 0
    assert count_events(x, 0.8, 0.2) == 3


def test_turn_on_synthetic_body():
    j = _stand()
    ang = np.radians(np.linspace(0, 180, len(j)))  # a left turn: forward (+Z) rotates towards +X
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    x, z = j[..., 0].copy(), j[..., 2].copy()
    j[..., 0], j[..., 2] = c * x + s * z, -s * x + c * z
    k = Kin.from_joints(j, FPS)
    left, right = evaluate("turn", k, side="left"), evaluate("turn", k, side="right")
    assert left.ok and left.named_moves and left.values["yaw_deg"] == pytest.approx(180, abs=6)
    assert not right.ok and right.named_moves is False
    assert not evaluate("turn", Kin.from_joints(_stand(), FPS)).ok


def test_jumps_on_synthetic_body():
    j = _stand(80)
    t = np.arange(80) / FPS
    lift = sum(np.clip(0.3 - 4.9 * (t - t0 - 0.25) ** 2, 0, None) for t0 in (0.5, 2.0))  # two 0.3 m hops
    j[..., 1] += lift[:, None]
    k = Kin.from_joints(j, FPS)
    assert evaluate("jump", k, count=2).ok
    assert not evaluate("jump", k, count=5).ok
    assert not evaluate("jump", Kin.from_joints(_stand(80), FPS)).ok


def test_walk_atom_is_forward_not_backward():
    k = _kin("walk")
    assert evaluate("walk_forward", k).ok
    assert not evaluate("walk_backward", k).ok
    assert not evaluate("run", k).ok
    assert evaluate("walk_backward", _kin("walk_backward")).ok
    assert evaluate("run", _kin("run")).ok


def test_kick_left_is_left():
    k = _kin("kick", side="left")
    good, bad = evaluate("kick", k, side="left"), evaluate("kick", k, side="right")
    assert good.ok and good.named_moves
    assert not bad.ok and bad.named_moves is False


def test_side_specific_pairs():
    for atom, pred in (("side_step", "side_step"), ("turn", "turn"), ("hop", "hop"), ("lunge", "lunge")):
        k = _kin(atom, side="right")
        assert evaluate(pred, k, side="right").named_moves, atom
        assert not evaluate(pred, k, side="left").ok, atom
    k = _kin("wave", side="left")
    assert evaluate("wave", k, side="left").named_moves
    assert not evaluate("wave", k, side="right").ok


def test_counts_are_checked():
    k = _kin("squat", reps=2)
    assert evaluate("squat", k, count=2).ok and evaluate("squat", k, count=3).ok  # +-1
    assert not evaluate("squat", k, count=5).ok
    assert not evaluate("squat", _kin("idle")).ok
    assert evaluate("clap", _kin("clap", reps=4), count=4).ok
    assert not evaluate("clap", _kin("wave"), count=4).ok


def test_suite_is_well_formed():
    from prompt_suite import SUITE
    assert len(SUITE) >= 60
    assert {p.family for p in SUITE} >= set(families()) | {"composition"}
    assert sum(p.family == "composition" for p in SUITE) >= 15
    assert sum(1 for p in SUITE if p.pair and p.side == "left") >= 8
    k = Kin.from_joints(_stand(40), FPS)
    for p in SUITE:  # every predicate exists and accepts its arguments
        for name, kw in p.parts:
            assert name in PREDICATES, name
            evaluate(name, k, **kw)


def test_suite_avoids_corpus_template_phrasings():
    from app.engine.corpus.describe import T
    from prompt_suite import SUITE
    texts = [p.text.lower() for p in SUITE]
    for tpls in T.values():
        for tpl in tpls:
            for frag in re.split(r"\{[^}]*\}", tpl):
                if len(frag.split()) >= 3:
                    assert not any(frag.strip() in t for t in texts), frag


def test_bench_plumbing_with_tiny_pipeline():
    from bench_prompts import bench, table
    from prompt_suite import SUITE
    from tests.t2m_fakes import tiny_pipeline
    suite = [SUITE[0], next(p for p in SUITE if p.family == "composition" and len(p.parts) == 2)]
    rows, sums = bench({"tiny": tiny_pipeline()}, seeds=1, suite=suite)
    assert len(rows["tiny"]) == 2
    assert all(len(r["parts"]) == len(p.parts) for r, p in zip(rows["tiny"], suite))
    assert set(sums["tiny"]["families"]) == {"locomotion", "composition"}
    md = table(sums)
    assert "| all prompts |" in md and "| composition |" in md


def test_bench_recognizer_column_with_a_stub():
    from types import SimpleNamespace

    from bench_prompts import bench, table
    from prompt_suite import SUITE
    from tests.t2m_fakes import tiny_pipeline

    from app.engine.recognition.pipeline import RecognitionResult

    class Stub:  # always sees a walk, then a wave
        labels, cfg = ["walk", "wave", "run"], SimpleNamespace(unknown_threshold=0.5)

        def recognize(self, clip):
            d = clip.duration
            return RecognitionResult([{"label": "walk", "probability": 0.9}], 0.1,
                                     [dict(label="walk", start_s=0, end_s=d / 2), dict(label="wave", start_s=d / 2, end_s=d)])

    walk = SUITE[0]
    wave_after_walk = next(p for p in SUITE if p.text.startswith("walk forward a few steps, then wave"))
    run = next(p for p in SUITE if p.parts[0][0] == "run" and len(p.parts) == 1)
    rows, sums = bench({"tiny": tiny_pipeline()}, seeds=1, suite=[walk, wave_after_walk, run], rec=Stub())
    assert [r["recog_ok"] for r in rows["tiny"]] == [True, True, False]
    assert rows["tiny"][1]["recog_expected"] == ["walk", "wave"]
    s = sums["tiny"]
    assert (s["recognizer_n"], s["recognizer_na"]) == (3, 0) and abs(s["recognizer"] - 2 / 3) < 1e-9
    assert "| recogniser agrees with the prompt | 67% (n=3" in table(sums)
