"""Whole-body atoms: spin, dance steps, stumble and recover, toe touch, side bend, torso twist."""
from __future__ import annotations

import numpy as np

from .atoms_locomotion import WALK, _run_gait, _style
from .gait import Step, footprint, path_steps
from .pose_kit import SGN, SIDES, Body, bump, cycles, ramp
from .spec import SIDE, SPEED, STYLE, Param, atom, energy, speed_factor


def _win(t, t0, t1, t2, t3):
    return ramp(t, t0, t1) * (1 - ramp(t, t2, t3))


@atom("spin", "whole", params=dict(side=Param("left", choices=("left", "right")), turns=Param(1, 1, 2), style=STYLE))
def spin(p, rng):
    ang = 2 * np.pi * p["turns"] * SGN[p["side"]]
    n = int(np.ceil(abs(ang) / np.radians(72))) + 1
    period = 0.36 / (0.8 + 0.2 * energy(p))
    poses = [(0.0, 0.0, ang * min(k, n - 1) / (n - 1)) for k in range(1, n + 1)]
    steps = path_steps(poses, 0.4, period, 0.8, p["side"])
    st = _style(WALK, p, rng, clearance=0.06, toe_off=0.3, heel_strike=0.0, arm_swing=0.0)
    b = _run_gait(p, rng, steps, st, period)
    w = _win(b.t, 0.2, 0.6, b.t[-1] - 0.8, b.t[-1] - 0.2)
    for s in SIDES:
        b.set_arm(s, 0.3, 0.9 * energy(p), 0.4, 0.0, weight=w)
    b.head[:, 1] = 0.3 * SGN[p["side"]] * w
    return b.to_clip("spin")


@atom("dance", "whole", params=dict(reps=Param(4, 2, 8), style=STYLE, speed=SPEED))
def dance(p, rng):
    """Side-to-side step-touch with a bounce, hip sway and swinging arms."""
    per = 0.55 * speed_factor(p)
    steps, w = [], 0.32
    for i in range(p["reps"]):
        lead = SIDES[i % 2]
        trail = "right" if lead == "left" else "left"
        t0 = 0.4 + 2 * i * per
        cx = np.array([SGN[lead] * w * 0.5, 0.0])
        steps.append(Step(lead, t0, t0 + 0.75 * per, footprint(cx, 0.0, lead, w * 0.6), 0.0))
        steps.append(Step(trail, t0 + per, t0 + 1.75 * per, footprint(cx, 0.0, trail, -w * 0.1), 0.0))
    st = _style(WALK, p, rng, clearance=0.06, toe_off=0.3, heel_strike=0.0, sway=0.6, arm_swing=0.0, bounce=0.0)
    b = _run_gait(p, rng, steps, st, per)
    env = _win(b.t, 0.2, 0.6, b.t[-1] - 0.8, b.t[-1] - 0.2)
    ph = 2 * np.pi * cycles(b.t, 0.4, 0.4 + 2 * per * p["reps"], p["reps"])
    e = energy(p)
    b.pos[:, 1] -= 0.035 * e * (0.5 - 0.5 * np.cos(2 * ph)) * env
    b.pelvis[:, 2] += 0.08 * e * np.sin(ph) * env
    b.spine[:, 2] -= 0.1 * e * np.sin(ph) * env
    b.head[:, 2] += 0.05 * np.sin(ph) * env
    for s in SIDES:
        b.set_arm(s, 0.5 + 0.4 * e * np.sin(ph + (0 if s == "left" else np.pi)), 0.3, 1.4, 0.2, weight=env)
    b.limit_height(0.98)
    return b.to_clip("dance")


@atom("stumble", "whole", airborne=True, params=dict(speed=Param(1.2, 0.9, 1.5)))
def stumble(p, rng):
    """Walking, the foot catches, the body pitches forward, quick catch steps, recovery."""
    v = p["speed"]
    cad = 1.8
    L = v / cad
    T = 1 / cad
    first = "left" if rng.random() < 0.5 else "right"
    zs = [0.5 * L, 1.5 * L, 2.2 * L, 3.3 * L, 4.3 * L, 4.9 * L, 4.9 * L]
    times = [0.45, 0.45 + T, 0.45 + 2 * T + 0.15, 0.45 + 2 * T + 0.15 + 0.3, 0.45 + 2 * T + 0.8, 0.45 + 2 * T + 1.35,
             0.45 + 2 * T + 1.9]
    swing = [0.78 * T, 0.78 * T, 0.38, 0.26, 0.35, 0.4, 0.4]
    steps, side = [], first
    for z, t0, sw in zip(zs, times, swing):
        steps.append(Step(side, t0, t0 + sw, footprint(np.array([0.0, z]), 0.0, side), 0.0))
        side = "right" if side == "left" else "left"
    b = _run_gait(p, rng, steps, _style(WALK, p, rng), T, end_pad=0.8)
    tt = times[2]
    pitch = bump(b.t, tt - 0.1, tt + 1.3)
    b.spine[:, 0] += 0.45 * pitch
    b.pelvis[:, 0] += 0.15 * pitch
    b.head[:, 0] -= 0.3 * pitch
    for s in SIDES:
        b.set_arm(s, 1.3, 0.5, 0.6, 0.0, weight=bump(b.t, tt - 0.05, tt + 1.2))
    b.limit_height(0.98)
    return b.to_clip("stumble")


@atom("toe_touch", "whole", params=dict(reps=Param(1, 1, 3), speed=SPEED))
def toe_touch(p, rng):
    per = 2.4 * speed_factor(p)
    b = Body(0.4 + per * p["reps"] + 0.4, p["fps"]).stand(rng, 0.3)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * cycles(b.t, 0.4, 0.4 + per * p["reps"], p["reps"]))
    b.pelvis[:, 0] += 1.3 * w      # hip flexion ~75 deg + spine ~45 deg: shoulders down to ~0.77 m
    b.spine[:, 0] += 0.8 * w
    b.pos[:, 2] -= 0.22 * w        # hips shift back over the heels
    b.pos[:, 1] -= 0.04 * w
    b.head[:, 0] -= 0.2 * w
    for s in SIDES:                # arms hang from the bent trunk to the shins (wrists ~0.28 m, knees 0.43 m)
        b.set_arm(s, 1.8, 0.08, 0.1, 0.0, weight=w)
    return b.finish("toe_touch")


@atom("side_bend", "whole", params=dict(side=Param("both", choices=("left", "right", "both")), reps=Param(1, 1, 3),
                                         speed=SPEED))
def side_bend(p, rng):
    per = 2.2 * speed_factor(p)
    n = p["reps"] * (2 if p["side"] == "both" else 1)
    b = Body(0.4 + per * n + 0.4, p["fps"]).stand(rng, 0.3)
    b.plant_feet(width=0.15)
    for i in range(n):
        s = p["side"] if p["side"] != "both" else SIDES[i % 2]
        w = bump(b.t, 0.4 + i * per, 0.4 + (i + 1) * per)
        b.spine[:, 2] += SGN[s] * 0.55 * w
        b.pos[:, 0] -= SGN[s] * 0.04 * w
        o = "left" if s == "right" else "right"
        b.set_arm(o, 0.1, 2.7, 0.3, 0.0, weight=w)
        b.set_arm(s, 0.0, 0.05, 0.1, 0.0, weight=w)
    return b.finish("side_bend")


@atom("torso_twist", "whole", params=dict(reps=Param(2, 1, 5), speed=SPEED))
def torso_twist(p, rng):
    per = 1.6 * speed_factor(p)
    b = Body(0.8 + per * p["reps"] + 0.7, p["fps"]).stand(rng, 0.3)
    b.plant_feet(width=0.15)
    env = _win(b.t, 0.2, 0.8, b.t[-1] - 0.7, b.t[-1] - 0.1)
    tw = 0.7 * np.sin(2 * np.pi * cycles(b.t, 0.8, 0.8 + per * p["reps"], p["reps"])) * env
    b.spine[:, 1] += tw
    b.pelvis[:, 1] += 0.25 * tw
    b.head[:, 1] += 0.2 * tw
    for s in SIDES:
        b.set_arm(s, 1.4, 0.2, 1.6, 0.5, weight=env)
    return b.finish("torso_twist")
