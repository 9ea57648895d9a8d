"""Shared pytest fixtures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()


@pytest.fixture
def shared_dir() -> Path:
    """The read-only ../shared folder next to the repo; skips the test when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is not available")
    return SHARED_DIR


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
