"""Footstep-driven locomotion: planted feet, swing arcs, and a root solved from contacts.

A gait is a list of :class:`Step` (which foot, lift and land times, landing ankle
position and yaw). Feet stay exactly planted between steps (the toe pivots during
heel-off, the ankle during heel-strike), the pelvis follows the support feet
(smoothed, with sideways sway toward the stance foot), its height is capped by leg
reach (an inverted-pendulum bob), and secondary motion (pelvis rotation, torso
counter-rotation, arm swing opposite to the legs, head stabilisation) is derived
from the relative foot positions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pose_kit import (ANKLE_H, FOOT_REST, LEG, OFF, SGN, SIDES, STAND_Y, Body, gauss_smooth, ramp, rot, smooth,
                       to_world)


@dataclass
class Step:
    side: str
    t_lift: float
    t_land: float
    pos: np.ndarray  # landing ankle position (world, flat foot)
    yaw: float


@dataclass
class GaitStyle:
    clearance: float = 0.12   # ankle lift during swing (m)
    toe_off: float = 0.55     # foot pitch at toe-off (rad, toes down)
    heel_strike: float = 0.25  # foot pitch at heel strike (rad, toes up)
    heel_off_t: float = 0.28  # heel-off (toe roll) duration before lift (s)
    load_t: float = 0.10      # heel-to-flat duration after landing (s)
    sway: float = 0.35        # fraction of the way the pelvis leans over the stance foot
    crouch: float = 0.0       # pelvis lowered (m)
    dip: float = 0.0          # extra pelvis drop while feet are loaded (running)
    lean: float = 0.04        # forward lean per m/s (rad)
    arm_swing: float = 0.45   # shoulder swing per m of foot separation (rad/m)
    elbow: float = 0.35       # base elbow flexion (rad)
    pelvis_twist: float = 0.18  # pelvis yaw per m of foot separation (rad/m)
    bounce: float = 0.0       # knee-driven bounce for dance-like steps


def footprint(center: np.ndarray, yaw: float, side: str, width: float = 0.0) -> np.ndarray:
    """Ankle position of a flat foot for a body standing at pelvis xz `center` with heading yaw."""
    off = FOOT_REST[side] + np.array([SGN[side] * width / 2, 0.0, 0.0])
    p = np.array([center[0], 0.0, center[-1]]) + to_world(off, yaw)
    p[1] = ANKLE_H[side]
    return p


def path_steps(poses: list[tuple[float, float, float]], t0: float, period: float, swing: float,
               first: str, width: float = 0.0) -> list[Step]:
    """Alternating steps; step k puts the next foot at the footprint of center pose k (x, z, yaw)."""
    steps, side = [], first
    for k, (x, z, yaw) in enumerate(poses):
        t_lift = t0 + k * period
        steps.append(Step(side, t_lift, t_lift + swing * period, footprint(np.array([x, z]), yaw, side, width), yaw))
        side = "right" if side == "left" else "left"
    return steps


def _lift_profile(u: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * np.clip(u, 0, 1) ** 0.8) ** 2


def apply_feet(body: Body, steps: list[Step], style: GaitStyle) -> dict[str, np.ndarray]:
    """Fill the body's foot layers from steps; returns per-side stance weights [n] in [0, 1]."""
    t = body.t
    weights = {}
    for s in SIDES:
        mine = sorted((st for st in steps if st.side == s), key=lambda st: st.t_lift)
        pos, yaw = body.foot[s][0].copy(), float(body.foot_yaw[s][0])
        foot, fyaw, pitch = np.repeat(pos[None], body.n, 0), np.full(body.n, yaw), np.zeros(body.n)
        w = np.ones(body.n)
        for st in mine:
            ho0 = st.t_lift - style.heel_off_t
            toe = pos + to_world(_toe_off(s), yaw)
            m = t >= ho0
            pitch[m] = style.toe_off * ramp(t[m], ho0, st.t_lift) ** 1.5
            ra = rot("Y", yaw) @ rot("X", pitch[m])
            foot[m] = toe - np.einsum("tij,j->ti", ra, _toe_off(s))
            fyaw[m] = yaw
            a = toe - rot("Y", yaw) @ rot("X", style.toe_off) @ _toe_off(s)
            m = t >= st.t_lift
            u = np.clip((t[m] - st.t_lift) / (st.t_land - st.t_lift), 0, 1)
            sh = u * u * (3 - 2 * u)  # cubic ease: peak foot speed 1.5x the mean
            dyaw = (st.yaw - yaw + np.pi) % (2 * np.pi) - np.pi
            foot[m] = a + (st.pos - a) * sh[:, None]
            foot[m, 1] += style.clearance * _lift_profile(u)
            fyaw[m] = yaw + dyaw * sh
            sp = smooth(np.clip(u * 1.25, 0, 1))
            pitch[m] = style.toe_off * (1 - sp) - style.heel_strike * sp
            w[m] = 1.0 - ramp(t[m], st.t_lift, st.t_lift + 0.08) * (1 - ramp(t[m], st.t_land - 0.05, st.t_land))
            m = t >= st.t_land
            pitch[m] = -style.heel_strike * (1 - ramp(t[m], st.t_land, st.t_land + style.load_t))
            foot[m] = st.pos
            fyaw[m] = yaw + dyaw
            pos, yaw = st.pos.copy(), yaw + dyaw
        body.foot[s], body.foot_yaw[s], body.foot_pitch[s] = foot, fyaw, pitch
        weights[s] = w
    return weights


def _toe_off(side: str) -> np.ndarray:
    return OFF[LEG[side][3]]


def solve_root(body: Body, weights: dict[str, np.ndarray], style: GaitStyle, period: float,
               yaw_lead: float = 0.0) -> None:
    """Pelvis path, heading, height and secondary motion from the feet."""
    n, fps = body.n, body.fps
    centers = {s: body.foot[s] - to_world(FOOT_REST[s], body.foot_yaw[s]) for s in SIDES}
    mid = (centers["left"] + centers["right"]) / 2
    wl, wr = weights["left"], weights["right"]
    tot = np.maximum(wl + wr, 1e-6)
    support = np.where((wl + wr)[:, None] > 1e-3, (centers["left"] * wl[:, None] + centers["right"] * wr[:, None]) / tot[:, None], mid)
    sig = max(1.0, 0.32 * period * fps)
    xz = gauss_smooth(mid, sig) + style.sway * gauss_smooth(support - mid, sig * 0.8)
    yl, yr = np.unwrap(body.foot_yaw["left"]), np.unwrap(body.foot_yaw["right"])
    yaw = gauss_smooth((yl + yr) / 2, sig * 1.2)
    body.yaw = yaw + yaw_lead
    body.pos[:, 0], body.pos[:, 2] = xz[:, 0], xz[:, 2]
    # velocities in the heading frame
    vel = np.gradient(xz, 1 / fps, axis=0)
    fwd = vel[:, 0] * np.sin(yaw) + vel[:, 2] * np.cos(yaw)
    acc = gauss_smooth(np.gradient(fwd, 1 / fps), sig)
    # relative foot position along the heading (left minus right)
    rel = {s: to_world(body.foot[s] - body.pos, -yaw) for s in SIDES}
    sep = gauss_smooth(rel["left"][:, 2] - rel["right"][:, 2], max(1.0, sig * 0.5))
    loaded = gauss_smooth(np.clip(wl + wr, 0, 1), max(1.0, sig * 0.5))
    body.pelvis[:, 0] = style.lean * np.abs(fwd) * np.sign(fwd) * 0.6 + 0.02 * np.clip(acc, -3, 3)
    body.pelvis[:, 1] = -style.pelvis_twist * sep
    lat = gauss_smooth((support - mid), sig)
    body.pelvis[:, 2] = 0.6 * to_world(lat, -yaw)[:, 0]  # hip drops on the swing side
    body.spine[:, 0] = style.lean * np.abs(fwd) * 0.6 + 0.03 * np.clip(acc, -3, 3)
    body.spine[:, 1] = 2.2 * style.pelvis_twist * sep
    body.spine[:, 2] = -0.5 * body.pelvis[:, 2]
    body.head[:, 0] = -0.8 * (body.pelvis[:, 0] + body.spine[:, 0])
    body.head[:, 1] = -(body.pelvis[:, 1] + body.spine[:, 1]) + 1.5 * gauss_smooth(np.gradient(yaw, 1 / fps), sig) * 0.25
    body.head[:, 2] = -0.8 * (body.pelvis[:, 2] + body.spine[:, 2])
    moving = np.flatnonzero((wl < 0.99) | (wr < 0.99))
    t = body.t
    env = np.zeros(n) if len(moving) == 0 else (ramp(t, t[moving[0]] - 0.4, t[moving[0]] + 0.1)
                                               * (1 - ramp(t, t[moving[-1]] - 0.1, t[moving[-1]] + 0.45)))
    y = STAND_Y + 0.02 - style.crouch * env - style.dip * loaded + style.bounce * (1 - loaded)
    body.pos[:, 1] = y
    body.limit_height_smooth(weights, max(1.0, 0.15 * period * fps))
    # arms swing opposite to the legs
    for s in SIDES:
        swing = -SGN[s] * style.arm_swing * sep
        swing = np.concatenate([swing[:1].repeat(2), swing[:-2]])  # arms lag slightly
        el = style.elbow + 0.25 * np.clip(swing, 0, None) + 0.1 * style.elbow * np.abs(swing)
        body.set_arm(s, 0.04 + swing, 0.12 + 0.05 * np.abs(fwd) / 3, el, 0.15 * style.elbow, weight=env)


def settle_weight(n: int, fps: float, t0: float, t1: float) -> np.ndarray:
    """Smooth 0 -> 1 envelope (used to fade secondary motion in/out)."""
    t = np.arange(n) / fps
    return ramp(t, t0, t1)
