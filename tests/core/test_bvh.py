"""BVH reading (any skeleton, bad input) and SMPL-22 writing round trips."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.bvh import parse_bvh, read_bvh, write_bvh
from app.core.errors import MotionFileError
from app.core.motion import MotionClip
from app.core.motion_io import load_motion
from app.core.rotations import euler_to_matrix

SMALL = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Yrotation Xrotation Zrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
  JOINT Leg
  {
    OFFSET 3 -2 0
    CHANNELS 1 Xrotation
    End Site
    {
      OFFSET 0 -5 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
1 2 3 0 0 0 0 0 0 0
1 2 4 90 0 0 0 90 0 0
"""


def test_parse_small_file_layout_and_fk():
    b = parse_bvh(SMALL)
    assert b.joint_names == ["Hips", "Chest", "Leg"]
    assert b.names == ["Hips", "Chest", "Chest_End", "Leg", "Leg_End"]
    assert b.parents == [-1, 0, 1, 0, 3]
    assert list(b.end_site) == [False, False, True, False, True]
    assert b.channels[0][3:] == ("Zrotation", "Xrotation", "Yrotation") and b.channels[3] == ("Xrotation",)
    assert b.num_channels == 10 and b.fps == 25.0 and b.motion.shape == (2, 10)
    pos, rot = b.global_transforms()
    np.testing.assert_allclose(pos[0, 2], [1, 17, 3], atol=1e-9)  # chest end site at rest
    np.testing.assert_allclose(pos[1, 1], [1 - 10, 2, 4], atol=1e-9)  # root turned 90 deg about Z
    np.testing.assert_allclose(rot[1, 1], euler_to_matrix(np.array([90.0, 0, 0]), "ZXY")
                               @ euler_to_matrix(np.array([0, 90.0, 0]), "YXZ"), atol=1e-9)


def test_read_bvh_max_frames(tmp_path):
    p = tmp_path / "a.bvh"
    p.write_text(SMALL)
    assert read_bvh(p).num_frames == 2 and read_bvh(p, max_frames=1).num_frames == 1


BAD_CASES = {
    "truncated": lambda s: s[: s.index("JOINT Leg")],
    "no_motion": lambda s: s[: s.index("MOTION")],
    "count": lambda s: s.replace("Frames: 2", "Frames: 3"),
    "nonnumeric": lambda s: s.replace("1 2 4 90", "1 2 x 90"),
    "nan": lambda s: s.replace("1 2 4 90", "1 2 nan 90"),
    "zero": lambda s: s[: s.index("Frames:")] + "Frames: 0\nFrame Time: 0.04\n",
    "short_row": lambda s: s.replace("1 2 4 90 0 0 0 90 0 0", "1 2 4 90 0 0 0 90 0"),
    "bad_channel": lambda s: s.replace("CHANNELS 1 Xrotation", "CHANNELS 1 Wrotation"),
    "unbalanced": lambda s: s.replace("}\nMOTION", "MOTION"),
    "empty": lambda s: "",
    "not_bvh": lambda s: "hello world\n",
    "frame_time": lambda s: s.replace("Frame Time: 0.04", "Frame Time: -1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_bvh_raises_one_line_error(case, tmp_path):
    p = tmp_path / f"{case}.bvh"
    p.write_text(BAD_CASES[case](SMALL))
    with pytest.raises(MotionFileError) as err:
        load_motion(p)
    msg = str(err.value)
    assert msg.startswith(f"{case}.bvh: ") and "\n" not in msg


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(MotionFileError, match="does not exist"):
        read_bvh(tmp_path / "nope.bvh")
    with pytest.raises(MotionFileError, match="directory"):
        load_motion(tmp_path)


def _smpl_clip(n=12, seed=1):
    rng = np.random.default_rng(seed)
    rots = rng.normal(scale=0.4, size=(n, 22, 3))
    trans = np.cumsum(rng.normal(scale=0.02, size=(n, 3)), 0) + [0, 0.95, 0]
    return MotionClip(30.0, trans, rots)


@pytest.mark.parametrize("order", ["ZYX", "ZXY"])
def test_smpl22_bvh_round_trip(order, tmp_path):
    clip = _smpl_clip()
    p = tmp_path / "smpl.bvh"
    write_bvh(clip, p, order=order)
    text = p.read_text()
    assert f"CHANNELS 3 {order[0]}rotation {order[1]}rotation {order[2]}rotation" in text
    back = load_motion(p, face_forward=False, on_ground=False)
    assert back.fps == 30.0 and back.num_frames == clip.num_frames and back.is_smpl22()
    np.testing.assert_allclose(back.joints(), clip.joints(), atol=1e-5)
    np.testing.assert_allclose(back.skeleton.offsets[1:], clip.skeleton.offsets[1:], atol=1e-6)
    # bvh is written in centimetres
    assert read_bvh(p).motion[0, 1] == pytest.approx(clip.trans[0, 1] * 100, abs=1e-4)


def test_write_rejects_nan_clip(tmp_path):
    clip = _smpl_clip()
    clip.trans[3, 0] = np.nan
    with pytest.raises(MotionFileError, match="NaN"):
        write_bvh(clip, tmp_path / "x.bvh")
    assert not (tmp_path / "x.bvh").exists()
