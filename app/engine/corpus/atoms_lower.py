"""Lower-body atoms: squat, lunge, kick, knee raise, kneel, sit on / stand up from the floor,
crouch, step up, calf raise. Feet are planted IK targets; the pelvis is keyframed."""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip

from .gait import footprint
from .pose_kit import ANKLE_H, SGN, SIDES, STAND_Y, Body, bump, cycles, keys, ramp, smooth, to_world
from .spec import SIDE, SPEED, STYLE, Param, atom, energy, speed_factor


def _rep_wave(t, t0, t1, n):
    """0 -> 1 -> 0 per repetition, smooth."""
    ph = cycles(t, t0, t1, n)
    return 0.5 - 0.5 * np.cos(2 * np.pi * ph)


@atom("squat", "lower", params=dict(reps=Param(2, 1, 5), depth=Param(0.35, 0.2, 0.48), speed=SPEED))
def squat(p, rng):
    per = 1.8 * speed_factor(p)
    b = Body(0.5 + per * p["reps"] + 0.5, p["fps"]).stand(rng, 0.5)
    b.plant_feet(width=0.12)
    w = _rep_wave(b.t, 0.5, 0.5 + per * p["reps"], p["reps"])
    d = p["depth"] / 0.4
    b.pos[:, 1] = STAND_Y - p["depth"] * w
    b.pos[:, 2] -= 0.12 * d * w
    b.pelvis[:, 0] += 0.45 * d * w
    b.spine[:, 0] += 0.15 * d * w
    b.head[:, 0] -= 0.45 * d * w
    for s in SIDES:
        b.set_arm(s, 1.4, 0.1, 0.2, 0.0, weight=smooth(np.clip(w * 2.5, 0, 1)))
        b.knee_out[s] += 0.2 * w
    return b.finish("squat")


@atom("lunge", "lower", params=dict(side=SIDE, reps=Param(1, 1, 3), depth=Param(0.3, 0.2, 0.4), speed=SPEED))
def lunge(p, rng):
    s = p["side"]
    per = 2.2 * speed_factor(p)
    b = Body(0.4 + per * p["reps"] + 0.4, p["fps"]).stand(rng, 0.4)
    o = "left" if s == "right" else "right"
    fwd = 0.62
    out = np.zeros(b.n)
    for r in range(p["reps"]):
        t0 = 0.4 + r * per
        out += ramp(b.t, t0, t0 + 0.45) * (1 - ramp(b.t, t0 + per - 0.5, t0 + per - 0.05))
    base = b.foot[s].copy()
    lift = sum(bump(b.t, 0.4 + r * per, 0.85 + r * per) + bump(b.t, 0.35 + (r + 1) * per - 0.5, (r + 1) * per + 0.35) for r in range(p["reps"]))
    b.foot[s] = base + np.array([0.0, 0.0, fwd]) * out[:, None]
    b.foot[s][:, 1] += 0.07 * lift
    b.foot_pitch[s] -= 0.2 * lift
    low = np.clip((out - 0.6) / 0.4, 0, 1)
    low = smooth(low)
    b.rise_on_toes(o, 0.75 * smooth(np.clip(out * 1.4, 0, 1)))
    b.pos[:, 2] += 0.3 * out
    b.pos[:, 1] = STAND_Y - p["depth"] * low - 0.02 * out
    b.spine[:, 0] += 0.08 * low
    for a in SIDES:
        b.set_arm(a, 0.1, 0.15, 0.5, 0.3, weight=out)
    return b.finish("lunge")


@atom("kick", "lower", params=dict(side=SIDE, height=Param(0.8, 0.4, 1.1), reps=Param(1, 1, 3), speed=SPEED))
def kick(p, rng):
    s = p["side"]
    o = "left" if s == "right" else "right"
    per = 1.3 * speed_factor(p)
    b = Body(0.6 + per * p["reps"] + 0.5, p["fps"]).stand(rng, 0.3)
    shift = window(b.t, 0.1, 0.5, b.t[-1] - 0.6, b.t[-1] - 0.15)
    b.pos[:, 0] += SGN[o] * 0.07 * shift
    base = b.foot[s][0].copy()
    hip_y = STAND_Y - 0.09
    kt, kv = [0.0, 0.55], [base, base]
    for r in range(p["reps"]):
        t0 = 0.55 + r * per
        chamber = base + [0.0, hip_y - 0.25 - ANKLE_H[s] + 0.1, 0.25]
        ext = np.array([base[0] - SGN[s] * 0.02, min(p["height"], hip_y + 0.15), 0.72])
        kt += [t0 + 0.3 * per, t0 + 0.45 * per, t0 + 0.68 * per, t0 + per]
        kv += [chamber, ext, chamber, base]
    tgt = keys(b.t, kt, np.array(kv), np.zeros((len(kt), 3)))
    b.foot[s] = tgt
    up = np.clip((tgt[:, 1] - base[1]) / 0.3, 0, 1)
    b.foot_pitch[s] = 0.6 * up
    b.pelvis[:, 0] -= 0.25 * np.clip((tgt[:, 2] - base[2]) / 0.7, 0, 1) * np.clip(tgt[:, 1] / 0.8, 0, 1.2)
    b.spine[:, 0] -= 0.1 * up
    for a in SIDES:
        b.set_arm(a, 0.7, 0.25, 1.9, 0.3, weight=shift)
    return b.finish("kick")


def window(t, t0, t1, t2, t3):
    return ramp(t, t0, t1) * (1 - ramp(t, t2, t3))


@atom("knee_raise", "lower", params=dict(side=Param("both", choices=("left", "right", "both")), reps=Param(2, 1, 6),
                                          speed=SPEED))
def knee_raise(p, rng):
    per = 1.1 * speed_factor(p)
    n = p["reps"] * (2 if p["side"] == "both" else 1)
    b = Body(0.5 + per * n + 0.5, p["fps"]).stand(rng, 0.3)
    for i in range(n):
        s = p["side"] if p["side"] != "both" else SIDES[i % 2]
        o = "left" if s == "right" else "right"
        t0 = 0.5 + i * per
        u = bump(b.t, t0, t0 + per)
        b.foot[s] = b.foot[s] + np.array([0.0, 0.42, 0.3]) * u[:, None]
        b.foot_pitch[s] += 0.4 * u
        b.pos[:, 0] += SGN[o] * 0.06 * bump(b.t, t0 - 0.1, t0 + per + 0.05)
        b.set_arm(o, 0.6, 0.15, 1.2, 0.0, weight=u)
        b.set_arm(s, -0.3, 0.15, 0.6, 0.0, weight=u)
    return b.finish("knee_raise")


def _kneel_body(p, rng, hold: float) -> Body:
    s = p["side"]
    o = "left" if s == "right" else "right"
    sf = speed_factor(p)
    t1, t2 = 0.4 + 1.3 * sf, 0.4 + 1.3 * sf + hold
    b = Body(t2 + 1.4 * sf + 0.4, p["fps"]).stand(rng, 0.3)
    k = window(b.t, 0.4, t1, t2, t2 + 1.3 * sf)
    ks = smooth(np.clip((k - 0.2) / 0.8, 0, 1))
    base = b.foot[s][0]
    down = np.array([base[0], 0.135, base[2] - 0.36])
    mid = base + np.array([0.0, 0.13, -0.06])
    b.foot[s] = keys(k, [0.0, 0.45, 0.8, 1.0], np.array([base, mid, down + [0.0, 0.05, 0.0], down]))
    b.foot_pitch[s] = 0.85 * smooth(np.clip(k * 1.6, 0, 1))
    b.pos[:, 1] = STAND_Y - 0.38 * ks
    b.pos[:, 2] -= 0.05 * ks
    b.spine[:, 0] += 0.15 * bump(k, 0.0, 1.0) + 0.05 * ks
    for a in SIDES:
        b.set_arm(a, 0.3, 0.15, 0.9, 0.3, weight=ks * 0.7)
    return b


@atom("kneel", "lower", params=dict(side=SIDE, hold=Param(1.0, 0.3, 2.5), speed=SPEED))
def kneel(p, rng):
    b = _kneel_body(p, rng, p["hold"])
    b.limit_height_smooth(None, 1.0)
    return b.to_clip("kneel")


def _sit_body(p, rng) -> Body:
    sf = speed_factor(p)
    t1, t2, t3 = 0.3, 0.3 + 1.2 * sf, 0.3 + 2.2 * sf
    b = Body(t3 + 0.6, p["fps"]).stand(rng, 0.2)
    y = keys(b.t, [t1, t2, t3, t3 + 0.4], [STAND_Y, 0.5, 0.17, 0.17])
    z = keys(b.t, [t1, t2, t3, t3 + 0.4], [0.0, -0.12, -0.45, -0.45])
    b.pos[:, 1], b.pos[:, 2] = y, z
    lean = bump(b.t, t1, t3)
    b.pelvis[:, 0] += 0.5 * lean - 0.25 * ramp(b.t, t2, t3)
    b.spine[:, 0] += 0.35 * lean + 0.1 * ramp(b.t, t2, t3)
    b.head[:, 0] -= 0.4 * lean
    for s in SIDES:
        b.set_arm(s, 0.9, 0.1, 0.3, 0.0, weight=bump(b.t, t1, t2 + 0.3))
        b.set_arm(s, -0.55, 0.25, 0.15, 0.0, weight=ramp(b.t, t2 + 0.1, t3 - 0.1) * 0.7)
        b.knee_out[s] += 0.15 * ramp(b.t, t1, t3)
    return b


@atom("sit_down", "lower", end="floor", params=dict(speed=SPEED))
def sit_down(p, rng):
    return _sit_body(p, rng).to_clip("sit_down")


@atom("stand_up", "lower", start="floor", params=dict(speed=SPEED))
def stand_up(p, rng):
    c = _sit_body(p, rng).to_clip("stand_up")
    return MotionClip(c.fps, c.trans[::-1].copy(), c.rotations[::-1].copy(), c.skeleton, name="stand_up")


@atom("crouch", "lower", params=dict(hold=Param(1.2, 0.4, 3.0), speed=SPEED))
def crouch(p, rng):
    sf = speed_factor(p)
    t1, t2 = 0.4 + 0.9 * sf, 0.4 + 0.9 * sf + p["hold"]
    b = Body(t2 + 1.0 * sf + 0.4, p["fps"]).stand(rng, 0.3)
    k = window(b.t, 0.4, t1, t2, t2 + 0.9 * sf)
    b.plant_feet(width=0.1)
    for s in SIDES:
        b.rise_on_toes(s, 0.55 * k)
        b.set_arm(s, 0.8, 0.15, 0.9, 0.2, weight=k)
        b.knee_out[s] += 0.3 * k
    b.pos[:, 1] = STAND_Y - 0.46 * k
    b.pos[:, 2] += 0.02 * k
    b.pelvis[:, 0] += 0.45 * k
    b.spine[:, 0] += 0.25 * k
    b.head[:, 0] -= 0.55 * k
    b.head[:, 1] += 0.5 * np.sin(2 * np.pi * (b.t - t1) / max(p["hold"], 0.5) * 0.5) * window(b.t, t1, t1 + 0.3, t2 - 0.3, t2)
    return b.finish("crouch")


@atom("step_up", "lower", platform=0.3, params=dict(side=SIDE, height=Param(0.2, 0.1, 0.3), speed=SPEED))
def step_up(p, rng):
    """Step up onto a raised step with one foot, bring the other up, then step back down."""
    s = p["side"]
    o = "left" if s == "right" else "right"
    h, sf = p["height"], speed_factor(p)
    b = Body(0.3 + 4.2 * sf + 0.4, p["fps"]).stand(rng, 0.2)
    T = [0.3 + x * sf for x in (0.0, 0.6, 1.2, 1.8, 2.4, 3.0, 3.6, 4.2)]
    up = np.array([0.0, h, 0.32])
    for foot, (a, c) in ((s, (0, 1)), (o, (1, 2))):
        base = b.foot[foot][0].copy()
        ti = [T[a], T[c], T[a + 4] - 0.6 * sf if foot == s else T[5], T[6] if foot == s else T[7]]
        ti = sorted(ti)
        m1 = ramp(b.t, ti[0], ti[1] - 0.25 * (ti[1] - ti[0]))
        m2 = ramp(b.t, ti[2] + 0.25 * (ti[3] - ti[2]), ti[3])
        b.foot[foot] = base + up * (m1 - m2)[:, None]
        b.foot[foot][:, 1] += 0.1 * (bump(b.t, ti[0], ti[1]) + bump(b.t, ti[2], ti[3]))
    mid = (b.foot["left"] + b.foot["right"]) / 2
    b.pos[:, 2] = gauss(mid[:, 2] + 0.055, 3)
    hl, hr = b.foot["left"][:, 1] - ANKLE_H["left"], b.foot["right"][:, 1] - ANKLE_H["right"]
    b.pos[:, 1] = STAND_Y + gauss(0.95 * np.minimum(hl, hr) + 0.08 * np.abs(hl - hr), 3)
    b.spine[:, 0] += 0.1 * bump(b.t, T[0], T[3])
    return b.finish("step_up")


def gauss(x, s):
    from .pose_kit import gauss_smooth
    return gauss_smooth(x, s)


@atom("calf_raise", "lower", params=dict(reps=Param(3, 1, 8), speed=SPEED))
def calf_raise(p, rng):
    per = 1.1 * speed_factor(p)
    b = Body(0.4 + per * p["reps"] + 0.4, p["fps"]).stand(rng, 0.3)
    w = _rep_wave(b.t, 0.4, 0.4 + per * p["reps"], p["reps"])
    for s in SIDES:
        b.rise_on_toes(s, 0.7 * w)
        b.set_arm(s, 0.0, 0.35, 0.2, 0.0, weight=w * 0.5)
    b.pos[:, 1] += 0.09 * w
    return b.finish("calf_raise")
