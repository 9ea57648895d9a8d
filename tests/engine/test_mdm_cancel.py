"""The MDM baseline as an engine task: progress between DDIM steps, cancel stops within a second."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.engine.jobs import Engine, JobState, drain
from app.engine.tasks import generate_task as gt

from t2m_fakes import tiny_pipeline

# many DDIM steps of a tiny denoiser: each step takes milliseconds, the whole sampling seconds
SLOW_MDM = dict(model_type="mdm", d_model=32, layers=2, heads=2, ff=64, sampling_steps=1000)


@pytest.fixture(scope="module")
def mdm_pipe():
    pipe = tiny_pipeline(SLOW_MDM)
    gt.register_pipeline("mdm", pipe)
    yield pipe
    gt.register_pipeline("mdm", None)


def test_steps_match_plain_generate(mdm_pipe):
    few = dict(text="a person walks", seconds=1.0, seed=3)
    mdm_pipe.model.cfg.sampling_steps = 5
    try:
        fractions = []
        stepped = drain(mdm_pipe.generate_steps(**few), lambda p: fractions.append(p.fraction))
        plain = mdm_pipe.generate(**few)
    finally:
        mdm_pipe.model.cfg.sampling_steps = SLOW_MDM["sampling_steps"]
    assert len(fractions) == 5 and fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    np.testing.assert_array_equal(stepped[0].rotations, plain[0].rotations)


def test_cancel_mdm_generation_within_a_second(mdm_pipe):
    engine = Engine().start()
    seen = threading.Event()
    fractions: list[float] = []

    def listen(job, event):
        if event == "progress" and job.message.startswith("generating"):
            fractions.append(job.fraction)
            if len(fractions) >= 5:
                seen.set()

    engine.subscribe(listen)
    try:
        req = gt.GenerationRequest("a person walks forward", seconds=4.0, seed=1, num_samples=2, model="mdm")
        job = engine.submit("generate", gt.generate_task, req)
        assert seen.wait(30), "no per-step progress from the MDM sampler"
        assert 0.15 < fractions[-1] < 0.7 and fractions == sorted(fractions)
        t0 = time.monotonic()
        job.cancel()
        assert job.wait(5)
        elapsed = time.monotonic() - t0
        assert job.state == JobState.CANCELLED and job.result is None
        assert elapsed < 1.0, f"cancel took {elapsed:.2f} s"
    finally:
        engine.stop()
