"""Face identity cues: a face that keeps one identity reads low, one that wanders reads high."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics.face_identity import IDENTITY_CUES, MIN_ID_FACE_PX, FaceIdentity, identity_cues


def _walk(n: int, step: float, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 0.1, 128)
    return [base + step * rng.normal(0, 1, 128) for _ in range(n)]


def test_a_fixed_identity_spreads_less_than_a_wandering_one():
    steady, wandering = identity_cues(_walk(20, 0.01)), identity_cues(_walk(20, 0.05))
    for name in IDENTITY_CUES:
        assert steady[name][0] is not None and wandering[name][0] is not None
        assert steady[name][0] < 0.5 * wandering[name][0]
    assert len(steady["face_identity_spread"][1]) == 20


def test_missing_faces_leave_the_cues_unmeasured_with_a_reason():
    few = [None] * 10 + _walk(3, 0.01)
    out = identity_cues(few)
    assert all(v[0] is None and "only 3 of 13" in v[2] for v in out.values())
    gaps = [d if i % 2 else None for i, d in enumerate(_walk(12, 0.01))]     # never two frames in a row
    out = identity_cues(gaps)
    assert out["face_identity_spread"][0] is not None and out["face_identity_jitter"][0] is None
    assert identity_cues(_walk(8, 0.01), "no dlib")["face_identity_jitter"] == (None, None, "no dlib")


def test_descriptor_from_the_shipped_wheel():
    fid = FaceIdentity()
    if not fid.available:
        pytest.skip(fid.reason)
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    assert fid.describe(img, (80, 60, MIN_ID_FACE_PX / 2 - 1)) is None          # too small to tell anyone
    d1, d2 = fid.describe(img, (80, 60, 30)), fid.describe(img, (80, 60, 30))
    assert d1.shape == (128,) and np.allclose(d1, d2)                          # deterministic
    shifted = np.roll(img, 40, axis=1)
    assert np.linalg.norm(fid.describe(shifted, (80, 60, 30)) - d1) > 1e-3    # it looks at the pixels
