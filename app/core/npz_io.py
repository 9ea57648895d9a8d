"""NumPy .npz motion files: Action Studio's own format and SMPL/AMASS-style files.

Our format (``format == "action_studio_motion"``, ``format_version`` 1), Y up, metres:
  poses [T, 3J] local axis-angle, trans [T, 3] world pelvis position, betas [B] (empty
  when unknown), gender, mocap_framerate and fps, joints float32 [T, J, 3] world joint
  positions (always written, for tools that do not run FK), skeleton_offsets [J, 3],
  skeleton_parents [J], joint_names [J], segments (a JSON string), name, text.

SMPL/AMASS files (any npz without our marker): poses [T, 72 | 156 | >= 66], trans,
betas, gender, mocap_framerate (or mocap_frame_rate). AMASS is **Z up**: by default such
files are rotated to Y up (x, y, z) -> (x, z, -y). SMPL's ``trans`` excludes the rest
pelvis offset, so clip.trans = R @ (trans + J_pelvis) with the neutral template's pelvis
(body shape is not applied to the skeleton). :func:`save_smpl_npz` writes the inverse
(Z up by default, ``z_up=False`` keeps Y up; an ``up_axis`` key records it) with
poses [T, 72] (hand joints zero).

Everything is loaded with ``allow_pickle=False``; object arrays are refused.
"""
from __future__ import annotations

import json
import logging
import math
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

from .errors import MotionFileError
from .limits import (MAX_NPZ_BYTES, MAX_NPZ_MEMBERS, MAX_NPZ_UNCOMPRESSED_BYTES, MiB, check_file_size, check_fps,
                     check_motion_size)
from .motion import MotionClip, Segment
from .rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .skeleton import SMPL22_NAMES, SMPL22_PARENTS, SMPL22_REST_POSITIONS, Skeleton, smpl22_skeleton

log = logging.getLogger(__name__)

FORMAT_NAME = "action_studio_motion"
FORMAT_VERSION = 1
# Z-up (AMASS) -> Y-up: rotate -90 degrees about X
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The archive's arrays, after checking sizes and shapes against :mod:`.limits` (no pickles)."""
    if not path.exists():
        raise MotionFileError(path, "file does not exist")
    if path.is_dir():
        raise MotionFileError(path, "is a directory, not an npz file")
    try:
        check_file_size(path, MAX_NPZ_BYTES, "npz")
        with open(path, "rb") as fh:
            magic = fh.read(6)
        if magic == b"\x93NUMPY":
            raise MotionFileError(path, "not an npz archive (a single .npy array)")
        if not zipfile.is_zipfile(path):
            raise MotionFileError(path, "not a valid npz file (not a zip archive)")
        with zipfile.ZipFile(path) as zf:
            members = _checked_members(path, zf)
            return {info.filename[:-4]: _read_member(zf, info) for info in members}
    except MotionFileError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
            struct.error, SyntaxError, tokenize.TokenError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, (SyntaxError, tokenize.TokenError)):
            first = "malformed array header"
        raise MotionFileError(path, f"not a valid npz file ({first[:200]})") from None


def _checked_members(path: Path, zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The .npy members, refused before reading when they are too many, too large or lie about their size."""
    infos = [i for i in zf.infolist() if i.filename.endswith(".npy") and not i.is_dir()]
    if len(zf.infolist()) > MAX_NPZ_MEMBERS:
        raise MotionFileError(path, f"{len(zf.infolist())} members in the archive; the limit is {MAX_NPZ_MEMBERS}")
    total = sum(i.file_size for i in infos)
    if total > MAX_NPZ_UNCOMPRESSED_BYTES:
        raise MotionFileError(path, f"the arrays unpack to {total / MiB:,.0f} MiB, over the limit of "
                                    f"{MAX_NPZ_UNCOMPRESSED_BYTES / MiB:,.0f} MiB; refusing to load it")
    for info in infos:
        with zf.open(info) as f:
            version = npformat.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = npformat.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = npformat.read_array_header_2_0(f)
            else:
                raise MotionFileError(path, f"array {info.filename[:-4]!r} has unsupported .npy version {version}")
        if dtype.hasobject:
            raise MotionFileError(path, "contains pickled objects; refusing to load")
        if math.prod(shape) * dtype.itemsize > info.file_size:
            raise MotionFileError(path, f"array {info.filename[:-4]!r} claims shape {list(shape)}, more than the "
                                        f"{info.file_size} bytes it holds (truncated or malformed)")
    return infos


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with zf.open(info) as f:
        return npformat.read_array(f, allow_pickle=False)


def _scalar_str(arr: np.ndarray | None, default: str = "") -> str:
    if arr is None:
        return default
    a = np.asarray(arr)
    if a.dtype.kind == "S":
        return a.reshape(-1)[0].decode("utf-8", "replace") if a.size else default
    return str(a.reshape(-1)[0]) if a.size else default


def _float(arr: np.ndarray | None, path: Path, key: str) -> float:
    try:
        val = float(np.asarray(arr).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise MotionFileError(path, f"'{key}' is not a number") from None
    return check_fps(val, path, f"'{key}'")


def _check_motion(path: Path, poses: np.ndarray, trans: np.ndarray, min_cols: int) -> None:
    if poses.dtype.kind not in "fiu" or trans.dtype.kind not in "fiu":
        raise MotionFileError(path, "poses/trans must be numeric arrays")
    if poses.ndim != 2 or poses.shape[1] < min_cols:
        raise MotionFileError(path, f"poses must be [T, >={min_cols}], got {list(poses.shape)}")
    if trans.shape != (poses.shape[0], 3):
        raise MotionFileError(path, f"trans must be [{poses.shape[0]}, 3], got {list(trans.shape)}")
    if poses.shape[0] == 0:
        raise MotionFileError(path, "the motion has zero frames")
    check_motion_size(poses.shape[0], max(1, poses.shape[1] // 3), path)
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise MotionFileError(path, "the motion contains NaN or infinite values")


# --------------------------------------------------------------------------- our format
def save_npz(clip: MotionClip, path: str | Path) -> None:
    """Write ``clip`` in Action Studio's npz format (no pickles)."""
    path = Path(path)
    try:
        clip.validate()
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from None
    skel = clip.skeleton
    arrays = {
        "format": np.array(FORMAT_NAME), "format_version": np.array(FORMAT_VERSION),
        "poses": clip.rotations.reshape(clip.num_frames, -1).astype(np.float64),
        "trans": clip.trans.astype(np.float64),
        "betas": np.zeros(0) if clip.betas is None else clip.betas.astype(np.float64),
        "gender": np.array(clip.gender), "mocap_framerate": np.array(float(clip.fps)),
        "fps": np.array(float(clip.fps)), "joints": clip.joints().astype(np.float32),
        "skeleton_offsets": skel.offsets.astype(np.float64),
        "skeleton_parents": np.array(skel.parents, dtype=np.int64),
        "joint_names": np.array(skel.names, dtype=str),
        "segments": np.array(json.dumps([s.to_dict() for s in clip.segments])),
        "name": np.array(clip.name), "text": np.array(clip.text),
    }
    try:
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    except OSError as exc:
        raise MotionFileError(path, f"cannot write file ({exc.strerror or exc})") from None


def load_npz(path: str | Path, z_up: bool | None = None) -> MotionClip:
    """Load our npz or an SMPL/AMASS npz (``z_up``: None = AMASS default Z up for foreign files)."""
    path = Path(path)
    data = _read_arrays(path)
    if _scalar_str(data.get("format")) == FORMAT_NAME:
        return _load_ours(path, data)
    if z_up is None:  # our SMPL exports say which axis is up; AMASS files are Z up
        z_up = _scalar_str(data.get("up_axis"), "z").lower() != "y"
    return _load_smpl(path, data, z_up)


def _load_ours(path: Path, data: dict[str, np.ndarray]) -> MotionClip:
    required = ("poses", "trans", "skeleton_offsets", "joint_names")
    missing = [k for k in required if k not in data]
    if missing:
        raise MotionFileError(path, f"missing keys: {', '.join(missing)}")
    names = tuple(str(n) for n in data["joint_names"].reshape(-1))
    n_j = len(names)
    poses, trans = data["poses"], data["trans"]
    _check_motion(path, poses, trans, 3 * n_j)
    if poses.shape[1] != 3 * n_j:
        raise MotionFileError(path, f"poses have {poses.shape[1]} columns, expected {3 * n_j}")
    try:
        parents = (tuple(int(p) for p in data["skeleton_parents"].reshape(-1)) if "skeleton_parents" in data
                   else SMPL22_PARENTS)
        skel = Skeleton(names, parents, data["skeleton_offsets"])
        segs = [Segment.from_dict(d) for d in json.loads(_scalar_str(data.get("segments"), "[]"))]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MotionFileError(path, f"bad skeleton or segments ({exc})") from None
    betas = data.get("betas")
    fps = _float(data.get("fps", data.get("mocap_framerate")), path, "fps")
    return MotionClip(fps, trans, poses.reshape(len(poses), n_j, 3), skel,
                      None if betas is None or betas.size == 0 else betas, _scalar_str(data.get("gender"), "neutral"),
                      segs, _scalar_str(data.get("name")), _scalar_str(data.get("text")))


def _load_smpl(path: Path, data: dict[str, np.ndarray], z_up: bool) -> MotionClip:
    missing = [k for k in ("poses", "trans") if k not in data]
    if missing:
        raise MotionFileError(path, f"not a motion npz (missing keys: {', '.join(missing)})")
    poses, trans = data["poses"], data["trans"]
    _check_motion(path, poses, trans, 66)
    rate = data.get("mocap_framerate", data.get("mocap_frame_rate"))
    if rate is None:
        raise MotionFileError(path, "missing 'mocap_framerate'")
    fps = _float(rate, path, "mocap_framerate")
    rots = poses[:, :66].astype(np.float64).reshape(-1, 22, 3)
    pelvis = trans.astype(np.float64) + SMPL22_REST_POSITIONS[0]
    if z_up:
        rots = rots.copy()
        rots[:, 0] = matrix_to_axis_angle(Z_UP_TO_Y_UP @ axis_angle_to_matrix(rots[:, 0]))
        pelvis = pelvis @ Z_UP_TO_Y_UP.T
    betas = data.get("betas")
    betas = None if betas is None or betas.dtype.kind not in "fiu" or betas.size == 0 else betas.reshape(-1)
    return MotionClip(fps, pelvis, rots, smpl22_skeleton(), betas, _scalar_str(data.get("gender"), "neutral"),
                      name=path.stem)


def save_smpl_npz(clip: MotionClip, path: str | Path, z_up: bool = True) -> None:
    """Write an AMASS-style npz (poses [T, 72], trans, betas, gender, mocap_framerate), Z up by default."""
    path = Path(path)
    if clip.skeleton.names != SMPL22_NAMES:
        raise MotionFileError(path, "SMPL export needs an SMPL-22 clip")
    try:
        clip.validate()
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from None
    rots = clip.rotations.copy()
    pelvis = clip.trans.copy()
    if z_up:
        rots[:, 0] = matrix_to_axis_angle(Z_UP_TO_Y_UP.T @ axis_angle_to_matrix(rots[:, 0]))
        pelvis = pelvis @ Z_UP_TO_Y_UP
    poses = np.zeros((clip.num_frames, 72))
    poses[:, :66] = rots.reshape(clip.num_frames, 66)
    betas = np.zeros(10) if clip.betas is None else clip.betas
    try:
        with open(path, "wb") as fh:
            np.savez(fh, poses=poses, trans=pelvis - SMPL22_REST_POSITIONS[0], betas=betas,
                     gender=np.array(clip.gender), mocap_framerate=np.array(float(clip.fps)),
                     up_axis=np.array("z" if z_up else "y"))
    except OSError as exc:
        raise MotionFileError(path, f"cannot write file ({exc.strerror or exc})") from None
