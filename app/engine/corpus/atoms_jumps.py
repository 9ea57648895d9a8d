"""Jump atoms: jump in place / forward / sideways, one-leg hops and jumping jacks.

Each jump: crouch, push-off rolling onto the toes, a ballistic flight (exact
parabola of the pelvis), toe-first landing and knee absorption. Feet are planted
before take-off and after landing and follow the pelvis in the air.
"""
from __future__ import annotations

import numpy as np

from .gait import footprint
from .pose_kit import G, LEG, OFF, SIDES, STAND_Y, Body, bump, keys, ramp, rot, smooth, to_world
from .spec import SIDE, STYLE, Param, atom, energy


def _jumps(b: Body, plan: list[dict], feet=SIDES, arm_amp: float = 1.0) -> None:
    """plan: dicts t0, h (apex rise), d (xz displacement), widths (before, after), crouch."""
    t = b.t
    y0 = STAND_Y
    ys = np.full(b.n, y0)
    xz = np.zeros((b.n, 2))
    armf = np.zeros(b.n)
    cur = np.zeros(2)
    w0 = plan[0].get("w0", 0.0)
    for s in feet:
        b.foot[s][:] = footprint(cur, 0.0, s, w0)
    for jp in plan:
        h, d, c = jp["h"], np.asarray(jp["d"], float), jp.get("crouch", 0.16)
        v0 = np.sqrt(2 * G * h)
        tf = 2 * v0 / G
        t0 = jp["t0"]
        tc, tt = t0 + jp.get("prep", 0.45), t0 + jp.get("prep", 0.45) + jp.get("push", 0.22)
        tl, ta = tt + tf, tt + tf + 0.18
        te = ta + jp.get("recover", 0.45)
        yt = y0 + 0.045
        m = t >= t0
        ys[m] = keys(t[m], [t0, tc, tt], [y0, y0 - c, yt], [0, 0, v0])
        m = t >= tt
        ys[m] = yt + v0 * (t[m] - tt) - 0.5 * G * (t[m] - tt) ** 2
        m = t >= tl
        c2 = jp.get("absorb", c * 0.8)
        ys[m] = keys(t[m], [tl, ta, te], [yt, y0 - c2, y0], [-v0, 0, 0])
        va = d / tf * 0.8
        m = t >= t0
        xz[m] = keys(t[m], [t0, tt], [cur, cur + 0.1 * d], [np.zeros(2), va])
        m = t >= tt
        xz[m] = cur + 0.1 * d + va * (t[m] - tt)[:, None]
        m = t >= tl
        xz[m] = keys(t[m], [tl, te], [cur + 0.9 * d, cur + d], [va, np.zeros(2)])
        armf += -0.5 * bump(t, t0, tc + 0.05) + (1.2 + 1.4 * min(h / 0.4, 1)) * bump(t, tc - 0.05, tl + 0.15) * arm_amp
        nxt = cur + d
        for s in feet:
            a_pos, b_pos = b.foot[s][0].copy() if t0 == plan[0]["t0"] else prev[s], footprint(nxt, 0.0, s, jp.get("w1", 0.0))
            toe_a = a_pos + OFF[LEG[s][3]]
            toe_b = b_pos + OFF[LEG[s][3]]
            m = t >= tc
            pitch = 0.85 * ramp(t[m], tc, tt)
            b.foot_pitch[s][m] = pitch
            b.foot[s][m] = toe_a - np.einsum("tij,j->ti", rot("X", pitch), OFF[LEG[s][3]])
            m = t >= tt
            u = smooth((t[m] - tt) / tf)
            pa = toe_a - rot("X", 0.85) @ OFF[LEG[s][3]]
            pb = toe_b - rot("X", 0.6) @ OFF[LEG[s][3]]
            b.foot[s][m] = pa + (pb - pa) * u[:, None]
            b.foot[s][m, 1] += 0.18 * np.sin(np.pi * np.clip((t[m] - tt) / tf, 0, 1)) * min(1.0, h / 0.25)
            b.foot_pitch[s][m] = 0.85 + (0.6 - 0.85) * u
            m = t >= tl
            pitch = 0.6 * (1 - ramp(t[m], tl, tl + 0.14))
            b.foot_pitch[s][m] = pitch
            b.foot[s][m] = toe_b - np.einsum("tij,j->ti", rot("X", pitch), OFF[LEG[s][3]])
        prev = {s: footprint(nxt, 0.0, s, jp.get("w1", 0.0)) for s in feet}
        cur = nxt
    b.pos[:, 1] = ys
    b.pos[:, 0], b.pos[:, 2] = xz[:, 0], xz[:, 1]
    bend = np.clip(STAND_Y - ys, 0, None)
    b.spine[:, 0] += 1.6 * bend
    b.pelvis[:, 0] += 1.2 * bend
    b.head[:, 0] -= 2.0 * bend
    for s in SIDES:
        b.set_arm(s, 0.05 + armf, 0.15, 0.35 + 0.4 * np.clip(-armf, 0, None), 0.0)


@atom("jump", "jumps", airborne=True, params=dict(height=Param(0.25, 0.1, 0.45), reps=Param(1, 1, 3), style=STYLE))
def jump(p, rng):
    h = p["height"] * energy(p) ** 0.5
    per = 1.3 + 2 * np.sqrt(2 * h / G)
    plan = [dict(t0=0.3 + i * per, h=h, d=(0.0, 0.0)) for i in range(p["reps"])]
    b = Body(0.3 + per * p["reps"] + 0.3, p["fps"])
    _jumps(b, plan)
    return b.to_clip("jump")


@atom("jump_forward", "jumps", airborne=True,
      params=dict(distance=Param(0.8, 0.3, 1.4), reps=Param(1, 1, 3), style=STYLE))
def jump_forward(p, rng):
    d = p["distance"]
    h = 0.15 + 0.12 * d
    per = 1.35 + 2 * np.sqrt(2 * h / G)
    plan = [dict(t0=0.3 + i * per, h=h, d=(0.0, d), crouch=0.2) for i in range(p["reps"])]
    b = Body(0.3 + per * p["reps"] + 0.3, p["fps"])
    _jumps(b, plan)
    b.spine[:, 0] += 0.15 * bump(b.t, 0.3, 0.3 + per * p["reps"])
    return b.to_clip("jump_forward")


@atom("jump_sideways", "jumps", airborne=True,
      params=dict(side=Param("left", choices=("left", "right")), distance=Param(0.5, 0.25, 0.8), reps=Param(1, 1, 4)))
def jump_sideways(p, rng):
    sg = 1.0 if p["side"] == "left" else -1.0
    per = 1.2 + 2 * np.sqrt(2 * 0.15 / G)
    plan = [dict(t0=0.3 + i * per, h=0.15, d=(sg * p["distance"], 0.0), crouch=0.15) for i in range(p["reps"])]
    b = Body(0.3 + per * p["reps"] + 0.3, p["fps"])
    _jumps(b, plan, arm_amp=0.4)
    return b.to_clip("jump_sideways")


@atom("jumping_jacks", "jumps", airborne=True, params=dict(reps=Param(4, 2, 8), style=STYLE))
def jumping_jacks(p, rng):
    per = 0.62 / (0.85 + 0.15 * energy(p))
    plan = []
    for i in range(p["reps"] * 2):
        apart = i % 2 == 0
        plan.append(dict(t0=0.3 + i * per, h=0.07, d=(0.0, 0.0), crouch=0.06, absorb=0.05, prep=0.16, push=0.12,
                         recover=0.05, w0=0.0 if apart else 0.45, w1=0.45 if apart else 0.0))
    b = Body(0.3 + per * len(plan) + 0.6, p["fps"])
    _jumps(b, plan, arm_amp=0.0)
    open_ = np.zeros(b.n)
    for i, jp in enumerate(plan):
        if i % 2 == 0:
            open_ += ramp(b.t, jp["t0"] + 0.1, jp["t0"] + 0.1 + per) * (1 - ramp(b.t, jp["t0"] + per + 0.1, jp["t0"] + 2 * per + 0.1))
    for s in SIDES:
        b.set_arm(s, 0.1, 0.15 + 2.55 * open_ * energy(p) ** 0.3, 0.3 - 0.1 * open_, 0.0)
        b.knee_out[s] += 0.15 * open_
    return b.to_clip("jumping_jacks")


@atom("hop", "jumps", airborne=True, params=dict(side=SIDE, reps=Param(3, 1, 6), forward=Param(0.0, 0.0, 0.4)))
def hop(p, rng):
    s = p["side"]
    o = "left" if s == "right" else "right"
    per = 0.6
    t_in = 0.5
    plan = [dict(t0=t_in + i * per, h=0.08, d=(0.0, p["forward"]), crouch=0.07, prep=0.18, push=0.14, recover=0.05)
            for i in range(p["reps"])]
    dur = t_in + per * p["reps"] + 0.9
    b = Body(dur, p["fps"])
    b.plant_feet()
    _jumps(b, plan, feet=(s,), arm_amp=0.25)
    t_end = plan[-1]["t0"] + per + 0.05
    up = ramp(b.t, 0.1, t_in) * (1 - ramp(b.t, t_end, t_end + 0.5))
    start = b.foot[o][0].copy()
    end = start + np.array([0.0, 0.0, p["forward"] * p["reps"]])
    base = np.where(b.t[:, None] < t_end - 0.2, start, end)
    held = b.pos + to_world(np.array([0.09 * (1 if o == "left" else -1), -0.62, -0.2]), b.yaw)
    b.foot[o] = base * (1 - up[:, None]) + held * up[:, None]
    b.foot_pitch[o] = 0.5 * up
    b.pos[:, 0] += 0.05 * (1 if s == "left" else -1) * ramp(b.t, 0.0, t_in) * (1 - ramp(b.t, t_end, t_end + 0.5))
    for a in SIDES:
        b.set_arm(a, 0.1, 0.35, 0.5, 0.0, weight=up)
    return b.to_clip("hop")
