"""Procedural atoms: validity, foot contact physics, smoothness, joint limits, semantics, text."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from app.engine.corpus import ATOMS, describe, families, generate, sample_params
from app.engine.corpus.pose_kit import ARM, OFF, STAND_Y, Body

FEET = (7, 10, 8, 11)
FOOT_BASE = np.array([0.0559, 0.0, 0.0482, 0.0])  # flat-foot heights of ankle, toe (left), ankle, toe (right)
_CACHE: dict = {}


def clip_of(name: str, fps: float = 20.0):
    if (name, fps) not in _CACHE:
        _CACHE[(name, fps)] = generate(name, rng=np.random.default_rng(7), fps=fps)
    return _CACHE[(name, fps)]


def contact_phases(clip, height: float = 0.025, speed: float = 0.3):
    """Per foot joint, (start, stop) frame ranges where it is low and slow."""
    j = clip.joints()
    y = j[:, FEET, 1]
    level = float(ATOMS[clip.name].defaults().get("height", 0.0)) if ATOMS[clip.name].platform else 0.0
    base = FOOT_BASE + level * (y > level * 0.5)
    v = np.linalg.norm(np.diff(j[:, FEET], axis=0), axis=-1) * clip.fps
    v = np.concatenate([v[:1], v])
    c = (y < base + height) & (v < speed)
    out = []
    for k in range(len(FEET)):
        f = np.flatnonzero(np.diff(np.concatenate([[0], c[:, k].astype(int), [0]])))
        out += [(k, a, b) for a, b in zip(f[::2], f[1::2])]
    return out


def max_sliding(clip) -> float:
    j = clip.joints()
    worst = 0.0
    for k, a, b in contact_phases(clip):
        p = j[a:b, FEET[k]][:, [0, 2]]
        worst = max(worst, float(np.linalg.norm(p - p[0], axis=-1).max()))
    return worst


def neutral_pose() -> np.ndarray:
    j = Body(0.1).to_clip().joints()[0]
    return j - j[0]


def heading_local(clip, frame: int) -> np.ndarray:
    j = clip.joints()[frame] - clip.trans[frame]
    a = -clip.facing_angle(frame)
    c, s = np.cos(a), np.sin(a)
    return j @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])


def test_registry_has_many_atoms_in_all_families():
    assert len(ATOMS) >= 40
    fam = families()
    for f in ("locomotion", "jumps", "lower", "upper", "whole"):
        assert len(fam.get(f, [])) >= 3, f
    for name in ("walk", "jog", "run", "walk_backward", "side_step", "turn", "walk_circle", "stop", "jump",
                 "jump_forward", "hop", "jumping_jacks", "squat", "lunge", "kick", "knee_raise", "kneel", "sit_down",
                 "stand_up", "crouch", "step_up", "wave", "raise_arms", "clap", "punch", "throw", "reach_forward",
                 "point", "bow", "stretch", "shrug", "look_around", "check_watch", "drink", "spin", "dance",
                 "stumble", "idle"):
        assert name in ATOMS, name


@pytest.mark.parametrize("name", sorted(ATOMS))
def test_atom_is_valid_and_physical(name):
    spec = ATOMS[name]
    clip = clip_of(name)
    clip.validate()
    assert 1.0 <= clip.duration <= 10.0
    assert clip.segments[0].label == name and clip.text
    j = clip.joints()
    # starts / ends near the neutral standing pose (unless on the floor)
    ref = neutral_pose()
    for frame, pose in ((0, spec.start), (-1, spec.end)):
        if pose == "stand":
            d = np.linalg.norm(heading_local(clip, frame) - ref, axis=-1)
            assert d.max() < 0.12, (frame, d.max())
            assert abs(clip.trans[frame, 1] - STAND_Y) < 0.05
    # ground contact: no penetration, no sliding while planted
    assert j[..., 1].min() > -0.01
    assert max_sliding(clip) < 0.02
    # no floating: a foot near the ground (or the step) whenever the atom is not airborne
    if not spec.airborne:
        lowest = j[:, FEET, 1].min(axis=1)
        assert lowest.max() < 0.03 + spec.platform
    # smooth rotations: bounded angular velocity and acceleration (rad/s, rad/s^2 at 20 fps)
    r = axis_angle_to_matrix(clip.rotations)
    w = matrix_to_axis_angle(np.swapaxes(r[:-1], -1, -2) @ r[1:]) * clip.fps
    assert np.linalg.norm(w, axis=-1).max() < 40.0  # throws and punches are fast
    assert (np.linalg.norm(np.diff(w, axis=0), axis=-1) * clip.fps).max() < 1000.0
    # joint limits: knees and elbows bend only one way and not too far
    for knee in (4, 5):
        flex = clip.rotations[:, knee] @ np.array([1.0, 0, 0])
        assert flex.min() > -0.02 and flex.max() < 2.7
    for side in ("left", "right"):
        el = ARM[side][2]
        hinge = np.cross(OFF[el], [0.0, 0.0, 1.0])
        flex = clip.rotations[:, el] @ (hinge / np.linalg.norm(hinge))
        assert flex.min() > -0.02 and flex.max() < 2.7


@pytest.mark.parametrize("name", ["walk", "jog", "run", "walk_circle", "turn"])
def test_locomotion_sliding_at_30fps(name):
    assert max_sliding(clip_of(name, 30.0)) < 0.02


def test_walk_speed_and_cadence_plausible():
    clip = generate("walk", {"speed": 1.3, "steps": 10}, np.random.default_rng(1))
    n = clip.num_frames
    a, b = n // 3, 2 * n // 3
    v = np.linalg.norm(clip.trans[b, [0, 2]] - clip.trans[a, [0, 2]]) / ((b - a) / clip.fps)
    assert 1.1 < v < 1.5
    # step frequency from left-ankle contact onsets
    onsets = [p for p in contact_phases(clip) if p[0] == 0]
    dt = np.diff([p[1] for p in onsets]) / clip.fps
    steps_per_s = 2.0 / np.median(dt)
    assert 1.6 < steps_per_s < 2.2
    run = generate("run", {"speed": 4.0}, np.random.default_rng(1))
    k = run.num_frames
    vr = np.linalg.norm(run.trans[2 * k // 3, [0, 2]] - run.trans[k // 3, [0, 2]]) / ((k // 3) / run.fps)
    assert 3.3 < vr < 4.8


@pytest.mark.parametrize("side,sign", [("right", -1.0), ("left", 1.0)])
def test_wave_raises_the_requested_hand(side, sign):
    clip = generate("wave", {"side": side}, np.random.default_rng(0))
    j = clip.joints()[clip.num_frames // 2]
    wrist, shoulder = (21, 17) if side == "right" else (20, 16)
    other = 20 if side == "right" else 21
    assert j[wrist, 1] > j[shoulder, 1] + 0.1
    assert np.sign(j[wrist, 0]) == sign
    assert j[other, 1] < j[shoulder - 2 * 0, 1] - 0.3  # the other hand stays down


def test_turn_and_jump_do_what_they_say():
    t = generate("turn", {"side": "left", "angle": 90.0}, np.random.default_rng(0))
    turned = np.degrees(t.facing_angle(t.num_frames - 1) - t.facing_angle(0))
    assert 75 < turned < 105
    jmp = generate("jump", {"height": 0.3, "reps": 1}, np.random.default_rng(0))
    feet = jmp.joints()[:, FEET, 1].min(axis=1)
    assert feet.max() > 0.2
    sit = generate("sit_down", rng=np.random.default_rng(0))
    assert sit.trans[-1, 1] < 0.3


def test_descriptions_vary_and_mention_parameters():
    rng = np.random.default_rng(0)
    texts = {describe("wave", {"side": "left", "reps": 3, "speed": "slow"}, rng) for _ in range(30)}
    assert len(texts) >= 5
    assert all("left" in t for t in texts)
    assert any("three" in t for t in texts)
    assert all("right" in describe("turn", {"side": "right", "angle": 90.0}, rng) for _ in range(10))
    for name in ATOMS:
        p = sample_params(name, rng)
        assert len({describe(name, p, np.random.default_rng(i)).split(" ", 2)[-1] for i in range(40)}) >= 3, name
        for k, v in p.items():
            assert ATOMS[name].params[k].check(v) == v


def test_unknown_parameter_rejected():
    with pytest.raises(ValueError):
        generate("walk", {"nope": 1})


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("reps", [2, 4])
def test_wave_swings_side_to_side_above_the_shoulder(side, reps):
    clip = generate("wave", {"side": side, "reps": reps}, np.random.default_rng(1))
    j = clip.joints()
    sh, wr = (17, 21) if side == "right" else (16, 20)
    osh, owr = (16, 20) if side == "right" else (17, 21)
    rel = j[:, wr] - j[:, sh]
    up = rel[:, 1] > 0.05
    assert up.mean() > 0.4 and 0.1 < rel[:, 1].max() < 0.35
    assert (j[:, owr, 1] - j[:, osh, 1]).max() < -0.3  # the other hand stays down
    idx = np.where(up)[0]
    x, z = rel[idx[0]:idx[-1] + 1, 0], rel[idx[0]:idx[-1] + 1, 2]
    xd = x - np.median(x)
    assert np.ptp(x) > 0.15 and np.ptp(z) < 0.5 * np.ptp(x)  # lateral, not forwards and back
    swings = sum(1 for i in range(1, len(xd) - 1) if xd[i] >= xd[i - 1] and xd[i] > xd[i + 1] and abs(xd[i]) > 0.05)
    assert swings >= reps - 1
    assert np.sign(np.median(x)) == (-1.0 if side == "right" else 1.0)  # hand beside its own shoulder


@pytest.mark.parametrize("side", ["right", "left"])
def test_punch_extends_the_requested_arm_straight_ahead(side):
    clip = generate("punch", {"side": side, "reps": 1}, np.random.default_rng(2))
    j = clip.joints()
    sh, wr = (17, 21) if side == "right" else (16, 20)
    osh, owr = (16, 20) if side == "right" else (17, 21)
    arm = sum(np.linalg.norm(OFF[k]) for k in ARM[side][2:])
    d = np.linalg.norm(j[:, wr] - j[:, sh], axis=1)
    i = int(d.argmax())
    assert d[i] > 0.97 * arm  # full extension (|wrist - shoulder| cannot exceed the ~0.51 m arm)
    assert j[:, wr, 2].max() - j[0, sh, 2] >= 0.55  # fist reach ahead of the guard-stance shoulder
    assert abs(j[i, wr, 1] - j[i, sh, 1]) < 0.1 and abs(j[i, wr, 0] - j[i, sh, 0]) < 0.12
    assert (j[:, owr, 2] - j[:, osh, 2]).max() < 0.35  # the other fist stays in guard


@pytest.mark.parametrize("speed", ["slow", "normal", "fast"])
def test_punches_at_every_speed_pass_the_punch_predicate(speed):
    """Each rep straightens the arm (a brief lock at full extension): fast punches peaked at a
    0.40 m reach before session 24 and failed the prompt benchmark's own punch check."""
    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    for side in ("left", "right"):
        clip = generate("punch", {"side": side, "reps": 3, "speed": speed}, np.random.default_rng(5))
        v = evaluate("punch", Kin.from_clip(clip), side=side, count=3)
        assert v.ok and v.named_moves, v.values
        assert v.values[f"reach_{side[0]}"] >= 0.48


@pytest.mark.parametrize("reps", [1, 3])
def test_toe_touch_hands_reach_below_the_knees_with_straight_legs(reps):
    """The bent trunk brings both wrists below the knees (they stopped at 0.85 m, arms forward, before);
    the legs stay nearly straight (the pelvis drops a few cm, not a squat) and the feet stay planted."""
    clip = generate("toe_touch", {"reps": reps}, np.random.default_rng(reps))
    j = clip.joints()
    low = (j[:, 20, 1] < j[:, 4, 1]) & (j[:, 21, 1] < j[:, 5, 1])
    assert low.sum() / clip.fps > 0.3 * reps
    assert j[:, 20:22, 1].min() < 0.35
    assert j[0, 0, 1] - j[:, 0, 1].min() < 0.12
    assert np.ptp(j[:, [7, 8]][..., [0, 2]], axis=0).max() < 0.03


@pytest.mark.parametrize("atom,params,pred,kw", [
    ("bow", {"depth": 0.55, "speed": "fast"}, "bow", {}),                      # the shallowest bow drawn
    ("march", {"steps": 14, "knee_height": 0.29}, "march", {}),                # the lowest knees drawn
    ("arm_circles", {"side": "left", "reps": 8, "speed": "fast"}, "arm_circles", {"side": "left", "count": 8}),
    ("arm_circles", {"side": "both", "reps": 3, "speed": "slow"}, "arm_circles", {"side": "both", "count": 3}),
])
def test_atoms_at_the_ends_of_their_ranges_pass_their_predicates(atom, params, pred, kw):
    """Session 25 audit over the corpus's own draws (not only defaults): bows under 0.55 rad (neck < 0.2 m
    ahead), marches under 0.28 m of clearance (knee never 0.12 m up) and 0.3 rad arm circles (winds
    counted 25-45 % short) failed their prompt predicates, so the model learned those as the action."""
    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    v = evaluate(pred, Kin.from_clip(generate(atom, params, np.random.default_rng(3))), **kw)
    assert v.ok, v.values


def test_a_share_of_turns_are_whole_half_turns():
    """``Param.at_high``: 30 % of drawn turns are exactly 180 degrees (the corpus had 10 % at >= 160),
    and the draw still takes one number from the stream."""
    rng, twin = np.random.default_rng(0), np.random.default_rng(0)
    angles = [ATOMS["turn"].params["angle"].sample(rng) for _ in range(2000)]
    twin.uniform(size=2000)
    assert rng.uniform() == twin.uniform()
    assert 0.25 < np.mean(np.array(angles) == 180.0) < 0.35
    assert 45.0 <= min(angles) and max(angles) == 180.0
