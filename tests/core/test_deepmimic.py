"""DeepMimic reader: synthetic frames (always) and the real clips in ../shared (when present)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.core.deepmimic import (FRAME_SIZE, frames_to_motion, load_deepmimic, loop_cycles, read_deepmimic_frames,
                                repeat_cycles, uniform_frames)
from app.core.errors import MotionFileError
from app.core.skeleton import SMPL22_NAMES

DM = Path(__file__).resolve().parents[3] / "shared" / "data" / "motion" / "deepmimic"
J = {n: i for i, n in enumerate(SMPL22_NAMES)}


def rest_frames(n: int = 3, dt: float = 1 / 30) -> np.ndarray:
    f = np.zeros((n, FRAME_SIZE))
    f[:, 0] = dt
    f[:, 2] = 0.9
    for col in (4, 8, 12, 16, 21, 25, 30, 35, 39):
        f[:, col] = 1.0  # identity quaternions
    return f


def test_rest_frame_stands_with_arms_down_facing_plus_z():
    j = frames_to_motion(rest_frames()).joints()[0]
    assert j[J["left_hip"], 0] > 0.05 > -0.05 > j[J["right_hip"], 0]  # left is +X
    for side in ("left", "right"):
        assert j[J[f"{side}_wrist"], 1] < j[J[f"{side}_shoulder"], 1] - 0.45  # arms hang down
        assert j[J[f"{side}_ankle"], 1] < j[J["pelvis"], 1] - 0.8
        assert j[J[f"{side}_foot"], 2] > j[J[f"{side}_ankle"], 2] + 0.05  # toes point forward (+Z)
    assert j[J["head"], 1] > j[J["neck"], 1] > j[J["spine3"], 1] > j[J["pelvis"], 1]


def test_knee_and_elbow_hinges_bend_the_right_way():
    f = rest_frames()
    f[:, 20] = -1.2  # right knee (DeepMimic limits: [-3.14, 0])
    f[:, 43] = 1.2   # left elbow ([0, 3.14])
    j = frames_to_motion(f).joints()[0]
    assert j[J["right_ankle"], 2] < j[J["right_knee"], 2] - 0.2  # shin swings backward
    assert j[J["left_wrist"], 2] > j[J["left_elbow"], 2] + 0.15  # forearm swings forward


def test_repeat_cycles_continues_from_the_end_of_each_cycle():
    f = rest_frames(11)
    f[:, 1] = np.linspace(0.0, 1.0, 11)  # DeepMimic +X = forward
    clip = frames_to_motion(f)
    rep = repeat_cycles(clip, 3)
    assert rep.num_frames == 30
    step = np.diff(rep.trans[:, 2])
    assert np.allclose(step, 0.1, atol=1e-9)  # no jump back at the seams


def test_uniform_frames_retimes_an_odd_duration():
    f = rest_frames(5, 0.02)
    f[2, 0] = 0.04
    f[:, 1] = [0.0, 0.02, 0.04, 0.08, 0.10]  # constant speed 1 m/s
    out = uniform_frames(f)
    assert np.allclose(out[:-1, 0], 0.02) and len(out) == 6
    assert np.allclose(np.diff(out[:, 1]), 0.02)


def test_bad_file_is_a_one_line_error(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text(json.dumps({"Loop": "none", "Frames": [[0.1, 1.0, 2.0]]}))
    with pytest.raises(MotionFileError, match="bad.txt"):
        load_deepmimic(p)


@pytest.mark.skipif(not DM.exists(), reason="needs ../shared DeepMimic clips")
def test_real_walk_is_upright_grounded_and_walks_forward():
    path = DM / "humanoid3d_walk.txt"
    frames, loop, _ = read_deepmimic_frames(path)
    assert loop == "wrap" and loop_cycles(frames, loop, 4.0) == 4
    clip = load_deepmimic(path, fps=20, min_duration=4.0)
    j = clip.joints()
    assert clip.fps == 20 and 3.9 < clip.duration < 5.5
    assert (j[:, J["head"], 1] - j[:, J["pelvis"], 1] > 0.45).all()  # upright
    feet = j[:, [J["left_foot"], J["right_foot"], J["left_ankle"], J["right_ankle"]], 1].min(axis=1)
    assert abs(j[..., 1].min()) < 1e-9 and np.median(feet) < 0.03  # a foot on the ground
    travel = clip.trans[-1] - clip.trans[0]
    assert travel[2] > 3.0 and abs(travel[0]) < 0.5  # walks forward along +Z, about 1 m/s
    assert abs(clip.facing_angle(0)) < 1e-6
    speed = np.linalg.norm(np.diff(j, axis=0), axis=-1).max() * clip.fps
    assert speed < 8.0  # no pops at the loop seams


@pytest.mark.skipif(not DM.exists(), reason="needs ../shared DeepMimic clips")
def test_real_clips_all_load_upright_at_some_point():
    for path in sorted(DM.glob("humanoid3d_*.txt")):
        if "crawl" in path.name:  # a low crawl: never upright
            continue
        clip = load_deepmimic(path, fps=20)
        j = clip.joints()
        assert np.isfinite(j).all()
        assert (j[:, J["head"], 1] - j[:, J["pelvis"], 1]).max() > 0.4, path.name
