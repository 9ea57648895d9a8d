"""Resource limits for files a user opens: checked before anything large is read or allocated.

A motion file beyond these limits is refused with a one-line :class:`MotionFileError`
(an :class:`~app.core.errors.InvalidInputError`) instead of filling memory. The numbers are
generous for real capture: MAX_JOINT_FRAMES is 2.5 hours of SMPL-22 motion at 30 fps, or
10 minutes of a 100-joint BVH skeleton at 100 fps; a clip at that size takes about 2 GB while
it is retargeted.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MotionFileError

if TYPE_CHECKING:
    from .motion import MotionClip

MiB = 1 << 20
MAX_BVH_BYTES = 256 * MiB               # a BVH file on disk (text)
MAX_BVH_JOINTS = 1024                   # joints + end sites of one BVH hierarchy
MAX_JSON_BYTES = 64 * MiB               # a DeepMimic .json motion
MAX_GLTF_BYTES = 512 * MiB              # a .glb / .gltf file, and each buffer file it names
MAX_NPZ_BYTES = 1024 * MiB              # an .npz on disk
MAX_NPZ_UNCOMPRESSED_BYTES = 1024 * MiB  # all members of an .npz together, uncompressed (zip bombs)
MAX_NPZ_MEMBERS = 256                   # arrays in one .npz
MAX_JOINT_FRAMES = 6_000_000            # frames x joints of one motion (memory of the FK arrays)
MIN_FPS, MAX_FPS = 0.1, 10_000.0        # frame rates a motion file may declare
MAX_ABS_POSITION_M = 1e6                # joint positions, metres from the origin


def _size_text(n: float) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n / 1024:,.0f} KiB"


def check_file_size(path: str | Path, limit: int, kind: str) -> int:
    """The file's size in bytes; MotionFileError when it is over ``limit``."""
    size = os.stat(path).st_size
    if size > limit:
        raise MotionFileError(path, f"{kind} file of {_size_text(size)} is larger than the limit of "
                                    f"{_size_text(limit)}; refusing to load it")
    return size


def check_fps(fps: float, path: str | Path, what: str = "frame rate") -> float:
    """``fps`` when it lies in [MIN_FPS, MAX_FPS]; MotionFileError otherwise (NaN, 0, 1e300 ...)."""
    if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        raise MotionFileError(path, f"{what} {fps:g} fps, outside {MIN_FPS:g}-{MAX_FPS:g} fps")
    return float(fps)


def check_motion_size(frames: int, joints: int, path: str | Path) -> None:
    """MotionFileError when frames x joints is over MAX_JOINT_FRAMES."""
    if frames * max(joints, 1) > MAX_JOINT_FRAMES:
        raise MotionFileError(path, f"motion too long: {frames:,} frames x {joints} joints exceeds the limit of "
                                    f"{MAX_JOINT_FRAMES:,} joint-frames; cut it into shorter files")


def read_limited(path: str | Path, limit: int, kind: str) -> bytes:
    """The file's bytes after :func:`check_file_size`; OSError becomes MotionFileError."""
    try:
        check_file_size(path, limit, kind)
        return Path(path).read_bytes()
    except OSError as exc:
        raise MotionFileError(path, f"cannot read file ({exc.strerror or exc})") from None


def parse_json(raw: bytes | str, path: str | Path, kind: str) -> Any:
    """JSON from bytes or text; malformed, non-UTF-8 or absurdly nested JSON is a MotionFileError."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise MotionFileError(path, f"not a {kind} file (JSON nested too deeply)") from None
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise MotionFileError(path, f"not a {kind} file (invalid JSON: {first[:120]})") from None


def check_joints(clip: "MotionClip", path: str | Path) -> None:
    """MotionFileError when a loaded clip's joint positions overflow or lie absurdly far away
    (finite but huge rotations or translations in the file)."""
    with np.errstate(all="ignore"):
        reach = float(np.abs(clip.joints()).max())
    if not reach <= MAX_ABS_POSITION_M:
        raise MotionFileError(path, f"values out of range: joint positions reach {reach:g} m "
                                    f"(the limit is {MAX_ABS_POSITION_M:g} m)")
