"""Prompt-following predicates: does a motion do what a prompt asked, judged from body kinematics.

Each predicate takes a :class:`~.kinematics.Kin` (a clip or one prompt span) and keyword
arguments from the prompt (``side``, ``count``, ``speed``...) and returns a :class:`Verdict`
with the measured values. Side-specific predicates also report ``named_moves``: the named limb
moved clearly more than its twin (the left/right check). Counts are allowed +-1.

Thresholds (metres, seconds, degrees) come from how people move and were checked on the real
mocap windows (``data/real/real_mocap.npz``; ``bench/bench_prompts.py --check-real``) and the
procedural atoms (``--audit-atoms``). Real-mocap agreement at the time of writing:
walk -> walk_forward 34/34, not run 33/34 (07_12, a 2.07 m/s brisk walk, reads as a run), not
backward 34/34, not jump 32/34 (03_01/03_02, uneven terrain lifts the pelvis); slow walk 3/4;
brisk walk fast 1/1; DM jog+run -> run 2/2; stealthy walk -> sneak 1/1; backward dribble ->
walk_backward 2/2; jump 11/11; forward jump 5/7 (playground windows that turn back); DM jump x3
count 1/1; punch/strike 3/3; DM punch right 1/1 (a side-on stance: reach also measured along the
start heading); DM kick right 1/1 and not left 1/1; DM spins 2/2; 90-degree left turns 1/1;
get-ups 2/2; dances 178/181; dances not idle 181/181; crawl not walk 1/1.
Locomotion and jumps live here; arms, lower body and whole body in :mod:`.predicates_body`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .kinematics import OTHER, PELVIS, SIDE_J, Kin, count_events, runs

log = logging.getLogger(__name__)

SIGN = {"left": 1.0, "right": -1.0}  # +left in the body frame; a left turn is a positive yaw


@dataclass
class Verdict:
    """Whether a predicate holds, what was measured, and (side-specific) whether the named limb moved."""

    ok: bool
    values: dict[str, float] = field(default_factory=dict)
    named_moves: bool | None = None

    def __bool__(self) -> bool:
        return bool(self.ok)


PredicateFn = Callable[..., Verdict]
PREDICATES: dict[str, PredicateFn] = {}


def predicate(name: str) -> Callable[[PredicateFn], PredicateFn]:
    """Register ``fn(kin, **kwargs) -> Verdict`` under ``name``."""
    def deco(fn: PredicateFn) -> PredicateFn:
        PREDICATES[name] = fn
        return fn
    return deco


def evaluate(name: str, kin: Kin, **kw) -> Verdict:
    """Apply the predicate ``name``; unknown names raise KeyError."""
    if name not in PREDICATES:
        raise KeyError(f"unknown predicate {name!r}")
    return PREDICATES[name](kin, **kw)


def count_ok(n: int, count: int | None, tol: int = 1) -> bool:
    """A named count holds within +-tol (no count named: at least one)."""
    return n >= 1 if count is None else n >= 1 and abs(n - int(count)) <= tol


def _r(x: float) -> float:
    return round(float(x), 3)


def displacement(k: Kin) -> tuple[float, float]:
    """(forward, left) pelvis displacement over the span in its start frame (m)."""
    p = k.fixed[:, PELVIS]
    return float(p[-1, 2] - p[0, 2]), float(p[-1, 0] - p[0, 0])


# ----------------------------------------------------------------------------- locomotion
SPEEDS = {"slow": (0.0, 1.2), "fast": (1.5, 9.0), None: (0.0, 9.0)}


@predicate("walk_forward")
def walk_forward(k: Kin, speed: str | None = None) -> Verdict:
    """Forward along the start heading (>= 0.3 m/s on average, lateral < half of it) with >= 2
    steps, not running (pace < 2.2 m/s, pace = 75th percentile of the pelvis speed).
    speed slow/fast: pace < 1.2 / >= 1.5 m/s."""
    fwd, lat = displacement(k)
    v, pace = fwd / k.seconds, k.pace()
    lo, hi = SPEEDS.get(speed, SPEEDS[None])
    ok = v >= 0.3 and abs(lat) <= 0.5 * abs(fwd) and pace < 2.2 and k.steps() >= 2 and lo <= pace < hi
    return Verdict(ok, dict(fwd_m=_r(fwd), lat_m=_r(lat), speed=_r(v), pace=_r(pace), steps=k.steps()))


@predicate("walk_backward")
def walk_backward(k: Kin) -> Verdict:
    """Backwards: the pelvis moves >= 0.15 m/s against the start heading, lateral < its size."""
    fwd, lat = displacement(k)
    v = fwd / k.seconds
    ok = v <= -0.15 and abs(lat) <= abs(fwd) and k.steps() >= 2
    return Verdict(ok, dict(fwd_m=_r(fwd), lat_m=_r(lat), speed=_r(v), steps=k.steps()))


@predicate("run")
def run(k: Kin) -> Verdict:
    """Running or jogging forward: pace >= 1.9 m/s, lateral < half the forward distance, and
    flight (both feet up >= 3 % of frames) or cadence >= 2.3 strikes/s of moving time."""
    fwd, lat = displacement(k)
    flight = float(np.mean(~k.contact("left") & ~k.contact("right")))
    cad = k.cadence()
    ok = k.pace() >= 1.9 and fwd > 0 and abs(lat) <= 0.5 * abs(fwd) and (flight >= 0.03 or cad >= 2.3)
    return Verdict(ok, dict(pace=_r(k.pace()), fwd_m=_r(fwd), lat_m=_r(lat), flight=_r(flight), cadence=_r(cad)))


@predicate("sneak")
def sneak(k: Kin) -> Verdict:
    """Creeping forward crouched: forward >= 0.15 m/s with the pelvis >= 0.08 m below standing (median)."""
    fwd, _ = displacement(k)
    drop = k.stand - float(np.median(k.pelvis_h()))
    ok = fwd / k.seconds >= 0.15 and drop >= 0.08
    return Verdict(ok, dict(fwd_m=_r(fwd), drop_m=_r(drop)))


@predicate("side_step")
def side_step(k: Kin, side: str = "left", count: int | None = None) -> Verdict:
    """Sideways to the named side: lateral >= 0.25 m, forward drift < 60 % of it, heading kept
    within 45 deg; count = named-foot steps. named_moves: the lateral sign is right."""
    fwd, lat = displacement(k)
    yaw = float(np.max(np.abs(k.yaw())))
    s = SIGN[side] * lat
    steps = max(0, runs(k.contact(side)) - int(k.contact(side)[0]))
    ok = s >= 0.25 and abs(fwd) <= 0.6 * abs(lat) and yaw <= 45 and (count is None or steps >= count - 1)
    return Verdict(ok, dict(lat_m=_r(lat), fwd_m=_r(fwd), max_yaw=_r(yaw), steps=steps), named_moves=s > 0.1)


@predicate("turn")
def turn(k: Kin, side: str | None = None, degrees: float = 135.0) -> Verdict:
    """Heading change of >= ``degrees`` (135: 'turn around'; 60 for a plain 'turn left'), in the
    named direction (walking turns count). named_moves: the turn's sign is right."""
    yaw = k.yaw()
    net = float(np.mean(yaw[-3:]))
    signed = net * SIGN[side] if side else abs(net)
    fwd, lat = displacement(k)
    ok = signed >= degrees
    return Verdict(ok, dict(yaw_deg=_r(net), dist_m=_r(np.hypot(fwd, lat))),
                   named_moves=None if side is None else signed > 30)


@predicate("spin")
def spin(k: Kin, side: str | None = None, turns: int = 1) -> Verdict:
    """A full turn: heading change >= 300 deg per turn asked, ending within 2.5 m of the start."""
    yaw = k.yaw()
    net = float(yaw[-1])
    signed = net * SIGN[side] if side else abs(net)
    fwd, lat = displacement(k)
    ok = signed >= 300 * turns and np.hypot(fwd, lat) <= 2.5
    return Verdict(ok, dict(yaw_deg=_r(net), dist_m=_r(np.hypot(fwd, lat))),
                   named_moves=None if side is None else signed > 90)


@predicate("walk_circle")
def walk_circle(k: Kin, side: str | None = None) -> Verdict:
    """Walking a circle: path >= 2.5 m, heading change >= 240 deg (in the named direction) and
    the end point within 60 % of the path length of the start."""
    p = k.fixed[:, PELVIS][:, [0, 2]]
    path = float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=-1)))
    net = float(k.yaw()[-1])
    signed = net * SIGN[side] if side else abs(net)
    end = float(np.linalg.norm(p[-1] - p[0]))
    ok = path >= 2.5 and signed >= 240 and end <= 0.6 * path
    return Verdict(ok, dict(path_m=_r(path), yaw_deg=_r(net), end_m=_r(end)),
                   named_moves=None if side is None else signed > 60)


@predicate("stop")
def stop(k: Kin) -> Verdict:
    """Moving then standing: >= 1 m forward in the first 70 %, < 0.25 m/s over the last 20 %."""
    fwd = k.fixed[:, PELVIS, 2]
    a = int(0.7 * k.n)
    b = int(0.8 * k.n)
    end_v = float(np.mean(k.root_speed()[b:])) if b < k.n - 1 else 9.0
    ok = fwd[a] - fwd[0] >= 1.0 and end_v < 0.25
    return Verdict(ok, dict(fwd_m=_r(fwd[a] - fwd[0]), end_speed=_r(end_v)))


@predicate("march")
def march(k: Kin, count: int | None = None) -> Verdict:
    """Marching in place: drift < 0.6 m, each knee lifted >= 0.12 m above its standing height
    at least twice (count: lifts of both knees together)."""
    fwd, lat = displacement(k)
    lifts = []
    for s in ("left", "right"):
        kh = k.y[:, SIDE_J[s]["knee"]]
        base = float(np.percentile(kh, 20))
        lifts.append(count_events(kh - base, 0.12, 0.05))
    ok = np.hypot(fwd, lat) < 0.6 and min(lifts) >= 2 and (count is None or sum(lifts) >= count - 1)
    return Verdict(ok, dict(dist_m=_r(np.hypot(fwd, lat)), lifts_l=lifts[0], lifts_r=lifts[1]))


# ----------------------------------------------------------------------------- jumps
def airborne(k: Kin, rise: float = 0.05) -> np.ndarray:
    """Frames with both feet off the floor and the pelvis >= ``rise`` above standing height."""
    return ~k.contact("left") & ~k.contact("right") & (k.pelvis_h() > k.stand + rise)


def jump_count(k: Kin, rise: float = 0.05) -> int:
    """Flight phases of at least one frame, merged when under 0.15 s apart."""
    a = airborne(k, rise)
    gap = int(0.15 * k.fps)
    idx = np.flatnonzero(a)
    if not len(idx):
        return 0
    return 1 + int(np.sum(np.diff(idx) > gap))


@predicate("jump")
def jump(k: Kin, count: int | None = None, direction: str | None = None) -> Verdict:
    """Jumping: both feet leave the floor with the pelvis >= 0.05 m above standing (a flight
    phase), ``count`` flights +-1; direction forward (>= 0.3 m), left/right (>= 0.2 m to that
    side, forward < lateral), 'place' (< 0.5 m) or None."""
    n = jump_count(k)
    fwd, lat = displacement(k)
    rise = float(np.max(k.pelvis_h()) - k.stand)
    d_ok = {None: True, "place": np.hypot(fwd, lat) < 0.5, "forward": fwd >= 0.3 and abs(lat) < fwd,
            "left": lat >= 0.2 and abs(fwd) < abs(lat), "right": -lat >= 0.2 and abs(fwd) < abs(lat)}[direction]
    named = None if direction not in ("left", "right") else SIGN[direction] * lat > 0.1
    return Verdict(bool(count_ok(n, count) and d_ok), dict(jumps=n, rise_m=_r(rise), fwd_m=_r(fwd), lat_m=_r(lat)),
                   named_moves=named)


@predicate("jumping_jacks")
def jumping_jacks(k: Kin, count: int | None = None) -> Verdict:
    """Jumping jacks: both wrists go above the head (count +-1 such cycles, at least two) while
    the ankles spread >= 0.4 m apart each time."""
    lw, rw, head = (k.y[:, SIDE_J["left"]["wri"]], k.y[:, SIDE_J["right"]["wri"]], k.y[:, 15])
    up = np.minimum(lw, rw) - head
    n = count_events(up, 0.0, -0.25)
    spread = np.linalg.norm(k.joints[:, 7, [0, 2]] - k.joints[:, 8, [0, 2]], axis=-1)
    wide = count_events(spread, 0.4, 0.3)
    ok = n >= 2 and wide >= n - 1 and (count is None or abs(n - count) <= 1)
    return Verdict(ok, dict(arms_up=n, feet_apart=wide, max_spread_m=_r(spread.max())))


@predicate("hop")
def hop(k: Kin, side: str = "right", count: int | None = None) -> Verdict:
    """Hopping on the named foot: the other foot held up (>= 0.1 m) for >= 40 % of the span and
    ``count`` +-1 hops (pelvis >= 3 cm above standing with the named foot off the floor).
    named_moves: the other (free) foot is held higher on average than the hopping one."""
    o = OTHER[side]
    held = float(np.mean(k.foot_h(o) > 0.1))
    n = count_events(np.where(k.foot_h(side) > 0.015, k.pelvis_h() - k.stand, -1.0), 0.03, 0.0)
    ok = held >= 0.4 and count_ok(n, count)
    return Verdict(ok, dict(other_held=_r(held), hops=n),
                   named_moves=float(np.mean(k.foot_h(o))) > float(np.mean(k.foot_h(side))) + 0.03)


from . import predicates_body  # noqa: E402,F401  (registers the body predicates)
