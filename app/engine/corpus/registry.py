"""The atom registry: names, parameter specs, sampling and generation."""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment

from . import atoms_jumps, atoms_locomotion, atoms_lower, atoms_upper, atoms_whole  # noqa: F401  (registration)
from .describe import describe
from .spec import ATOMS, AtomSpec, Param

__all__ = ["ATOMS", "AtomSpec", "Param", "generate", "sample_params", "resolve_params", "families"]


def families() -> dict[str, list[str]]:
    """Atom names grouped by family."""
    out: dict[str, list[str]] = {}
    for name, spec in ATOMS.items():
        out.setdefault(spec.family, []).append(name)
    return out


def sample_params(name: str, rng: np.random.Generator | None = None) -> dict:
    """Random parameters within the atom's ranges."""
    rng = rng or np.random.default_rng()
    return {k: p.sample(rng) for k, p in ATOMS[name].params.items()}


def resolve_params(name: str, params: dict | None) -> dict:
    """Defaults overlaid with `params` (validated and clamped); unknown keys raise."""
    spec = ATOMS[name]
    out = spec.defaults()
    for k, v in (params or {}).items():
        if k not in spec.params:
            raise ValueError(f"atom {name!r} has no parameter {k!r}")
        out[k] = spec.params[k].check(v)
    return out


def generate(name: str, params: dict | None = None, rng: np.random.Generator | None = None,
             fps: float = 20.0) -> MotionClip:
    """One atom as a MotionClip with its description as text and one labelled segment."""
    if name not in ATOMS:
        raise KeyError(f"unknown atom {name!r}")
    rng = rng or np.random.default_rng()
    p = resolve_params(name, params)
    clip = ATOMS[name].fn(dict(p, fps=float(fps)), rng)
    clip.name = name
    clip.text = describe(name, p, rng)
    clip.segments = [Segment(0.0, clip.duration, clip.text, name)]
    return clip
