"""Fixtures shared by the engine tests."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    """80 frames [T, 22, 3] of a real mocap walk (data/real/real_mocap.npz is committed)."""
    from app.engine.corpus.real_mocap import load_real_corpus
    w = next(w for w in load_real_corpus() if "walk" in w.texts[0] and w.clip.num_frames >= 80)
    return w.clip.joints()[:80]
