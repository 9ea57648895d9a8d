"""Prompt-following predicates for the lower body, the arms and whole-body actions (registered
into :data:`.predicates.PREDICATES`; see that module for the conventions)."""
from __future__ import annotations

import numpy as np

from .kinematics import HEAD, NECK, OTHER, PELVIS, SIDE_J, Kin, count_events, smooth, zigzag
from .predicates import SIGN, Verdict, _r, count_ok, displacement, predicate

BOTH = ("left", "right")


def _sides(side: str | None) -> tuple[str, ...]:
    return BOTH if side in (None, "both") else (side,)


def _rel(k: Kin, side: str, a: str = "wri", b: str = "sho") -> np.ndarray:
    """Joint ``a`` minus joint ``b`` of one side in the per-frame body frame [T, 3] (left, up, fwd)."""
    return k.local[:, SIDE_J[side][a]] - k.local[:, SIDE_J[side][b]]


def _in_place(k: Kin, limit: float = 0.6) -> bool:
    fwd, lat = displacement(k)
    return bool(np.hypot(fwd, lat) < limit)


# ----------------------------------------------------------------------------- lower body
@predicate("squat")
def squat(k: Kin, count: int | None = None) -> Verdict:
    """Squats: the pelvis drops >= 0.2 m below standing and comes back (ends within 0.15 m),
    ``count`` dips +-1, feet in place (< 0.6 m)."""
    drop = k.stand - k.pelvis_h()
    n = count_events(drop, 0.2, 0.1)
    ok = count_ok(n, count) and drop[-3:].mean() < 0.15 and _in_place(k)
    return Verdict(ok, dict(dips=n, max_drop_m=_r(drop.max()), end_drop_m=_r(drop[-3:].mean())))


@predicate("crouch")
def crouch(k: Kin) -> Verdict:
    """Crouching low: the pelvis >= 0.25 m below standing for >= 0.3 s, feet in place."""
    low = (k.stand - k.pelvis_h()) >= 0.25
    return Verdict(bool(low.sum() >= 0.3 * k.fps and _in_place(k)), dict(low_s=_r(low.sum() / k.fps)))


@predicate("kneel")
def kneel(k: Kin) -> Verdict:
    """Kneeling: a knee comes within 0.15 m of the floor while the pelvis is >= 0.25 m low."""
    knee = np.minimum(k.y[:, SIDE_J["left"]["knee"]], k.y[:, SIDE_J["right"]["knee"]])
    low = (k.stand - k.pelvis_h()) >= 0.25
    ok = bool(np.any((knee < 0.15) & low))
    return Verdict(ok, dict(min_knee_m=_r(knee.min()), max_drop_m=_r((k.stand - k.pelvis_h()).max())))


@predicate("sit_floor")
def sit_floor(k: Kin) -> Verdict:
    """Sitting down on the floor: standing at the start (pelvis >= 75 % of standing height),
    pelvis < 0.4 m at the end."""
    p = k.pelvis_h()
    ok = p[:3].mean() >= 0.75 * k.stand and p[-3:].mean() < 0.4
    return Verdict(bool(ok), dict(start_m=_r(p[:3].mean()), end_m=_r(p[-3:].mean())))


@predicate("stand_up")
def stand_up(k: Kin) -> Verdict:
    """Getting up from the floor: pelvis < 0.45 m at the start, >= 80 % of standing at the end."""
    p = k.pelvis_h()
    ok = p[:3].mean() < 0.45 and p[-3:].mean() >= 0.8 * k.stand
    return Verdict(bool(ok), dict(start_m=_r(p[:3].mean()), end_m=_r(p[-3:].mean())))


@predicate("lunge")
def lunge(k: Kin, side: str = "right") -> Verdict:
    """Lunge: pelvis >= 0.12 m low while the named ankle is >= 0.35 m ahead of the other.
    named_moves: the named foot leads at the deepest point."""
    o = OTHER[side]
    lead = k.fixed[:, SIDE_J[side]["ankle"], 2] - k.fixed[:, SIDE_J[o]["ankle"], 2]
    drop = k.stand - k.pelvis_h()
    i = int(np.argmax(drop))
    ok = bool(np.any((drop >= 0.12) & (lead >= 0.35)))
    return Verdict(ok, dict(max_drop_m=_r(drop[i]), lead_at_low_m=_r(lead[i]), max_lead_m=_r(lead.max())),
                   named_moves=bool(lead[i] > 0.15))


@predicate("kick")
def kick(k: Kin, side: str = "right", count: int | None = None) -> Verdict:
    """Kick: the named ankle rises >= 0.4 m above the floor and >= 0.3 m above the other ankle
    (``count`` kicks +-1, re-armed under 0.25 m). named_moves: the named ankle's peak is
    >= 0.15 m higher than the other's."""
    a, b = k.y[:, SIDE_J[side]["ankle"]], k.y[:, SIDE_J[OTHER[side]]["ankle"]]
    n = count_events(np.where(a - b >= 0.3, a, 0.0), 0.4, 0.25)
    return Verdict(count_ok(n, count), dict(kicks=n, peak_m=_r(a.max()), other_peak_m=_r(b.max())),
                   named_moves=bool(a.max() > b.max() + 0.15))


@predicate("knee_raise")
def knee_raise(k: Kin, side: str | None = None, count: int | None = None) -> Verdict:
    """Knee raise: the knee comes up to within 0.15 m of hip height (thigh near level), ``count``
    +-1 per named knee. named_moves: the named knee rises >= 0.15 m higher than the other."""
    lifts, peaks = {}, {}
    for s in BOTH:
        rel = k.y[:, SIDE_J[s]["knee"]] - k.y[:, SIDE_J[s]["hip"]]
        lifts[s] = count_events(rel, -0.15, -0.3)
        peaks[s] = float(rel.max())
    ok = all(count_ok(lifts[s], count) for s in _sides(side))
    named = None if side in (None, "both") else peaks[side] > peaks[OTHER[side]] + 0.15
    return Verdict(ok, dict(lifts_l=lifts["left"], lifts_r=lifts["right"], peak_l=_r(peaks["left"]),
                            peak_r=_r(peaks["right"])), named_moves=named)


@predicate("calf_raise")
def calf_raise(k: Kin, count: int | None = None) -> Verdict:
    """Rising onto the toes: both ankles >= 0.05 m above their standing height while the toes stay
    down (< 0.06 m), ``count`` +-1."""
    a = np.minimum(k.y[:, 7], k.y[:, 8])
    toes = np.maximum(k.y[:, 10], k.y[:, 11])
    base = float(np.percentile(a, 10))
    n = count_events(np.where(toes < 0.06, a - base, 0.0), 0.05, 0.025)
    return Verdict(count_ok(n, count) and _in_place(k), dict(rises=n, max_rise_m=_r((a - base).max())))


# ----------------------------------------------------------------------------- arms
@predicate("wave")
def wave(k: Kin, side: str | None = "right", count: int | None = None) -> Verdict:
    """Wave: the named wrist above its shoulder for >= 25 % of the span, swinging side to side
    (>= 3 lateral moves of >= 6 cm while up; count: waves = moves/2, at least count-1), the
    other wrist below its shoulder >= 80 % of the time (one-handed). side None: either hand,
    'both': both. named_moves: the named wrist's peak is >= 0.2 m above the other's."""
    res, good = {}, {}
    for s in BOTH:
        rel = _rel(k, s)
        up = rel[:, 1] > 0.0
        moves = zigzag(rel[up, 0], 0.06) if up.sum() > 2 else 0
        res[s] = (float(up.mean()), moves, float(k.y[:, SIDE_J[s]["wri"]].max()))
        good[s] = res[s][0] >= 0.25 and moves >= 3 and (count is None or moves / 2 >= count - 1)
    ok = any(good.values()) if side is None else all(good[s] for s in _sides(side))
    named = None
    if side in BOTH:
        o = OTHER[side]
        ok = ok and float(np.mean(_rel(k, o)[:, 1] < 0.0)) >= 0.8
        named = res[side][2] > res[o][2] + 0.2
    vals = {f"{s[0]}_up": _r(v[0]) for s, v in res.items()} | {f"{s[0]}_swings": v[1] for s, v in res.items()}
    return Verdict(bool(ok), vals, named_moves=named)


@predicate("raise_arms")
def raise_arms(k: Kin, side: str | None = "both", direction: str = "up") -> Verdict:
    """Arms raised: 'up' = wrist above the head, 'forward' = wrist >= 0.4 m ahead of the shoulder
    within 0.25 m of its height, 'sideways' = >= 0.45 m outward; for >= 20 % of the span (all named
    arms together); one arm: the other stays below its shoulder >= 70 %."""
    hits = []
    for s in _sides(side):
        rel = _rel(k, s)
        if direction == "up":
            hits.append(k.y[:, SIDE_J[s]["wri"]] > k.y[:, HEAD])
        elif direction == "forward":
            hits.append((rel[:, 2] >= 0.4) & (np.abs(rel[:, 1]) < 0.25))
        else:
            hits.append(rel[:, 0] * SIGN[s] >= 0.45)
    share = float(np.mean(np.all(hits, axis=0)))
    ok, named = share >= 0.2, None
    if side in BOTH:
        down = float(np.mean(_rel(k, OTHER[side])[:, 1] < 0.0))
        ok, named = ok and down >= 0.7, down >= 0.7 and share >= 0.1
    return Verdict(bool(ok), dict(share=_r(share)), named_moves=named)


@predicate("clap")
def clap(k: Kin, count: int | None = None) -> Verdict:
    """Clapping: the wrists come within 0.12 m of each other and part again (> 0.2 m), ``count``
    +-1 (at least two claps), hands in front of the body."""
    d = np.linalg.norm(k.joints[:, 20] - k.joints[:, 21], axis=-1)
    n = count_events(-d, -0.12, -0.2)
    front = float(np.mean(k.local[d < 0.12][:, 20:22, 2])) if np.any(d < 0.12) else 0.0
    ok = n >= 2 and (count is None or abs(n - count) <= 1) and front > 0.05
    return Verdict(ok, dict(claps=n, min_dist_m=_r(d.min()), front_m=_r(front)))


@predicate("punch")
def punch(k: Kin, side: str | None = None, count: int | None = None) -> Verdict:
    """Punch: the named wrist reaches >= 0.45 m ahead of its shoulder (re-armed under 0.3 m; ahead in
    the pelvis frame or along the span's start heading, for side-on stances) at >= 1.5 m/s,
    ``count`` +-1. named_moves: the named arm reaches >= 5 cm further than the other."""
    ext = {s: np.maximum(_rel(k, s)[:, 2], k.fixed[:, SIDE_J[s]["wri"], 2] - k.fixed[:, SIDE_J[s]["sho"], 2])
           for s in BOTH}
    n = {s: count_events(ext[s], 0.45, 0.3) for s in BOTH}
    vmax = {s: float(k.joint_speed(SIDE_J[s]["wri"]).max()) for s in BOTH}
    ss = _sides(side)
    total = sum(n[s] for s in ss)
    ok = count_ok(total, count) and max(vmax[s] for s in ss) >= 1.5
    named = None if side not in BOTH else ext[side].max() > ext[OTHER[side]].max() + 0.05
    return Verdict(ok, dict(punches=total, reach_l=_r(ext["left"].max()), reach_r=_r(ext["right"].max()),
                            vmax=_r(max(vmax[s] for s in ss))), named_moves=named)


@predicate("throw")
def throw(k: Kin, side: str = "right") -> Verdict:
    """Overhand throw: the named wrist goes above its shoulder and whips at >= 3 m/s.
    named_moves: the named wrist rises >= 0.1 m higher (relative to its shoulder) than the other."""
    v = float(k.joint_speed(SIDE_J[side]["wri"]).max())
    hi = {s: float(_rel(k, s)[:, 1].max()) for s in BOTH}
    ok = hi[side] > 0.0 and v >= 3.0
    return Verdict(ok, dict(v_named=_r(v), high_named=_r(hi[side]), high_other=_r(hi[OTHER[side]])),
                   named_moves=hi[side] > hi[OTHER[side]] + 0.1)


@predicate("hand_to_head")
def hand_to_head(k: Kin, side: str = "right") -> Verdict:
    """A hand at the head (scratching, drinking, phoning): the named wrist within 0.32 m of the
    head joint for >= 0.5 s. named_moves: the other wrist is there less than half as long."""
    near = {s: np.linalg.norm(k.joints[:, SIDE_J[s]["wri"]] - k.joints[:, HEAD], axis=-1) < 0.32 for s in BOTH}
    t = {s: float(near[s].sum() / k.fps) for s in BOTH}
    return Verdict(t[side] >= 0.5, dict(named_s=_r(t[side]), other_s=_r(t[OTHER[side]])),
                   named_moves=t[OTHER[side]] < 0.5 * t[side])


@predicate("hands_on_hips")
def hands_on_hips(k: Kin) -> Verdict:
    """Both wrists within 0.25 m of pelvis height and 0.15-0.4 m out to the sides for >= 30 %."""
    on = np.ones(k.n, bool)
    for s in BOTH:
        w = k.local[:, SIDE_J[s]["wri"]]
        on &= (np.abs(w[:, 1]) < 0.25) & (w[:, 0] * SIGN[s] > 0.12) & (w[:, 0] * SIGN[s] < 0.45)
    return Verdict(float(on.mean()) >= 0.3, dict(share=_r(on.mean())))


@predicate("cross_arms")
def cross_arms(k: Kin) -> Verdict:
    """Folded arms: each wrist past the body midline (>= 5 cm) in front of the chest for >= 30 %."""
    lw, rw = k.local[:, 20], k.local[:, 21]
    on = (lw[:, 0] < -0.05) & (rw[:, 0] > 0.05) & (lw[:, 2] > 0.05) & (rw[:, 2] > 0.05) & (lw[:, 1] > 0.1)
    return Verdict(float(on.mean()) >= 0.3, dict(share=_r(on.mean())))


@predicate("arm_circles")
def arm_circles(k: Kin, side: str | None = "both", count: int | None = None) -> Verdict:
    """Arm circles: the wrist winds around its 1 s running mean (in the plane across the mean arm
    direction, radius >= 5 cm)
    at least twice (count-1). named_moves: the named wrist travels >= 1.5x as far as the other."""
    winds, path = {}, {}
    win = max(3, int(k.fps))
    for s in BOTH:
        w = _rel(k, s)
        c = w - smooth(w, win)  # the circle around the arm's slowly moving mean
        u = w.mean(0) / max(float(np.linalg.norm(w.mean(0))), 1e-6)  # circles are drawn around the arm
        e1 = np.cross(u, [0.0, 1.0, 0.0] if abs(u[1]) < 0.9 else [1.0, 0.0, 0.0])
        e1 /= np.linalg.norm(e1)
        p = np.stack([c @ e1, c @ np.cross(u, e1)], -1)
        r = np.linalg.norm(p, axis=-1)
        da = np.diff(np.unwrap(np.arctan2(p[:, 1], p[:, 0])))
        winds[s] = float(abs(np.sum(da[r[1:] > 0.03])) / (2 * np.pi)) if np.percentile(r, 75) >= 0.05 else 0.0
        path[s] = float(np.sum(np.linalg.norm(np.diff(w, axis=0), axis=-1)))
    ok = all(winds[s] >= max(2, (count or 2)) - 1 for s in _sides(side))
    named = None if side not in BOTH else path[side] >= 1.5 * path[OTHER[side]]
    return Verdict(ok, dict(winds_l=_r(winds["left"]), winds_r=_r(winds["right"])), named_moves=named)


# ----------------------------------------------------------------------------- whole body
@predicate("bow")
def bow(k: Kin) -> Verdict:
    """A bow: the neck goes >= 0.2 m ahead of the pelvis and >= 3 cm lower (world height), then
    back (< 60 % of the lean at the end), feet in place."""
    ahead = k.local[:, NECK, 2] - k.local[:3, NECK, 2].mean()
    drop = k.y[:3, NECK].mean() - k.y[:, NECK]
    i = int(np.argmax(ahead))
    ok = ahead[i] >= 0.2 and drop[i] >= 0.03 and ahead[-3:].mean() < 0.6 * ahead[i] and _in_place(k)
    return Verdict(bool(ok), dict(neck_ahead_m=_r(ahead[i]), neck_drop_m=_r(drop[i])))


@predicate("toe_touch")
def toe_touch(k: Kin) -> Verdict:
    """Touching the toes: both wrists below knee height at once, the pelvis not squatting (< 0.25 m low)."""
    low = (k.y[:, 20] < k.y[:, 4]) & (k.y[:, 21] < k.y[:, 5]) & ((k.stand - k.pelvis_h()) < 0.25)
    return Verdict(bool(low.any()), dict(low_s=_r(low.sum() / k.fps), min_wrist_m=_r(k.y[:, 20:22].min())))


@predicate("side_bend")
def side_bend(k: Kin, side: str | None = None) -> Verdict:
    """Side bend: the neck leans >= 0.12 m sideways from the pelvis (to the named side).
    named_moves: further to the named side than to the other."""
    lat = k.local[:, NECK, 0] - k.local[:3, NECK, 0].mean()
    to = {s: float(np.max(lat * SIGN[s])) for s in BOTH}
    ok = all(to[s] >= 0.12 for s in _sides(side))
    named = None if side not in BOTH else to[side] > to[OTHER[side]]
    return Verdict(ok, dict(to_left_m=_r(to["left"]), to_right_m=_r(to["right"])), named_moves=named)


@predicate("torso_twist")
def torso_twist(k: Kin) -> Verdict:
    """Torso twists: the shoulder line turns >= 25 deg against the hip line both ways, feet in place."""
    def ang(a, b):
        v = k.joints[:, a, [0, 2]] - k.joints[:, b, [0, 2]]
        return np.arctan2(v[:, 1], v[:, 0])
    tw = np.degrees(np.angle(np.exp(1j * (ang(16, 17) - ang(1, 2)))))
    ok = tw.max() >= 25 and tw.min() <= -25 and _in_place(k)
    return Verdict(bool(ok), dict(max_deg=_r(tw.max()), min_deg=_r(tw.min())))


@predicate("idle")
def idle(k: Kin) -> Verdict:
    """Standing still: drift < 0.3 m, pelvis within 0.12 m of standing, wrists below the shoulders,
    mean wrist speed < 0.3 m/s."""
    fwd, lat = displacement(k)
    v = float(np.mean([k.joint_speed(j).mean() for j in (20, 21)]))
    wr = float(np.max([_rel(k, s)[:, 1].max() for s in BOTH]))
    ok = np.hypot(fwd, lat) < 0.3 and np.all(np.abs(k.stand - k.pelvis_h()) < 0.12) and wr < 0.0 and v < 0.3
    return Verdict(bool(ok), dict(dist_m=_r(np.hypot(fwd, lat)), wrist_speed=_r(v), wrist_vs_shoulder_m=_r(wr)))


@predicate("dance")
def dance(k: Kin) -> Verdict:
    """Dancing: lively (mean joint speed >= 0.3 m/s), feet stepping (>= 3 strikes), ending within
    3 m of the start."""
    v = float(np.mean(np.linalg.norm(np.diff(k.joints, axis=0), axis=-1)) * k.fps)
    fwd, lat = displacement(k)
    ok = v >= 0.3 and k.steps() >= 3 and np.hypot(fwd, lat) < 3.0
    return Verdict(bool(ok), dict(joint_speed=_r(v), steps=k.steps(), dist_m=_r(np.hypot(fwd, lat))))


def pelvis_drop(k: Kin) -> float:
    """Deepest pelvis drop below standing in the span (m)."""
    return float((k.stand - k.y[:, PELVIS]).max())
