"""Body-frame kinematics of SMPL-22 joint arrays for the prompt-following predicates (numpy only).

A :class:`Kin` wraps joints [T, 22, 3] (metres, Y up) with the floor height and the standing
pelvis height measured on the whole clip, so a slice for one prompt span keeps both.
Coordinates are given in two body frames, both as (left, up, forward):

* ``fixed``: the body frame of the span's first frames (origin: pelvis on the floor);
* ``local``: each frame's own body frame, relative to the pelvis (for limbs vs torso).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PELVIS, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_TOE, R_TOE = 0, 1, 2, 4, 5, 7, 8, 10, 11
NECK, HEAD, L_SHO, R_SHO, L_ELB, R_ELB, L_WRI, R_WRI = 12, 15, 16, 17, 18, 19, 20, 21
SIDE_J = {  # side -> hip, knee, ankle, toe, shoulder, elbow, wrist
    "left": dict(hip=L_HIP, knee=L_KNEE, ankle=L_ANKLE, toe=L_TOE, sho=L_SHO, elb=L_ELB, wri=L_WRI),
    "right": dict(hip=R_HIP, knee=R_KNEE, ankle=R_ANKLE, toe=R_TOE, sho=R_SHO, elb=R_ELB, wri=R_WRI),
}
OTHER = {"left": "right", "right": "left"}
CONTACT_H = 0.06  # a foot whose lowest joint is this close to the floor touches it (m)


def smooth(x: np.ndarray, k: int = 3) -> np.ndarray:
    """Centred moving average along axis 0 (edges padded), to tame frame jitter."""
    if k <= 1 or len(x) < k:
        return x
    pad = [(k // 2, k - 1 - k // 2)] + [(0, 0)] * (x.ndim - 1)
    xp = np.pad(x, pad, mode="edge")
    c = np.cumsum(np.concatenate([np.zeros((1,) + x.shape[1:]), xp]), axis=0)
    return (c[k:] - c[:-k]) / k


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def left_axis(j: np.ndarray, shoulders: bool = True) -> np.ndarray:
    """Per-frame horizontal unit vector to the body's left [T, 3] (hips and shoulders, or the
    hips alone: the pelvis frame, which a punch's shoulder twist does not turn)."""
    a = (j[:, L_HIP] - j[:, R_HIP]) + float(shoulders) * (j[:, L_SHO] - j[:, R_SHO])
    a = a * np.array([1.0, 0.0, 1.0])
    return _unit(a)


def forward_axis(left: np.ndarray) -> np.ndarray:
    """Forward = left x up (Y up): left +X gives forward +Z."""
    return np.stack([-left[..., 2], np.zeros_like(left[..., 0]), left[..., 0]], -1)


def zigzag(x: np.ndarray, amp: float) -> int:
    """Number of monotone moves of at least ``amp`` in a 1-D signal (a swing is one move)."""
    if not len(x):
        return 0
    legs, d, ext = 0, 0, float(x[0])
    lo = hi = float(x[0])
    for v in map(float, x):
        if d == 0:
            lo, hi = min(lo, v), max(hi, v)
            if v - lo >= amp:
                legs, d, ext = 1, 1, v
            elif hi - v >= amp:
                legs, d, ext = 1, -1, v
        elif d * (v - ext) > 0:
            ext = v
        elif abs(v - ext) >= amp:
            legs, d, ext = legs + 1, -d, v
    return legs


def count_events(x: np.ndarray, hi: float, lo: float, min_gap: int = 1) -> int:
    """Rises of ``x`` above ``hi`` (hysteresis: re-armed once it falls below ``lo``)."""
    n, armed, last = 0, bool(len(x)) and x[0] < hi, -min_gap
    for i, v in enumerate(x):
        if armed and v > hi and i - last >= min_gap:
            n, armed, last = n + 1, False, i
        elif not armed and v < lo:
            armed = True
    return n


def runs(mask: np.ndarray) -> int:
    """Number of contiguous True runs."""
    m = np.asarray(mask, bool)
    return int(m[0]) + int(np.sum(m[1:] & ~m[:-1])) if len(m) else 0


@dataclass
class Kin:
    """Joints of one clip or span with the clip's floor and standing pelvis height."""

    joints: np.ndarray
    fps: float
    ground: float = 0.0
    stand: float = 0.9
    floor: dict = field(default_factory=dict)  # foot joint -> its height when planted (clip's 3rd percentile)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_joints(cls, joints: np.ndarray, fps: float) -> "Kin":
        j = smooth(np.asarray(joints, np.float64)[:, :22])
        lows = np.min(j[:, [L_ANKLE, R_ANKLE, L_TOE, R_TOE], 1], axis=1)
        ground = float(np.percentile(lows, 2))
        kin = cls(j, float(fps), ground, _standing_height(j, ground))
        kin.floor = {f: float(np.percentile(j[:, f, 1], 3)) for f in (L_ANKLE, R_ANKLE, L_TOE, R_TOE)}
        return kin

    @classmethod
    def from_clip(cls, clip) -> "Kin":
        return cls.from_joints(clip.joints(), clip.fps)

    def span(self, f0: int, f1: int) -> "Kin":
        f0, f1 = max(0, int(f0)), min(len(self.joints), int(f1))
        return Kin(self.joints[f0:max(f1, f0 + 2)], self.fps, self.ground, self.stand, self.floor)

    # --- basic facts
    @property
    def n(self) -> int:
        return len(self.joints)

    @property
    def seconds(self) -> float:
        return self.n / self.fps

    @property
    def y(self) -> np.ndarray:
        """Heights above the floor [T, 22]."""
        return self.joints[..., 1] - self.ground

    def pelvis_h(self) -> np.ndarray:
        return self.y[:, PELVIS]

    def foot_h(self, side: str) -> np.ndarray:
        """How far the foot is lifted: the lesser of ankle and toe height above their planted heights
        (the clip's 3rd percentile of each; without those, ankle less 5 cm and toe above the floor)."""
        s = SIDE_J[side]
        a, t = self.joints[:, s["ankle"], 1], self.joints[:, s["toe"], 1]
        fa = self.floor.get(s["ankle"], self.ground + 0.05)
        ft = self.floor.get(s["toe"], self.ground)
        return np.minimum(a - fa, t - ft)

    def contact(self, side: str) -> np.ndarray:
        return self.foot_h(side) < CONTACT_H

    # --- frames
    def _frame0(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if "f0" not in self._cache:
            k = min(self.n, 3)
            left = _unit(left_axis(self.joints[:k]).mean(0))
            o = self.joints[:k, PELVIS].mean(0) * np.array([1.0, 0.0, 1.0])
            self._cache["f0"] = (o, left, forward_axis(left))
        return self._cache["f0"]

    @property
    def fixed(self) -> np.ndarray:
        """Joints in the span-start body frame [T, 22, 3] as (left, height, forward)."""
        if "fixed" not in self._cache:
            o, left, fwd = self._frame0()
            d = self.joints - o
            self._cache["fixed"] = np.stack([d @ left, d[..., 1] - self.ground, d @ fwd], -1)
        return self._cache["fixed"]

    @property
    def local(self) -> np.ndarray:
        """Joints in each frame's own body frame relative to the pelvis [T, 22, 3] (left, up, forward)."""
        if "local" not in self._cache:
            left = left_axis(self.joints, shoulders=False)
            fwd = forward_axis(left)
            d = self.joints - self.joints[:, PELVIS:PELVIS + 1]
            self._cache["local"] = np.stack([np.einsum("tjk,tk->tj", d, left), d[..., 1],
                                             np.einsum("tjk,tk->tj", d, fwd)], -1)
        return self._cache["local"]

    def yaw(self) -> np.ndarray:
        """Unwrapped heading [T] in degrees, 0 at the span start; positive = turned to the left."""
        f = forward_axis(left_axis(self.joints))
        a = np.unwrap(np.arctan2(f[:, 0], f[:, 2]))
        return np.degrees(a - a[0])

    def root_speed(self) -> np.ndarray:
        """Horizontal pelvis speed [T-1] (m/s)."""
        d = np.diff(self.joints[:, PELVIS, [0, 2]], axis=0)
        return np.linalg.norm(d, axis=-1) * self.fps

    def joint_speed(self, j: int) -> np.ndarray:
        return np.linalg.norm(np.diff(self.joints[:, j], axis=0), axis=-1) * self.fps

    def pace(self, window_s: float = 0.5) -> float:
        """Travel speed while moving: 75th percentile of the horizontal pelvis speed over
        0.5 s windows (m/s; smooths out the stride and jitter)."""
        w = max(1, min(int(round(window_s * self.fps)), self.n - 1))
        p = self.joints[:, PELVIS, [0, 2]]
        v = np.linalg.norm(p[w:] - p[:-w], axis=-1) * self.fps / w
        return float(np.percentile(v, 75)) if len(v) else 0.0

    def cadence(self) -> float:
        """Foot strikes per second of moving time (pelvis faster than 0.3 m/s)."""
        moving = float(np.sum(self.root_speed() > 0.3)) / self.fps
        return self.steps() / moving if moving >= 0.5 else 0.0

    def steps(self) -> int:
        """Steps of both feet: lifts (> 2.5 cm) that move the foot >= 8 cm or lift it >= 6 cm."""
        n = 0
        for side in ("left", "right"):
            h = self.foot_h(side)
            xz = self.joints[:, SIDE_J[side]["ankle"]][:, [0, 2]]
            up = np.r_[False, h > 0.025, False]
            starts, ends = np.flatnonzero(~up[:-1] & up[1:]), np.flatnonzero(up[:-1] & ~up[1:])
            for a, b in zip(starts, ends):
                a0, b1 = max(a - 1, 0), min(b, self.n - 1)
                n += int(np.linalg.norm(xz[b1] - xz[a0]) >= 0.08 or h[a:b].max() >= 0.06)
        return n


def _standing_height(j: np.ndarray, ground: float) -> float:
    """Pelvis height of upright standing: frames with both knees straight and both feet down,
    else the leg length scaled as in SMPL's template (pelvis 1.12 leg lengths above the ankle)."""
    legs = []
    straight = np.ones(len(j), bool)
    for s in ("left", "right"):
        h, k, a = (j[:, SIDE_J[s][x]] for x in ("hip", "knee", "ankle"))
        u, v = _unit(h - k), _unit(a - k)
        straight &= np.einsum("tk,tk->t", u, v) < np.cos(np.radians(155))
        straight &= np.minimum(j[:, SIDE_J[s]["ankle"], 1] - 0.05, j[:, SIDE_J[s]["toe"], 1]) - ground < CONTACT_H
        legs.append(np.median(np.linalg.norm(h - k, axis=-1) + np.linalg.norm(k - a, axis=-1)))
    anat = 1.117 * float(np.mean(legs)) + 0.08
    if straight.sum() >= 5:
        return float(np.clip(np.median(j[straight, PELVIS, 1] - ground), 0.85 * anat, 1.05 * anat))
    return 0.97 * anat
