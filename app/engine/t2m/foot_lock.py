"""Foot locking: pin each foot while it is in ground contact, with two-bone leg IK.

Contacts: the toe joint (SMPL 10/11) is within ``height`` of the floor (the foot-skate metric's
criterion).  During each contact run of >= 2 frames the toe's horizontal position is pinned to
the run's mean; the correction fades out over ``blend`` frames on both sides.  A run whose toe
travels too far to be pinned to one place (a frame farther than ``MAX_PULL`` from the run's mean:
feet sliding apart in the low hops of a jumping jack) is several contacts: it is split at its fastest
step until each piece fits (:func:`contact_runs`), and where two pieces meet the toe steps from one
pinned place to the next, lifted clear of the contact height (:func:`_cross_fade`).  The ankle target
is the original ankle shifted by that correction; hip and knee rotations are solved with an
analytic two-bone IK (knee bent in its current plane), and the ankle's local rotation is set so
the foot keeps its original world orientation (so heel raises and toe rolls survive).
Restricted to a span (``frames``), a contact crossing a seam is pinned where the untouched frame
beside the seam has the toe, so a planted foot stays planted across the seam.

Skating before / after is the evaluator's ``foot_skate_ratio`` (GMD / OmniControl: the share of frame
transitions where a toe below 5 cm in both frames slides more than 2.5 cm at 20 fps), re-exported here.
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip
from app.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_between
from app.core.skeleton import global_to_local
from app.engine.evaluator.metrics import CONTACT_HEIGHT, foot_skate_ratio

__all__ = ["CONTACT_HEIGHT", "contact_corrections", "foot_lock", "foot_skate_ratio", "two_bone_ik"]

LEGS = ((1, 4, 7, 10), (2, 5, 8, 11))   # hip, knee, ankle, toe (left, right) on SMPL-22
MAX_PULL = 0.12  # metres: the longest horizontal correction of a planted toe
STEP_FAST, MAX_LIFT = 0.02, 0.06  # metres per frame: a toe step that must clear the ground; the highest lift
SUPPORT = 0.03   # metres: a toe higher than this above the floor is not bearing weight (one_foot_down)


def _capped(delta: np.ndarray, limit: float) -> np.ndarray:
    """Rows of `delta` [n, d] scaled down to a norm of at most `limit`."""
    norm = np.linalg.norm(delta, axis=-1, keepdims=True)
    return delta * np.minimum(1.0, limit / np.maximum(norm, 1e-12))


def _runs(mask: np.ndarray, min_len: int = 2) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate(np.append(mask, False)):
        if m and start is None:
            start = i
        elif not m and start is not None:
            if i - start >= min_len:
                out.append((start, i))
            start = None
    return out


def contact_runs(toe: np.ndarray, contact: np.ndarray, limit: float = MAX_PULL) -> list[tuple[int, int]]:
    """Contact runs [s, e) of the toe [T, 3] (>= 2 frames), each split at its fastest horizontal step while
    some frame lies farther than ``limit`` from its mean; the pieces of one run stay adjacent."""
    out, todo = [], _runs(contact)
    while todo:
        s, e = todo.pop()
        xz = toe[s:e, [0, 2]]
        if e - s < 2 or np.linalg.norm(xz - xz.mean(0), axis=-1).max() <= limit:
            out.append((s, e))
            continue
        k = s + 1 + int(np.argmax(np.linalg.norm(np.diff(xz, axis=0), axis=-1)))   # first frame after the step
        todo += [(s, k), (k, e)]
    return sorted(out)


def _cross_fade(delta: np.ndarray, toe: np.ndarray, runs: list[tuple[int, int]], blend: int, max_pull: float,
                frames: tuple[int, int], lift_to: float) -> None:
    """Where two pieces of a split run meet, step the pinned place from one to the next (smoothstep over up to
    ``blend`` frames each side, inside ``frames``) instead of jumping, lifting the toe on a sine arc so one
    end of every step faster than ``STEP_FAST`` (the one higher on the arc) clears ``lift_to`` (a step, not a slide;
    at most ``MAX_LIFT``); edits ``delta`` in place."""
    for (s1, e1), (s2, e2) in zip(runs, runs[1:]):
        lo, hi = max(s1, e1 - blend, frames[0]), min(e2, s2 + blend, frames[1])
        if e1 != s2 or hi - lo < 3:
            continue
        a, b = toe[lo, [0, 2]] + delta[lo, [0, 2]], toe[hi - 1, [0, 2]] + delta[hi - 1, [0, 2]]
        x = (np.arange(lo, hi) - lo) / (hi - 1 - lo)
        s = x * x * (3 - 2 * x)
        delta[lo:hi, [0, 2]] = _capped((1 - s[:, None]) * a + s[:, None] * b - toe[lo:hi, [0, 2]], max_pull)
        step = np.linalg.norm(np.diff(toe[lo:hi, [0, 2]] + delta[lo:hi, [0, 2]], axis=0), axis=-1)
        arc = np.sin(np.pi * x)
        lifted = [k if arc[k] >= arc[k + 1] else k + 1 for k in np.nonzero(step > STEP_FAST)[0]]
        if not lifted:   # a slow move: no lift needed
            continue
        need = np.maximum(lift_to - toe[lo:hi, 1], 0.0)[lifted] / np.maximum(arc[lifted], 1e-3)
        delta[lo:hi, 1] = arc * min(float(need.max()), MAX_LIFT)


def one_foot_down(deltas: list[np.ndarray], toes: list[np.ndarray], floor: float | None = None) -> None:
    """Where the two toes' lifts (``_cross_fade``) overlap in time (both feet slid together in contact: a
    shuffle, not a gait), drop the whole lift arc of the toe that travels less in the overlap, so the lock never
    makes a hop (that foot slides instead); with ``floor``, also drop a lift arc of the support foot (the lower
    toe while the other is more than ``SUPPORT`` above the floor: a blend at a seam with the other foot still
    rising), which would lift the body's lowest point; edits ``deltas`` [T, 3] in place."""
    arcs = [_runs(d[:, 1] > 0, min_len=1) for d in deltas]
    for s0, e0 in arcs[0]:
        for s1, e1 in arcs[1]:
            lo, hi = max(s0, s1), min(e0, e1)
            if hi <= lo or deltas[0][s0, 1] <= 0 or deltas[1][s1, 1] <= 0:   # no overlap, or one arc already dropped
                continue
            a = max(lo - 1, 0)
            travel = [np.linalg.norm(np.diff(t[a:hi, [0, 2]] + d[a:hi, [0, 2]], axis=0), axis=-1).sum()
                      for t, d in zip(toes, deltas)]
            k, (s, e) = (0, (s0, e0)) if travel[0] < travel[1] else (1, (s1, e1))
            deltas[k][s:e, 1] = 0.0
    if floor is None:
        return
    for k in (0, 1):   # the support foot: the other toe is off the floor, so lifting this one would float the body
        o = 1 - k
        for s, e in _runs(deltas[k][:, 1] > 0, min_len=1):
            other = toes[o][s:e, 1] + deltas[o][s:e, 1] - floor
            own = toes[k][s:e, 1] - floor
            if np.any((deltas[k][s:e, 1] > 0.01) & (other > SUPPORT) & (own < other)):
                deltas[k][s:e, 1] = 0.0


def contact_corrections(toe: np.ndarray, height: float = CONTACT_HEIGHT, blend: int = 4,
                        floor: float = 0.0, keep: tuple[int, int] | None = None,
                        max_pull: float = MAX_PULL) -> np.ndarray:
    """Horizontal corrections [T, 3] pinning the toe during contact runs, faded over `blend` frames.

    keep: only frames [f0, f1) may change (span regeneration).  A contact run crossing a seam is
    pinned where the toe is in the untouched frame beside the seam, so the planted foot does not
    jump there; runs entirely outside are left alone.
    """
    t = len(toe)
    delta = np.zeros((t, 3))
    weight = np.zeros(t)
    contact = toe[:, 1] < floor + height
    f0, f1 = keep if keep is not None else (0, t)
    runs = contact_runs(toe, contact, max_pull)
    for s, e in runs:
        if e <= f0 or s >= f1:
            continue
        if s < f0 and e > f1:  # one contact across the whole span: slide from one seam to the other
            k = np.clip((np.arange(s, e) - (f0 - 1)) / max(1, f1 - f0 + 1), 0.0, 1.0)[:, None]
            delta[s:e, [0, 2]] = _capped((1 - k) * toe[f0 - 1, [0, 2]] + k * toe[f1, [0, 2]] - toe[s:e, [0, 2]],
                                         max_pull)
            weight[s:e] = 1.0
            continue
        anchor = toe[f0 - 1, [0, 2]] if s < f0 else toe[f1, [0, 2]] if e > f1 else toe[s:e, [0, 2]].mean(0)
        delta[s:e, [0, 2]] = _capped(anchor - toe[s:e, [0, 2]], max_pull)
        weight[s:e] = 1.0
        for k in range(1, blend + 1):  # fade in before / out after, never over another contact
            w = 1.0 - k / (blend + 1)
            for f, ref in ((s - k, s), (e - 1 + k, e - 1)):
                if 0 <= f < t and not contact[f] and w > weight[f]:
                    delta[f] = delta[ref] * w
                    weight[f] = w
    _cross_fade(delta, toe, runs, blend, max_pull, (f0, f1), floor + height + 0.01)
    return delta


def two_bone_ik(a: np.ndarray, b: np.ndarray, c: np.ndarray, target: np.ndarray, bend_axis: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (R1 about the knee, Q about the hip) moving ankle c onto target.

    a, b, c, target: [N, 3] hip, knee, ankle, target; bend_axis [N, 3] fallback knee axis.
    New upper-leg rotation = Q @ R_hip, new lower-leg rotation = Q @ R1 @ R_knee.
    """
    l1 = np.linalg.norm(b - a, axis=-1)
    l2 = np.linalg.norm(c - b, axis=-1)
    d = np.clip(np.linalg.norm(target - a, axis=-1), np.abs(l1 - l2) + 1e-4, l1 + l2 - 1e-4)
    want = np.arccos(np.clip((l1 ** 2 + l2 ** 2 - d ** 2) / (2 * l1 * l2), -1, 1))
    u, v = a - b, c - b
    cur = np.arccos(np.clip((u * v).sum(-1) / np.maximum(l1 * l2, 1e-9), -1, 1))
    n = np.cross(b - a, c - b)
    nn = np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.where(nn > 1e-6, n / np.maximum(nn, 1e-9), bend_axis / np.linalg.norm(bend_axis, axis=-1, keepdims=True))
    best_r, best_err = None, None
    for sign in (1.0, -1.0):
        r1 = axis_angle_to_matrix(n * (sign * (cur - want))[:, None])
        c1 = b + np.einsum("nij,nj->ni", r1, v)
        err = np.abs(np.linalg.norm(c1 - a, axis=-1) - d)
        if best_r is None:
            best_r, best_err, best_c = r1, err, c1
        else:
            pick = err < best_err
            best_r = np.where(pick[:, None, None], r1, best_r)
            best_c = np.where(pick[:, None], c1, best_c)
            best_err = np.minimum(err, best_err)
    q = rotation_between(best_c - a, target - a)
    return best_r, q


def foot_lock(clip: MotionClip, height: float = CONTACT_HEIGHT, blend: int = 4,
              frames: tuple[int, int] | None = None, floor: float | None = 0.0) -> tuple[MotionClip, dict]:
    """A copy of `clip` with feet pinned during contact; info has skate ratios before/after.

    frames: restrict changes to [f0, f1) (span regeneration keeps other frames bit-exact).
    floor: ground height (y = 0 in the world convention); None = min(0, lowest joint).
    """
    if not clip.is_smpl22() or clip.num_frames < 3:
        return clip.copy(), {"skate_before": 0.0, "skate_after": 0.0, "locked_frames": 0}
    joints, glob = clip.global_transforms()
    before = foot_skate_ratio(joints, clip.fps)
    f0, f1 = frames if frames is not None else (0, clip.num_frames)
    if floor is None:
        floor = min(0.0, float(joints[..., 1].min()))
    new_glob = glob.copy()
    locked = 0
    deltas = [contact_corrections(joints[:, leg[3]], height, blend, floor, keep=frames) for leg in LEGS]
    # the support-foot rule only where a span is spliced (its seam blends); whole clips are locked as judged (L6)
    one_foot_down(deltas, [joints[:, leg[3]] for leg in LEGS], floor if frames is not None else None)
    for (hip, knee, ankle, toe), delta in zip(LEGS, deltas):
        delta[:f0] = 0.0
        delta[f1:] = 0.0
        idx = np.nonzero(np.linalg.norm(delta, axis=-1) > 1e-6)[0]
        if len(idx) == 0:
            continue
        locked += len(idx)
        r1, q = two_bone_ik(joints[idx, hip], joints[idx, knee], joints[idx, ankle],
                            joints[idx, ankle] + delta[idx], glob[idx, knee][:, :, 0])
        new_glob[idx, hip] = q @ glob[idx, hip]
        new_glob[idx, knee] = q @ r1 @ glob[idx, knee]
    local = global_to_local(new_glob, clip.skeleton.parents)
    out = clip.copy()
    changed = np.zeros(clip.num_frames, bool)
    changed[f0:f1] = True
    legs = [j for leg in LEGS for j in leg[:3]]
    rot = out.rotations.copy()
    rot[np.ix_(changed, legs)] = matrix_to_axis_angle(local[np.ix_(changed, legs)])
    out.rotations = rot
    after = foot_skate_ratio(out.joints(), clip.fps)
    return out, {"skate_before": before, "skate_after": after, "locked_frames": locked}
