"""Fixtures shared by the engine tests."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    """80 frames [T, 22, 3] of a real mocap walk (skips when the real corpus is not built)."""
    from app.engine.corpus.real_mocap import DEFAULT_PATH, load_real_corpus
    if not DEFAULT_PATH.is_file():
        pytest.skip("real mocap corpus not built")
    w = next(w for w in load_real_corpus() if "walk" in w.texts[0] and w.clip.num_frames >= 80)
    return w.clip.joints()[:80]
