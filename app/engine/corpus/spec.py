"""Atom specifications: parameter ranges and the decorator the atom modules register with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from app.core.motion import MotionClip

AtomFn = Callable[[dict, np.random.Generator], MotionClip]


@dataclass(frozen=True)
class Param:
    """One parameter: a float/int range or a set of choices, with a default.

    ``at_high``: the share of float draws that land exactly on ``high`` (e.g. whole half turns among
    turns); the draw is still one uniform number, so the random stream after it is unchanged."""

    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    at_high: float = 0.0

    def sample(self, rng: np.random.Generator) -> Any:
        if self.choices:
            return self.choices[int(rng.integers(len(self.choices)))]
        if isinstance(self.default, bool):
            return bool(rng.integers(2))
        if isinstance(self.default, int):
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.at_high:
            top = self.high + (self.high - self.low) * self.at_high / (1.0 - self.at_high)
            return float(min(rng.uniform(self.low, top), self.high))
        return float(rng.uniform(self.low, self.high))

    def check(self, value: Any) -> Any:
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{value!r} is not one of {self.choices}")
            return value
        if isinstance(self.default, int) and not isinstance(self.default, bool):
            return int(np.clip(int(round(value)), self.low, self.high))
        return float(np.clip(float(value), self.low, self.high))


SIDE = Param("right", choices=("left", "right"))
SIDE3 = Param("right", choices=("left", "right", "both"))
STYLE = Param("normal", choices=("normal", "relaxed", "energetic"))
SPEED = Param("normal", choices=("slow", "normal", "fast"))


@dataclass(frozen=True)
class AtomSpec:
    """A registered atomic action."""

    name: str
    fn: AtomFn
    family: str
    params: dict[str, Param] = field(default_factory=dict)
    start: str = "stand"   # pose family at the first frame: "stand" or "floor"
    end: str = "stand"     # pose family at the last frame
    airborne: bool = False  # both feet may leave the ground (jumps, runs)
    platform: float = 0.0  # height of an (invisible) step the feet may stand on

    def defaults(self) -> dict:
        return {k: p.default for k, p in self.params.items()}


ATOMS: dict[str, AtomSpec] = {}


def atom(name: str, family: str, **kw: Any) -> Callable[[AtomFn], AtomFn]:
    """Register fn(params, rng) -> MotionClip; kw: params={...} and AtomSpec flags."""

    def deco(fn: AtomFn) -> AtomFn:
        ATOMS[name] = AtomSpec(name, fn, family, **kw)
        return fn

    return deco


def speed_factor(p: dict) -> float:
    """Time scale from a 'speed' choice: slow movements take longer."""
    return {"slow": 1.35, "normal": 1.0, "fast": 0.72}.get(p.get("speed", "normal"), 1.0)


def energy(p: dict) -> float:
    """Amplitude scale from a 'style' choice."""
    return {"relaxed": 0.8, "normal": 1.0, "energetic": 1.25}.get(p.get("style", "normal"), 1.0)
