"""Hostile videos and prompts: the forensic video reader and the prompt parser end in a result
or a one-line InvalidInputError, never a traceback or a hang (short hypothesis runs; the long
run is ``bench/fuzz_inputs.py``)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidInputError
from app.engine.t2m.pipeline import plan_spans
from app.engine.t2m.spans import split_prompt
from app.engine.t2m.text_cond import parse_slots

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import fuzz_targets as ft  # noqa: E402

SETTINGS = dict(deadline=5000, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_engine")


@pytest.fixture(scope="module")
def video_seeds(folder) -> list[bytes]:
    return ft._video_seeds(folder)


@settings(max_examples=15, **SETTINGS)
@given(rnd=st.randoms(use_true_random=False))
def test_video_reader_survives_damaged_containers(rnd, video_seeds, folder):
    data = ft.mutate_bytes(rnd.choice(video_seeds), rnd)
    out = ft.run_input(ft.TARGETS["video"], data, folder, timeout_s=30.0)
    assert out.kind in ("ok", "rejected"), out.detail


@settings(max_examples=150, **SETTINGS)
@given(text=st.text(max_size=3000))
@example(text="a" + " " * 20000 + "b")          # was quadratic in split_prompt (ReDoS)
@example(text="9" * 5000 + " times")           # int() of 5000 digits raised ValueError in parse_slots
@example(text="after a, " * 2000 + "wave")     # recursion per 'after X,'
def test_prompt_parser_never_crashes(text):
    out = ft.judge(lambda: ft.read_prompt(text), timeout_s=10.0)
    assert out.kind in ("ok", "rejected"), out.detail


@settings(max_examples=40, **SETTINGS)
@given(rnd=st.randoms(use_true_random=False))
def test_prompt_parser_on_generated_prompts(rnd):
    text = ft.gen_prompt(rnd).decode("utf-8", "replace")
    out = ft.judge(lambda: ft.read_prompt(text), timeout_s=10.0)
    assert out.kind in ("ok", "rejected"), out.detail


def test_prompt_findings_are_fast_and_exact():
    t0 = time.perf_counter()
    assert split_prompt("walk" + " " * 200_000 + "then jump") == ["walk", "jump"]
    assert time.perf_counter() - t0 < 5.0
    assert split_prompt("after a, after b, " * 300 + "wave")[-3:] == ["a", "b", "wave"]
    assert parse_slots("9" * 5000 + " times")[3] == 10
    with pytest.raises(InvalidInputError, match="the prompt is empty"):
        plan_spans(" \n\t ", None, None)
