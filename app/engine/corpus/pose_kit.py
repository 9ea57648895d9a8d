"""Building blocks for procedural SMPL-22 motion: curves, rotations and a pose builder.

Body frame conventions (heading frame): X = the body's left, Y up, Z forward.
Angles: spine/head flexion +X bends forward, lateral + bends toward the left,
twist/yaw + turns left. Foot pitch + points the toes down. The :class:`Body`
builder holds per-frame layers (root, spine, head, collars, foot targets, wrist
targets) and :meth:`Body.to_clip` solves two-bone IK for legs and arms so the
feet land exactly on their world targets.
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment
from app.core.rotations import axis_angle_to_matrix, frame_from_vectors, matrix_to_axis_angle
from app.core.skeleton import forward_kinematics, smpl22_skeleton

SKEL = smpl22_skeleton()
OFF = SKEL.offsets
J = {n: i for i, n in enumerate(SKEL.names)}
SIDES = ("left", "right")
SGN = {"left": 1.0, "right": -1.0}
LEG = {s: (J[f"{s}_hip"], J[f"{s}_knee"], J[f"{s}_ankle"], J[f"{s}_foot"]) for s in SIDES}
ARM = {s: (J[f"{s}_collar"], J[f"{s}_shoulder"], J[f"{s}_elbow"], J[f"{s}_wrist"]) for s in SIDES}
# height of the ankle joint above the floor when the foot is flat (toe joint on y = 0)
ANKLE_H = {s: float(-OFF[LEG[s][3], 1]) for s in SIDES}
LEG_LEN = {s: float(np.linalg.norm(OFF[LEG[s][1]]) + np.linalg.norm(OFF[LEG[s][2]])) for s in SIDES}
ARM_LEN = {s: (float(np.linalg.norm(OFF[ARM[s][2]])), float(np.linalg.norm(OFF[ARM[s][3]]))) for s in SIDES}
# rest layout: ankle position relative to the pelvis (heading frame), feet flat
REST = SKEL.rest_positions()
FOOT_REST = {s: np.array([REST[LEG[s][2], 0] - REST[0, 0], 0.0, REST[LEG[s][2], 2] - REST[0, 2]]) for s in SIDES}
STAND_Y = 0.91  # pelvis height of a relaxed stance (knees slightly soft)
G = 9.81
NEUTRAL_ARM = (0.06, 0.12, 0.25, 0.0)  # flex, abduct, elbow, twist of relaxed hanging arms


# ---------------------------------------------------------------- rotations
def rot(axis: str, angle) -> np.ndarray:
    """Rotation matrices [..., 3, 3] about a principal axis."""
    a = np.asarray(angle, dtype=np.float64)
    v = np.zeros(a.shape + (3,))
    v[..., "XYZ".index(axis)] = a
    return axis_angle_to_matrix(v)


def euler(x, y, z) -> np.ndarray:
    """R = Ry(y) @ Rx(x) @ Rz(z) (yaw, then pitch, then roll), broadcast over frames."""
    x, y, z = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (x, y, z)))
    return rot("Y", y) @ rot("X", x) @ rot("Z", z)


def heading_vec(yaw) -> np.ndarray:
    yaw = np.asarray(yaw, dtype=np.float64)
    return np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], -1)


def to_world(local_xyz, yaw) -> np.ndarray:
    """Heading-frame vectors [..., 3] rotated by yaw about +Y."""
    return np.einsum("...ij,...j->...i", rot("Y", yaw), np.asarray(local_xyz, dtype=np.float64))


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


# ---------------------------------------------------------------- curves
def smooth(x) -> np.ndarray:
    """Quintic smoothstep on [0, 1] (C2)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    return x ** 3 * (x * (6 * x - 15) + 10)


def ramp(t, t0: float, t1: float) -> np.ndarray:
    return smooth((np.asarray(t) - t0) / max(t1 - t0, 1e-6))


def window(t, t0: float, t1: float, t2: float, t3: float) -> np.ndarray:
    """0 -> 1 over [t0, t1], held, 1 -> 0 over [t2, t3]."""
    return ramp(t, t0, t1) * (1.0 - ramp(t, t2, t3))


def bump(t, t0: float, t1: float) -> np.ndarray:
    """A smooth 0 -> 1 -> 0 bump over [t0, t1] (sin^2)."""
    u = np.clip((np.asarray(t, dtype=np.float64) - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * u) ** 2


def keys(t, kt, kv, kd=None) -> np.ndarray:
    """Cubic Hermite through keys (times kt, values kv [K, ...]); C1.

    Tangents kd default to Catmull-Rom with zero slope at the ends; values are held outside.
    """
    t = np.asarray(t, dtype=np.float64)
    kt = np.asarray(kt, dtype=np.float64)
    kv = np.asarray(kv, dtype=np.float64)
    if kd is None:
        kd = np.zeros_like(kv)
        if len(kt) > 2:
            kd[1:-1] = (kv[2:] - kv[:-2]) / (kt[2:] - kt[:-2]).reshape((-1,) + (1,) * (kv.ndim - 1))
    kd = np.asarray(kd, dtype=np.float64)
    tc = np.clip(t, kt[0], kt[-1])
    i = np.clip(np.searchsorted(kt, tc, side="right") - 1, 0, len(kt) - 2)
    h = kt[i + 1] - kt[i]
    s = (tc - kt[i]) / h
    shape = (-1,) + (1,) * (kv.ndim - 1)
    s, h = s.reshape(shape), h.reshape(shape)
    h00, h10 = 2 * s ** 3 - 3 * s ** 2 + 1, s ** 3 - 2 * s ** 2 + s
    h01, h11 = -2 * s ** 3 + 3 * s ** 2, s ** 3 - s ** 2
    out = h00 * kv[i] + h10 * h * kd[i] + h01 * kv[i + 1] + h11 * h * kd[i + 1]
    return out.reshape(t.shape + kv.shape[1:])


def gauss_smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 with edge padding."""
    x = np.asarray(x, dtype=np.float64)
    if sigma_frames < 0.3:
        return x.copy()
    r = int(np.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    k /= k.sum()
    pad = np.concatenate([np.repeat(x[:1], r, 0), x, np.repeat(x[-1:], r, 0)], 0)
    out = np.zeros_like(x)
    for i, w in enumerate(k):
        out += w * pad[i:i + len(x)]
    return out


def cycles(t, t0: float, t1: float, n: float) -> np.ndarray:
    """Phase in [0, n] over [t0, t1] (clamped), for n repetitions of a cyclic movement."""
    return np.clip((np.asarray(t) - t0) / max(t1 - t0, 1e-6), 0.0, 1.0) * n


def smin(a, b, k: float) -> np.ndarray:
    """Smooth minimum (log-sum-exp), at most k*log(2) below min(a, b)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    m = np.minimum(a, b)
    return m - k * np.log(np.exp(-(a - m) / k) + np.exp(-(b - m) / k))


# ---------------------------------------------------------------- IK
def solve_hinge(dist: np.ndarray, u: np.ndarray, v: np.ndarray, h: np.ndarray, max_flex: float) -> np.ndarray:
    """Flexion angle about hinge h so that |u + R(h, a) v| = dist (clamped to [0, max_flex])."""
    vp = v - (v @ h) * h
    a0, b, c = u @ ((v @ h) * h), u @ vp, u @ np.cross(h, vp)
    k = (dist ** 2 - u @ u - v @ v) / 2.0 - a0
    m = np.hypot(b, c)
    phi = np.arctan2(c, b)
    return np.clip(phi + np.arccos(np.clip(k / m, -1.0, 1.0)), 0.0, max_flex)


def two_bone(parent_rot, root_pos, target, hinge_w, u, v, h_loc, max_flex=2.6):
    """Local rotations (root, mid) [T,3,3] reaching `target` with the mid joint's hinge near hinge_w."""
    t = target - root_pos
    d = np.linalg.norm(t, axis=-1)
    dmax = np.linalg.norm(u + v)
    x = d / dmax
    knee0, width = 0.975, 0.022
    d = np.where(x > knee0, dmax * (knee0 + width * np.tanh((x - knee0) / width)), d)
    ang = solve_hinge(d, u, v, h_loc, max_flex)
    r_mid = axis_angle_to_matrix(h_loc[None] * ang[:, None])
    p_loc = u[None] + np.einsum("tij,j->ti", r_mid, v)
    f_loc = frame_from_vectors(p_loc, np.broadcast_to(h_loc, p_loc.shape))
    f_w = frame_from_vectors(t, hinge_w)
    g = f_w @ np.swapaxes(f_loc, -1, -2)
    return np.swapaxes(parent_rot, -1, -2) @ g, r_mid


def arm_pose(side: str, flex, abduct, elbow, twist=0.0):
    """Chest-frame wrist offset from the shoulder and elbow pole for arm angles (radians).

    flex: forward elevation, abduct: sideways elevation, elbow: flexion, twist: rotates
    the elbow plane about the upper arm (+ brings the forearm toward the body's midline).
    """
    s = SGN[side]
    flex, abduct, elbow, twist = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (flex, abduct, elbow, twist)))
    r = rot("X", -flex) @ rot("Z", s * abduct)
    down = np.array([0.0, -1.0, 0.0])
    d = np.einsum("...ij,j->...i", r, down)
    pole = np.einsum("...ij,j->...i", r, np.array([0.0, 0.0, -1.0]))
    pole = np.einsum("...ij,...j->...i", axis_angle_to_matrix(d * (s * twist)[..., None]), pole)
    hinge = _norm(np.cross(pole, d))
    fore = np.einsum("...ij,...j->...i", axis_angle_to_matrix(hinge * elbow[..., None]), d)
    l1, l2 = ARM_LEN[side]
    return l1 * d + l2 * fore, pole


# ---------------------------------------------------------------- the builder
class Body:
    """Per-frame pose layers for one motion; call :meth:`to_clip` to solve and export."""

    def __init__(self, duration: float, fps: float = 20.0):
        self.fps = float(fps)
        self.n = max(2, int(round(duration * fps)) + 1)
        n = self.n
        self.t = np.arange(n) / self.fps
        self.pos = np.zeros((n, 3))
        self.pos[:, 1] = STAND_Y
        self.yaw = np.zeros(n)            # heading
        self.pelvis = np.zeros((n, 3))    # pelvis pitch (+ forward), yaw twist, roll (+ left side down)
        self.spine = np.zeros((n, 3))     # flexion, twist (+ left), lateral (+ toward left)
        self.head = np.zeros((n, 3))      # pitch (+ down), yaw (+ left), roll
        self.collar = {s: np.zeros((n, 2)) for s in SIDES}  # elevation, protraction (radians)
        self.foot = {s: np.repeat(FOOT_REST[s][None], n, 0) + [0.0, ANKLE_H[s], 0.0] for s in SIDES}
        self.foot_yaw = {s: np.zeros(n) for s in SIDES}
        self.foot_pitch = {s: np.zeros(n) for s in SIDES}
        self.knee_out = {s: np.full(n, 0.08) for s in SIDES}
        self.foot_world = True
        w, p = arm_pose("left", *NEUTRAL_ARM)
        self.wrist = {s: np.repeat((w * [SGN[s], 1, 1])[None], n, 0) for s in SIDES}
        self.pole = {s: np.repeat((p * [SGN[s], 1, 1])[None], n, 0) for s in SIDES}
        self.wrist_world = {s: False for s in SIDES}
        self.hand = {s: np.zeros((n, 3)) for s in SIDES}  # wrist flexion, deviation, twist

    # --- convenience -------------------------------------------------
    def set_arm(self, side: str, flex, abduct, elbow, twist=0.0, weight=None) -> None:
        """Move the arm toward an angle-specified pose.

        Without weight the pose replaces the arm layer; with weight [n] in [0, 1] the angles are
        interpolated from the neutral arm and the change is added to the current layer.
        """
        if weight is None:
            w, p = arm_pose(side, flex, abduct, elbow, twist)
            self.wrist[side] = np.broadcast_to(w, (self.n, 3)).copy()
            self.pole[side] = np.broadcast_to(p, (self.n, 3)).copy()
            return
        a = np.asarray(weight, dtype=np.float64)
        ang = [n0 + a * (np.asarray(v, dtype=np.float64) - n0) for n0, v in zip(NEUTRAL_ARM, (flex, abduct, elbow, twist))]
        w, p = arm_pose(side, *ang)
        w0, p0 = arm_pose(side, *NEUTRAL_ARM)
        self.wrist[side] = self.wrist[side] + np.broadcast_to(w - w0, (self.n, 3))
        self.pole[side] = _norm(self.pole[side] + np.broadcast_to(p - p0, (self.n, 3)))

    def plant_feet(self, x: float = 0.0, z: float = 0.0, yaw: float = 0.0, width: float = 0.0) -> None:
        """Both feet flat at the standing layout around (x, z) with heading yaw."""
        for s in SIDES:
            off = FOOT_REST[s] + [SGN[s] * width / 2, 0.0, 0.0]
            self.foot[s][:] = np.array([x, ANKLE_H[s], z]) + to_world(off, yaw)
            self.foot_yaw[s][:] = yaw

    def idle(self, rng: np.random.Generator, amount: float = 1.0) -> None:
        """Subtle breathing and weight shift so a standing body is never frozen."""
        ph = rng.uniform(0, 2 * np.pi, 3)
        t = self.t
        self.spine[:, 0] += amount * 0.015 * np.sin(2 * np.pi * 0.25 * t + ph[0])
        self.pos[:, 0] += amount * 0.012 * np.sin(2 * np.pi * 0.13 * t + ph[1]) * np.cos(ph[2])
        self.pos[:, 2] += amount * 0.008 * np.sin(2 * np.pi * 0.11 * t + ph[2])
        self.head[:, 1] += amount * 0.05 * np.sin(2 * np.pi * 0.09 * t + ph[0])
        for s in SIDES:
            self.collar[s][:, 0] += amount * 0.02 * np.sin(2 * np.pi * 0.25 * t + ph[0])

    def stand(self, rng: np.random.Generator | None = None, idle: float = 1.0) -> "Body":
        """Planted feet at the origin plus idle motion (call before layering an action)."""
        self.plant_feet()
        if rng is not None and idle > 0:
            self.idle(rng, idle)
        return self

    def finish(self, name: str, sigma: float = 1.0) -> MotionClip:
        """Cap the pelvis by leg reach (supporting feet) and export."""
        self.limit_height_smooth(None, sigma, margin=0.99)
        return self.to_clip(name)

    def root_rot(self) -> np.ndarray:
        return euler(self.pelvis[:, 0], self.yaw + self.pelvis[:, 1], self.pelvis[:, 2])

    def foot_rot(self, s: str) -> np.ndarray:
        return rot("Y", self.foot_yaw[s]) @ rot("X", self.foot_pitch[s])

    def toe_pivot(self, s: str, toe: np.ndarray) -> np.ndarray:
        """Ankle positions that keep the toe joint at `toe` for the current foot rotation."""
        return toe - np.einsum("tij,j->ti", self.foot_rot(s), OFF[LEG[s][3]])

    def rise_on_toes(self, s: str, pitch) -> None:
        """Add foot pitch about the (fixed) toe joint of the current, flat foot targets."""
        toe = self.toe_pos(s)
        self.foot_pitch[s] = self.foot_pitch[s] + np.broadcast_to(np.asarray(pitch, dtype=np.float64), (self.n,))
        self.foot[s] = self.toe_pivot(s, toe)

    def toe_pos(self, s: str) -> np.ndarray:
        return self.foot[s] + np.einsum("tij,j->ti", self.foot_rot(s), OFF[LEG[s][3]])

    def limit_height(self, margin: float = 0.985, masks: dict | None = None, soft: float = 0.015) -> np.ndarray:
        """Lower the pelvis (smooth minimum) wherever a leg could not reach its foot target.

        masks[side] in [0, 1] weights how much a foot's reach counts (1 = supporting).
        """
        rr = self.root_rot()
        lim = np.full(self.n, 10.0)
        for s in SIDES:
            hip_off = np.einsum("tij,j->ti", rr, OFF[LEG[s][0]])
            dxz = np.hypot(*(self.foot[s] - self.pos - hip_off)[:, [0, 2]].T)
            r = LEG_LEN[s] * margin
            reach = np.sqrt(np.maximum(r ** 2 - dxz ** 2, 0.0)) - 0.3 * np.maximum(dxz - r, 0.0)
            cap = self.foot[s][:, 1] + reach - hip_off[:, 1]
            if masks is not None:
                cap = cap + 0.6 * (1.0 - np.clip(np.asarray(masks[s]), 0.0, 1.0))
            lim = smin(lim, cap, soft)
        self.pos[:, 1] = smin(self.pos[:, 1], lim, soft)
        return lim

    def limit_height_smooth(self, masks: dict | None = None, sigma: float = 2.0, margin: float = 0.975) -> None:
        """Cap the pelvis height by leg reach, then smooth without re-introducing violations."""
        lim = self.limit_height(margin, masks, 0.01)
        y = gauss_smooth(self.pos[:, 1], sigma)
        r = int(np.ceil(2 * sigma))
        viol = np.maximum(y - lim + 0.003, 0.0)
        pad = np.pad(viol, r, mode="edge")
        dil = np.max(np.stack([pad[i:i + len(viol)] for i in range(2 * r + 1)]), 0)
        self.pos[:, 1] = y - gauss_smooth(dil, sigma) * 1.0
        self.pos[:, 1] = np.minimum(self.pos[:, 1], lim + 0.004)

    # --- solve ------------------------------------------------------
    def local_rotations(self) -> np.ndarray:
        n = self.n
        loc = np.tile(np.eye(3), (n, 22, 1, 1))
        root = self.root_rot()
        loc[:, 0] = root
        fr = (0.3, 0.35, 0.35)
        for j, f in zip((J["spine1"], J["spine2"], J["spine3"]), fr):
            loc[:, j] = euler(self.spine[:, 0] * f, self.spine[:, 1] * f, -self.spine[:, 2] * f)
        loc[:, J["neck"]] = euler(self.head[:, 0] * 0.4, self.head[:, 1] * 0.5, self.head[:, 2] * 0.5)
        loc[:, J["head"]] = euler(self.head[:, 0] * 0.6, self.head[:, 1] * 0.5, self.head[:, 2] * 0.5)
        for s in SIDES:
            c = self.collar[s]
            loc[:, ARM[s][0]] = rot("Z", SGN[s] * c[:, 0]) @ rot("Y", -SGN[s] * c[:, 1])
        # legs
        for s in SIDES:
            hip, knee, ankle, _ = LEG[s]
            hip_pos = self.pos + np.einsum("tij,j->ti", root, OFF[hip])
            hinge = to_world(np.stack([np.cos(SGN[s] * self.knee_out[s]), np.zeros(n),
                                       -np.sin(SGN[s] * self.knee_out[s])], -1), self.foot_yaw[s])
            lh, lk = two_bone(root, hip_pos, self.foot[s], hinge, OFF[knee], OFF[ankle], np.array([1.0, 0, 0]))
            loc[:, hip], loc[:, knee] = lh, lk
            loc[:, ankle] = np.swapaxes(root @ lh @ lk, -1, -2) @ self.foot_rot(s)
        # arms (need the chest's world transform)
        gp, gr = forward_kinematics(loc, self.pos, SKEL)
        chest = gr[:, J["spine3"]]
        for s in SIDES:
            col, sh, el, wr = ARM[s]
            col_rot = gr[:, col]
            sh_pos = gp[:, sh]
            if self.wrist_world[s]:
                target, pole = self.wrist[s], self.pole[s]
            else:
                target = sh_pos + np.einsum("tij,tj->ti", chest, self.wrist[s])
                pole = np.einsum("tij,tj->ti", chest, self.pole[s])
            t = target - sh_pos
            hinge = _norm(np.cross(pole, t))
            h_loc = _norm(np.cross(OFF[el], [0.0, 0.0, 1.0]))
            ls, le = two_bone(col_rot, sh_pos, target, hinge, OFF[el], OFF[wr], h_loc, 2.6)
            loc[:, sh], loc[:, el] = ls, le
            hd = self.hand[s]
            loc[:, wr] = euler(SGN[s] * hd[:, 2], SGN[s] * hd[:, 1], -SGN[s] * hd[:, 0])
        return loc

    def to_clip(self, name: str = "", text: str = "") -> MotionClip:
        loc = self.local_rotations()
        clip = MotionClip(self.fps, self.pos.copy(), matrix_to_axis_angle(loc), SKEL, name=name, text=text)
        clip.segments = [Segment(0.0, clip.duration, text, name)]
        return clip
