"""Foot locking must not undo the action: every procedural atom that passes its own predicate still passes it
after the lock (the ground truth's feet are already planted, so the lock should be close to a no-op there)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from app.engine.evaluator.kinematics import Kin  # noqa: E402
from app.engine.evaluator.predicates import evaluate  # noqa: E402
from app.engine.t2m.foot_lock import foot_lock  # noqa: E402


def _atom_cases() -> list[tuple[str, str | None]]:
    from predicate_checks import AUDIT, atom_sides

    from app.engine.corpus.registry import ATOMS
    return [(name, side) for name in sorted(AUDIT) if name in ATOMS for side in atom_sides(name)]


@pytest.mark.parametrize("name,side", _atom_cases())
def test_locked_atom_still_passes_its_predicate(name, side):
    from predicate_checks import AUDIT

    from app.engine.corpus.registry import generate, resolve_params
    pred, kwf = AUDIT[name]
    params = resolve_params(name, {} if side is None else {"side": side})
    clip = generate(name, params, rng=np.random.default_rng(0))
    kw = kwf(params)
    if not evaluate(pred, Kin.from_clip(clip), **kw).ok:
        pytest.skip("the atom's own motion fails its predicate (see bench_prompts --audit-atoms)")
    locked, info = foot_lock(clip)
    verdict = evaluate(pred, Kin.from_clip(locked), **kw)
    assert verdict.ok, verdict.values
    assert info["skate_after"] <= info["skate_before"] + 0.02
