"""Upper-body atoms over a planted, subtly idling stance (arms by angles or chest-frame wrist IK)."""
from __future__ import annotations

import numpy as np

from .pose_kit import SGN, SIDES, Body, bump, cycles, keys, ramp
from .spec import SIDE, SIDE3, SPEED, Param, atom, speed_factor


def _sides(side: str) -> tuple[str, ...]:
    return SIDES if side == "both" else (side,)


def _win(t, t0, t1, t2, t3):
    return ramp(t, t0, t1) * (1 - ramp(t, t2, t3))


def _reach(b: Body, s: str, target, pole, w) -> None:
    """Blend a chest-frame wrist target (x mirrored per side: + = outward) into the arm."""
    sg = SGN[s]
    tg = np.broadcast_to(np.asarray(target, float) * [sg, 1, 1], (b.n, 3))
    po = np.broadcast_to(np.asarray(pole, float) * [sg, 1, 1], (b.n, 3))
    w = np.asarray(w, float)[:, None]
    b.wrist[s] = b.wrist[s] * (1 - w) + tg * w
    pl = b.pole[s] * (1 - w) + po * w
    b.pole[s] = pl / np.linalg.norm(pl, axis=-1, keepdims=True)


def _base(p, rng, dur):
    return Body(dur, p["fps"]).stand(rng, 0.8)


@atom("idle", "whole", params=dict(duration=Param(3.0, 1.5, 8.0)))
def idle(p, rng):
    b = _base(p, rng, p["duration"])
    b.idle(rng, 1.5)
    return b.finish("idle")


@atom("wave", "upper", params=dict(side=SIDE3, reps=Param(3, 2, 6), speed=SPEED))
def wave(p, rng):
    """Hand raised beside the head (wrist ~0.2 m above the shoulder, forearm upright, elbow out
    and down) swinging side to side about the elbow, one lateral swing per rep at ~2.4 Hz."""
    sf = speed_factor(p)
    per = 0.42 * sf
    t1 = 0.3 + 0.55 * sf
    t2 = t1 + per * p["reps"]
    b = _base(p, rng, t2 + 0.6 * sf + 0.3)
    up = _win(b.t, 0.3, t1, t2, t2 + 0.6 * sf)
    osc = np.sin(2 * np.pi * cycles(b.t, t1, t2, p["reps"]))
    amp = 0.13 * ramp(b.t, t1 - 0.1, t1 + 0.15)
    # chest-frame wrist target from the shoulder (x = outward): the forearm pivots about the elbow
    tg = np.stack([0.2 + amp * osc, 0.21 - 0.04 * np.abs(osc) * amp / 0.13, 0.1 + 0 * osc], -1)
    for s in _sides(p["side"]):
        _reach(b, s, tg, [0.75, -0.6, -0.1], up)
        b.hand[s][:, 1] = 0.25 * osc * up
    b.head[:, 1] += 0.1 * up * (SGN[p["side"]] if p["side"] != "both" else 0)
    return b.finish("wave")


@atom("raise_arms", "upper", params=dict(side=SIDE3, direction=Param("up", choices=("up", "forward", "sideways")),
                                          hold=Param(1.0, 0.3, 2.5), speed=SPEED))
def raise_arms(p, rng):
    sf = speed_factor(p)
    t1 = 0.3 + 0.8 * sf
    t2 = t1 + p["hold"]
    b = _base(p, rng, t2 + 0.8 * sf + 0.3)
    w = _win(b.t, 0.3, t1, t2, t2 + 0.8 * sf)
    ang = {"up": (2.9, 0.15), "forward": (1.5, 0.1), "sideways": (0.05, 1.5)}[p["direction"]]
    for s in _sides(p["side"]):
        b.set_arm(s, ang[0], ang[1], 0.12, 0.0, weight=w)
        b.collar[s][:, 0] += 0.2 * w * (p["direction"] == "up")
    return b.finish("raise_arms")


@atom("clap", "upper", params=dict(reps=Param(4, 2, 10), speed=SPEED))
def clap(p, rng):
    per = 0.45 * speed_factor(p)
    t1 = 0.7
    t2 = t1 + per * p["reps"]
    b = _base(p, rng, t2 + 0.9)
    w = _win(b.t, 0.2, t1, t2, t2 + 0.6)
    op = 0.5 + 0.5 * np.cos(2 * np.pi * cycles(b.t, t1, t2, p["reps"]))
    for s in SIDES:
        _reach(b, s, np.stack([-0.16 + 0.13 * op, -0.22 + 0 * op, 0.3 + 0.02 * op], -1), [0.6, -1.0, 0.0], w)
    b.spine[:, 0] += 0.04 * w
    return b.finish("clap")


@atom("punch", "upper", params=dict(side=SIDE3, reps=Param(2, 1, 6), speed=SPEED))
def punch(p, rng):
    per = 0.55 * speed_factor(p)
    t1 = 0.6
    t2 = t1 + per * p["reps"]
    b = _base(p, rng, t2 + 0.8)
    g = _win(b.t, 0.1, t1, t2 + 0.1, t2 + 0.7)
    for s in SIDES:
        _reach(b, s, [-0.08, 0.0, 0.22], [0.6, -1.0, -0.3], g)
    twist = np.zeros(b.n)
    for i in range(p["reps"]):
        s = p["side"] if p["side"] != "both" else SIDES[i % 2]
        t0 = t1 + i * per
        # out in ~0.12 s, a 0.06 s lock at full extension, back by 70 % of the rep (a fast
        # punch still straightens the arm: without the lock the spline peaked short of it)
        hit = keys(b.t, [t0, t0 + 0.12, t0 + 0.18, t0 + max(0.7 * per, 0.3)], [0.0, 1.0, 1.0, 0.0])
        # aimed (chest frame, x = outward) so that after the trunk twist the fist travels
        # straight ahead at shoulder height; the target lies past arm's length (arm straight)
        _reach(b, s, [0.15, 0.03, 0.6], [0.3, -1.0, 0.0], hit * g)
        b.collar[s][:, 1] += 0.3 * hit * g  # shoulder protraction adds reach
        twist += -SGN[s] * 0.35 * hit
    b.spine[:, 1] += twist
    b.pelvis[:, 1] += 0.3 * twist
    b.head[:, 1] -= 0.9 * twist
    b.plant_feet(width=0.1)
    return b.finish("punch")


@atom("throw", "upper", params=dict(side=SIDE, strength=Param(1.0, 0.5, 1.3)))
def throw(p, rng):
    s, k = p["side"], p["strength"]
    b = _base(p, rng, 2.6)
    kt = [0.3, 1.0, 1.3, 1.42, 1.7, 2.3]
    w = keys(b.t, kt, [0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    tg = keys(b.t, kt[1:5], np.array([[0.15, 0.2, -0.2], [0.1, 0.28, -0.25], [-0.05, 0.1, 0.5], [-0.35, -0.35, 0.3]]))
    _reach(b, s, tg, [0.8, -0.6, -0.2], w)
    tw = keys(b.t, kt, [0.0, -0.45, -0.5, 0.3, 0.5, 0.0]) * SGN[s] * k
    b.spine[:, 1] += tw
    b.pelvis[:, 1] += 0.4 * tw
    b.head[:, 1] -= 0.85 * tw
    b.spine[:, 0] += keys(b.t, kt, [0.0, -0.1, -0.15, 0.2, 0.3, 0.0]) * k
    o = "left" if s == "right" else "right"
    b.set_arm(o, 1.2, 0.3, 0.4, 0.0, weight=bump(b.t, 0.3, 2.2))
    return b.finish("throw")


@atom("reach_forward", "upper", params=dict(side=SIDE3, height=Param(0.0, -0.4, 0.3), hold=Param(0.8, 0.2, 2.0)))
def reach_forward(p, rng):
    t2 = 1.1 + p["hold"]
    b = _base(p, rng, t2 + 1.0)
    w = _win(b.t, 0.3, 1.1, t2, t2 + 0.8)
    for s in _sides(p["side"]):
        _reach(b, s, [-0.05, p["height"], 0.5], [0.5, -1.0, 0.0], w)
    b.spine[:, 0] += (0.25 - 0.5 * p["height"]) * w
    b.pos[:, 2] -= 0.03 * w
    b.head[:, 0] -= 0.1 * w
    return b.finish("reach_forward")


@atom("point", "upper", params=dict(side=SIDE, direction=Param("forward", choices=("forward", "left", "right", "up")),
                                     hold=Param(1.0, 0.4, 2.5)))
def point(p, rng):
    s, d = p["side"], p["direction"]
    t2 = 1.0 + p["hold"]
    b = _base(p, rng, t2 + 1.0)
    w = _win(b.t, 0.3, 1.0, t2, t2 + 0.8)
    out = SGN[s] * (1 if d == s else -1 if d in ("left", "right") else 0)
    flex, abd, yaw = {"forward": (1.45, 0.1, 0.0), "up": (2.5, 0.3, 0.0)}.get(d, (0.9, 1.0 if out > 0 else -0.35, 0.0))
    if d in ("left", "right"):
        b.spine[:, 1] += SGN[d] * 0.3 * w
        b.head[:, 1] += SGN[d] * 0.5 * w
    if d == "up":
        b.head[:, 0] -= 0.45 * w
    b.set_arm(s, flex, abd, 0.08, 0.0, weight=w)
    return b.finish("point")


@atom("bow", "upper", params=dict(depth=Param(0.7, 0.55, 1.0), hold=Param(0.6, 0.2, 1.5), speed=SPEED))
def bow(p, rng):
    sf = speed_factor(p)
    t1 = 0.3 + 0.8 * sf
    t2 = t1 + p["hold"]
    b = _base(p, rng, t2 + 0.9 * sf + 0.3)
    w = _win(b.t, 0.3, t1, t2, t2 + 0.9 * sf)
    a = p["depth"]
    b.pelvis[:, 0] += 0.55 * a * w
    b.spine[:, 0] += 0.45 * a * w
    b.pos[:, 2] -= 0.1 * a * w
    b.head[:, 0] += 0.1 * w
    for s in SIDES:
        b.set_arm(s, -0.75 * a, 0.1, 0.2, 0.0, weight=w)
    return b.finish("bow")


@atom("stretch", "upper", params=dict(hold=Param(1.2, 0.5, 2.5), speed=SPEED))
def stretch(p, rng):
    sf = speed_factor(p)
    t1 = 0.3 + 1.0 * sf
    t2 = t1 + p["hold"]
    b = _base(p, rng, t2 + 1.0 * sf + 0.3)
    w = _win(b.t, 0.3, t1, t2, t2 + 1.0 * sf)
    for s in SIDES:
        b.set_arm(s, 2.95, 0.35, 0.25, -0.3, weight=w)
        b.collar[s][:, 0] += 0.25 * w
        b.rise_on_toes(s, 0.35 * w)
    b.pos[:, 1] += 0.03 * w
    b.spine[:, 0] -= 0.18 * w
    b.head[:, 0] -= 0.3 * w
    return b.finish("stretch")


@atom("shrug", "upper", params=dict(reps=Param(1, 1, 3), speed=SPEED))
def shrug(p, rng):
    per = 0.9 * speed_factor(p)
    b = _base(p, rng, 0.5 + per * p["reps"] + 0.4)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * cycles(b.t, 0.5, 0.5 + per * p["reps"], p["reps"]))
    for s in SIDES:
        b.collar[s][:, 0] += 0.35 * w
        b.set_arm(s, 0.25, 0.35, 1.2, 0.5, weight=0.6 * _win(b.t, 0.3, 0.6, b.t[-1] - 0.6, b.t[-1] - 0.2))
    b.head[:, 0] -= 0.08 * w
    return b.finish("shrug")


@atom("look_around", "upper", params=dict(reps=Param(1, 1, 3), speed=SPEED))
def look_around(p, rng):
    per = 2.4 * speed_factor(p)
    b = _base(p, rng, 0.4 + per * p["reps"] + 0.4)
    ph = cycles(b.t, 0.4, 0.4 + per * p["reps"], p["reps"])
    yaw = 0.9 * np.sin(2 * np.pi * ph) * _win(b.t, 0.3, 0.8, b.t[-1] - 0.9, b.t[-1] - 0.3)
    b.head[:, 1] += yaw
    b.spine[:, 1] += 0.4 * yaw
    b.head[:, 0] -= 0.1 * np.abs(yaw)
    return b.finish("look_around")


@atom("check_watch", "upper", params=dict(hold=Param(1.0, 0.4, 2.0)))
def check_watch(p, rng):
    t2 = 1.0 + p["hold"]
    b = _base(p, rng, t2 + 0.9)
    w = _win(b.t, 0.3, 1.0, t2, t2 + 0.7)
    _reach(b, "left", [-0.15, -0.12, 0.3], [0.8, -0.7, -0.2], w)
    b.hand["left"][:, 2] = -1.0 * w
    b.head[:, 0] += 0.5 * w
    b.head[:, 1] -= 0.1 * w
    return b.finish("check_watch")


@atom("drink", "upper", params=dict(side=SIDE, sips=Param(1, 1, 3)))
def drink(p, rng):
    s = p["side"]
    per = 1.4
    t2 = 1.0 + per * p["sips"]
    b = _base(p, rng, t2 + 1.0)
    w = _win(b.t, 0.3, 1.0, t2, t2 + 0.8)
    sip = 0.5 - 0.5 * np.cos(2 * np.pi * cycles(b.t, 1.0, t2, p["sips"]))
    tgt = np.stack([np.full(b.n, -0.12), 0.05 + 0.06 * sip, 0.2 - 0.03 * sip], -1)
    _reach(b, s, tgt, [0.6, -1.0, 0.0], w)
    b.head[:, 0] -= (0.1 + 0.35 * sip) * w
    b.hand[s][:, 0] = -0.4 * sip * w
    return b.finish("drink")


@atom("arm_circles", "upper", params=dict(side=SIDE3, reps=Param(3, 2, 8), speed=SPEED))
def arm_circles(p, rng):
    per = 0.8 * speed_factor(p)
    t1, t2 = 0.8, 0.8 + per * p["reps"]
    b = _base(p, rng, t2 + 0.8)
    w = _win(b.t, 0.2, t1, t2, t2 + 0.6)
    ph = 2 * np.pi * cycles(b.t, t1, t2, p["reps"])
    for s in _sides(p["side"]):  # circles of 0.6 rad (the wrist ~0.3 m off the arm's axis): visible winds
        b.set_arm(s, 0.6 * np.sin(ph), 1.45 + 0.6 * np.cos(ph), 0.1, 0.0, weight=w)
    return b.finish("arm_circles")


@atom("hands_on_hips", "upper", params=dict(hold=Param(1.5, 0.5, 3.0)))
def hands_on_hips(p, rng):
    t2 = 0.9 + p["hold"]
    b = _base(p, rng, t2 + 0.9)
    w = _win(b.t, 0.2, 0.9, t2, t2 + 0.7)
    for s in SIDES:
        _reach(b, s, [-0.02, -0.45, 0.02], [1.0, 0.0, -0.6], w)
    return b.finish("hands_on_hips")


@atom("scratch_head", "upper", params=dict(side=SIDE, reps=Param(3, 2, 6)))
def scratch_head(p, rng):
    s = p["side"]
    t2 = 1.0 + 0.45 * p["reps"]
    b = _base(p, rng, t2 + 0.9)
    w = _win(b.t, 0.2, 1.0, t2, t2 + 0.7)
    osc = np.sin(2 * np.pi * cycles(b.t, 1.0, t2, p["reps"]))
    b.set_arm(s, 0.9, 1.45, 2.5, -1.5 + 0.12 * osc, weight=w)
    b.head[:, 0] += 0.15 * w
    b.head[:, 2] += 0.1 * w * SGN[s]
    return b.finish("scratch_head")


@atom("cross_arms", "upper", params=dict(hold=Param(1.5, 0.5, 3.0)))
def cross_arms(p, rng):
    t2 = 1.0 + p["hold"]
    b = _base(p, rng, t2 + 0.9)
    w = _win(b.t, 0.2, 1.0, t2, t2 + 0.7)
    _reach(b, "left", [-0.28, -0.22, 0.2], [0.6, -0.8, 0.0], w)
    _reach(b, "right", [-0.3, -0.17, 0.24], [0.6, -0.8, 0.0], w)
    return b.finish("cross_arms")
