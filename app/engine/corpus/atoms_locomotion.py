"""Locomotion atoms: walk, jog, run, backwards, side steps, turns, circles, stops, marching."""
from __future__ import annotations

import numpy as np

from .gait import GaitStyle, Step, apply_feet, footprint, path_steps, solve_root
from .pose_kit import SGN, Body, gauss_smooth, ramp
from .spec import STYLE, Param, atom, energy

WALK = dict(clearance=0.11, toe_off=0.6, heel_strike=0.22, heel_off_t=0.28, load_t=0.1, sway=0.35,
            lean=0.03, arm_swing=0.5, elbow=0.3, pelvis_twist=0.16)
JOG = dict(clearance=0.2, toe_off=0.65, heel_strike=0.12, heel_off_t=0.09, load_t=0.06, sway=0.2, crouch=0.03,
           dip=0.035, lean=0.045, arm_swing=0.55, elbow=1.35, pelvis_twist=0.12)
RUN = dict(clearance=0.3, toe_off=0.75, heel_strike=0.08, heel_off_t=0.07, load_t=0.05, sway=0.15, crouch=0.05,
           dip=0.045, lean=0.04, arm_swing=0.55, elbow=1.45, pelvis_twist=0.1)


def _style(base: dict, p: dict, rng: np.random.Generator, **over) -> GaitStyle:
    e = energy(p)
    d = dict(base, **over)
    d["arm_swing"] *= e * rng.uniform(0.85, 1.15)
    d["clearance"] *= 0.85 + 0.15 * e
    d["lean"] *= rng.uniform(0.8, 1.2)
    return GaitStyle(**d)


def _run_gait(p: dict, rng, steps: list[Step], style: GaitStyle, period: float, end_pad: float = 0.6):
    fps = p["fps"]
    dur = max(st.t_land for st in steps) + end_pad
    b = Body(dur, fps)
    b.plant_feet()
    w = apply_feet(b, steps, style)
    solve_root(b, w, style, period)
    return b


def _straight(p, rng, speed, cadence, swing, base, direction=1.0, n=6, first=None, **over):
    period = 1.0 / cadence
    length = speed / cadence * direction
    first = first or ("left" if rng.random() < 0.5 else "right")
    poses = [(0.0, (k - 0.5) * length, 0.0) for k in range(1, n)] + [(0.0, (n - 1.5) * length, 0.0)]
    steps = path_steps(poses, 0.45, period, swing, first)
    steps[-1].t_land = steps[-1].t_lift + 0.9 * swing * period if swing < 1 else steps[-1].t_land
    return _run_gait(p, rng, steps, _style(base, p, rng, **over), period)


def _steps_for(distance: float, speed: float, cadence: float) -> int:
    return int(np.clip(round(abs(distance) / (speed / cadence)) + 1, 3, 16))


@atom("walk", "locomotion", params=dict(speed=Param(1.3, 0.8, 1.8), steps=Param(6, 3, 12), style=STYLE))
def walk(p, rng):
    v = p["speed"]
    cad = 1.55 + 0.3 * (v - 0.8)
    return _straight(p, rng, v, cad, 0.78, WALK, n=p["steps"]).to_clip("walk")


@atom("jog", "locomotion", airborne=True, params=dict(speed=Param(2.6, 2.0, 3.3), steps=Param(8, 4, 14), style=STYLE))
def jog(p, rng):
    v = p["speed"]
    b = _straight(p, rng, v, 2.55 + 0.15 * (v - 2.0), 1.12, JOG, n=p["steps"])
    return b.to_clip("jog")


@atom("run", "locomotion", airborne=True, params=dict(speed=Param(4.0, 3.3, 5.2), steps=Param(8, 4, 14), style=STYLE))
def run(p, rng):
    v = p["speed"]
    b = _straight(p, rng, v, 2.8 + 0.12 * (v - 3.3), 1.3, RUN, n=p["steps"])
    return b.to_clip("run")


@atom("walk_backward", "locomotion", params=dict(speed=Param(0.7, 0.4, 1.0), steps=Param(5, 3, 10), style=STYLE))
def walk_backward(p, rng):
    v = p["speed"]
    b = _straight(p, rng, v, 1.5 + 0.3 * (v - 0.4), 0.75, WALK, direction=-1.0, n=p["steps"],
                  heel_strike=0.0, toe_off=0.25, arm_swing=0.25, lean=-0.02)
    return b.to_clip("walk_backward")


@atom("sneak", "locomotion", params=dict(speed=Param(0.6, 0.4, 0.9), steps=Param(6, 3, 10), style=STYLE))
def sneak(p, rng):
    v = p["speed"]
    b = _straight(p, rng, v, 1.3, 0.8, WALK, n=p["steps"], crouch=0.13, clearance=0.1, arm_swing=0.15,
                  elbow=1.1, heel_strike=0.05, toe_off=0.35)
    b.spine[:, 0] += 0.3 * ramp(b.t, 0.0, 0.5) * (1 - ramp(b.t, b.t[-1] - 0.6, b.t[-1]))
    b.head[:, 0] -= 0.2 * ramp(b.t, 0.0, 0.5) * (1 - ramp(b.t, b.t[-1] - 0.6, b.t[-1]))
    return b.to_clip("sneak")


@atom("side_step", "locomotion", params=dict(side=Param("left", choices=("left", "right")), steps=Param(3, 1, 6),
                                              width=Param(0.35, 0.2, 0.5), style=STYLE))
def side_step(p, rng):
    s, n, w = p["side"], p["steps"], p["width"]
    other = "right" if s == "left" else "left"
    period = 0.5 / (0.8 + 0.2 * energy(p))
    steps = []
    for r in range(n):
        c = np.array([SGN[s] * w * (r + 1), 0.0])
        t0 = 0.45 + r * 2 * period
        steps.append(Step(s, t0, t0 + 0.8 * period, footprint(c, 0.0, s, 0.1), 0.0))
        steps.append(Step(other, t0 + period, t0 + 1.8 * period, footprint(c, 0.0, other), 0.0))
    steps[0].pos = footprint(np.array([SGN[s] * w, 0.0]), 0.0, s, 0.1)
    st = _style(WALK, p, rng, clearance=0.07, toe_off=0.15, heel_strike=0.0, sway=0.5, arm_swing=0.1)
    b = _run_gait(p, rng, steps, st, period)
    return b.to_clip("side_step")


@atom("turn", "locomotion", params=dict(side=Param("left", choices=("left", "right")),
                                         angle=Param(90.0, 45.0, 180.0, at_high=0.3), style=STYLE))
def turn(p, rng):
    ang = np.radians(p["angle"]) * SGN[p["side"]]
    n = int(np.ceil(abs(ang) / np.radians(50))) + 1
    period = 0.55 / (0.85 + 0.15 * energy(p))
    poses = [(0.0, 0.0, ang * min(k, n - 1) / (n - 1)) for k in range(1, n + 1)]
    steps = path_steps(poses, 0.4, period, 0.8, p["side"])
    st = _style(WALK, p, rng, clearance=0.07, toe_off=0.2, heel_strike=0.05, arm_swing=0.1)
    b = _run_gait(p, rng, steps, st, period)
    b.head[:, 1] += 0.25 * np.sign(ang) * ramp(b.t, 0.2, 0.6) * (1 - ramp(b.t, b.t[-1] - 0.9, b.t[-1] - 0.3))
    return b.to_clip("turn")


@atom("walk_circle", "locomotion", params=dict(side=Param("left", choices=("left", "right")),
                                                radius=Param(1.5, 0.8, 3.0), angle=Param(360.0, 180.0, 360.0),
                                                speed=Param(1.1, 0.8, 1.4), style=STYLE))
def walk_circle(p, rng):
    r, sg, v = p["radius"], SGN[p["side"]], p["speed"]
    cad = 1.6 + 0.3 * (v - 0.8)
    arc = np.radians(p["angle"]) * r
    n = int(np.clip(round(arc / (v / cad)) + 1, 3, 16))
    length = arc / (n - 1.5)
    poses = []
    for k in range(1, n + 1):
        phi = min((k - 0.5) * length, (n - 1.5) * length) / r
        poses.append((sg * (r - r * np.cos(phi)), r * np.sin(phi), sg * phi))
    steps = path_steps(poses, 0.45, 1 / cad, 0.78, "right" if sg > 0 else "left")
    b = _run_gait(p, rng, steps, _style(WALK, p, rng), 1 / cad)
    b.pelvis[:, 2] += sg * 0.04 * ramp(b.t, 0.3, 1.0) * (1 - ramp(b.t, b.t[-1] - 1.0, b.t[-1] - 0.3))
    return b.to_clip("walk_circle")


@atom("stop", "locomotion", params=dict(speed=Param(1.6, 1.2, 2.0), style=STYLE))
def stop(p, rng):
    """A brisk walk that brakes hard to a standstill."""
    v = p["speed"]
    cad = 1.9 + 0.2 * (v - 1.2)
    length = v / cad
    fr = [0.5, 1.5, 2.5, 3.5, 4.3, 4.75, 4.75]
    poses = [(0.0, f * length, 0.0) for f in fr]
    steps = path_steps(poses, 0.45, 1 / cad, 0.78, "left" if rng.random() < 0.5 else "right")
    b = _run_gait(p, rng, steps, _style(WALK, p, rng, lean=0.05), 1 / cad, end_pad=0.9)
    tb = steps[-3].t_land
    brake = ramp(b.t, tb - 0.3, tb) * (1 - ramp(b.t, tb + 0.2, tb + 0.9))
    b.spine[:, 0] -= 0.12 * brake
    for s in ("left", "right"):
        b.set_arm(s, 0.35, 0.25, 0.6, 0.0, weight=0.6 * brake)
    return b.to_clip("stop")


@atom("march", "locomotion", params=dict(steps=Param(8, 4, 14), knee_height=Param(0.34, 0.29, 0.45), style=STYLE))
def march(p, rng):
    """Marching on the spot with high knees and straight arm swing."""
    cad = 1.7 * (0.9 + 0.1 * energy(p))
    n = p["steps"]
    poses = [(0.0, 0.0, 0.0)] * n
    st = _style(WALK, p, rng, clearance=p["knee_height"], toe_off=0.25, heel_strike=0.0, sway=0.3, arm_swing=0.0)
    steps = path_steps(poses, 0.45, 1 / cad, 0.75, "left")
    b = _run_gait(p, rng, steps, st, 1 / cad)
    for s in ("left", "right"):
        o = "right" if s == "left" else "left"
        lift = gauss_smooth(b.foot[o][:, 1] - b.foot[s][:, 1], 1.0) / max(p["knee_height"], 0.1)
        b.set_arm(s, 0.05 + 0.6 * energy(p) * lift, 0.1, 0.25 + 0.3 * np.clip(lift, 0, None))
    return b.to_clip("march")
