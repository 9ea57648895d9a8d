"""BVH motion files: a robust reader for any skeleton and a writer for SMPL-22 clips.

Reading keeps the file's own units and axes; :mod:`app.core.retarget` turns a
:class:`BvhData` into a :class:`~app.core.motion.MotionClip` on the SMPL-22 skeleton.
End sites are stored as extra joints (named ``<parent>_End``, no channels) so
forward kinematics covers them too.

Channel conventions: rotation channels are applied in the order listed
(``Zrotation Xrotation Yrotation`` gives ``R = Rz @ Rx @ Ry``, degrees). A joint with
position channels gets ``offset + channels`` as its local translation when the
channel values look like displacements from the offset (iClone style), and the
channel values alone when they look absolute (CMU/Mixamo style); see
:func:`_position_mode`.

Writing: :func:`write_bvh` stores an SMPL-22 clip in **centimetres** (root with 6
channels, the others with 3, Euler order ``ZYX`` or ``ZXY``) and a root OFFSET of 0.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MotionFileError
from .limits import MAX_BVH_BYTES, MAX_BVH_JOINTS, check_file_size, check_fps, check_motion_size
from .motion import MotionClip
from .rotations import axis_angle_to_matrix, euler_to_matrix, matrix_to_euler

log = logging.getLogger(__name__)

END_SUFFIX = "_End"
_ROT = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
_POS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}
WRITE_UNITS_PER_METRE = 100.0  # write_bvh writes centimetres


@dataclass
class BvhData:
    """A parsed BVH file (file units, file axes).

    names/parents/offsets cover joints and end sites (``end_site[j]`` is True for
    the latter); ``channels[j]`` lists joint j's channel names; ``motion`` is [T, C].
    """

    names: list[str]
    parents: list[int]
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    end_site: np.ndarray
    frame_time: float
    motion: np.ndarray
    path: str = "<memory>"
    total_frames: int = 0  # frames announced by the header (motion may hold fewer if truncated on purpose)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def num_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    @property
    def fps(self) -> float:
        fps = 1.0 / self.frame_time
        return float(round(fps)) if abs(fps - round(fps)) < 1e-3 else fps

    @property
    def joint_names(self) -> list[str]:
        """Names of the real joints (end sites left out)."""
        return [n for n, e in zip(self.names, self.end_site) if not e]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def channel_starts(self) -> list[int]:
        starts, c = [], 0
        for ch in self.channels:
            starts.append(c)
            c += len(ch)
        return starts

    def rest_positions(self) -> np.ndarray:
        """Joint positions with every channel at zero (file units), [J, 3]."""
        pos = np.zeros((len(self.names), 3))
        for j, p in enumerate(self.parents):
            pos[j] = self.offsets[j] if p < 0 else pos[p] + self.offsets[j]
        return pos

    def local_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Local rotations [T, J, 3, 3] and local translations [T, J, 3] (file units)."""
        t, nj = self.num_frames, len(self.names)
        rot = np.broadcast_to(np.eye(3), (t, nj, 3, 3)).copy()
        trans = np.broadcast_to(self.offsets, (t, nj, 3)).copy()
        for j, (start, chans) in enumerate(zip(self.channel_starts(), self.channels)):
            if not chans:
                continue
            vals = self.motion[:, start:start + len(chans)]
            rcols = [i for i, c in enumerate(chans) if c in _ROT]
            if rcols:
                order = "".join(_ROT[chans[i]] for i in rcols)
                rot[:, j] = euler_to_matrix(vals[:, rcols], order)
            pcols = [(i, _POS[c]) for i, c in enumerate(chans) if c in _POS]
            if pcols:
                pos = np.zeros((t, 3))
                for i, axis in pcols:
                    pos[:, axis] = vals[:, i]
                if _position_mode(pos, self.offsets[j]) == "offset":
                    pos = pos + self.offsets[j]
                trans[:, j] = pos
        return rot, trans

    def global_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """World positions [T, J, 3] (file units) and world rotations [T, J, 3, 3]."""
        lrot, ltrans = self.local_transforms()
        grot = np.empty_like(lrot)
        gpos = np.empty_like(ltrans)
        for j, p in enumerate(self.parents):
            if p < 0:
                grot[:, j], gpos[:, j] = lrot[:, j], ltrans[:, j]
            else:
                grot[:, j] = grot[:, p] @ lrot[:, j]
                gpos[:, j] = gpos[:, p] + np.einsum("tij,tj->ti", grot[:, p], ltrans[:, j])
        return gpos, grot


def _position_mode(values: np.ndarray, offset: np.ndarray) -> str:
    """'offset' when channel positions are displacements added to OFFSET, else 'absolute'."""
    off = float(np.linalg.norm(offset))
    if off < 1e-9:
        return "absolute"
    mean = values.mean(axis=0)
    return "absolute" if np.linalg.norm(mean - offset) < np.linalg.norm(mean) else "offset"


# --------------------------------------------------------------------------- reading
def read_bvh(path: str | Path, max_frames: int | None = None) -> BvhData:
    """Parse a BVH file; ``max_frames`` reads only the first frames (faster previews/tests).

    Raises MotionFileError naming the file and the problem for any malformed input.
    """
    path = Path(path)
    if not path.exists():
        raise MotionFileError(path, "file does not exist")
    if path.is_dir():
        raise MotionFileError(path, "is a directory, not a BVH file")
    try:
        check_file_size(path, MAX_BVH_BYTES, "BVH")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MotionFileError(path, f"cannot read file ({exc.strerror or exc})") from None
    return parse_bvh(text, str(path), max_frames)


def parse_bvh(text: str, path: str = "<memory>", max_frames: int | None = None) -> BvhData:
    """Parse BVH text (see :func:`read_bvh`)."""
    parts = re.split(r"^[ \t]*MOTION[ \t]*\r?$", text, maxsplit=1, flags=re.M)
    head, sep, tail = parts[0], len(parts) > 1, parts[-1] if len(parts) > 1 else ""
    if not text.strip():
        raise MotionFileError(path, "file is empty")
    if "HIERARCHY" not in head:
        raise MotionFileError(path, "not a BVH file (no HIERARCHY section)")
    if not sep:
        raise MotionFileError(path, "missing MOTION section")
    names, parents, offsets, channels, ends = _parse_hierarchy(head, path)
    n_frames, frame_time, motion = _parse_motion(tail, sum(len(c) for c in channels), len(names), path, max_frames)
    return BvhData(names, parents, np.array(offsets, dtype=np.float64).reshape(-1, 3), channels,
                   np.array(ends, dtype=bool), frame_time, motion, path, n_frames)


def _parse_hierarchy(head: str, path: str):
    tokens = head.split()
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    ends: list[bool] = []
    stack: list[int] = []
    pending: int | None = None  # joint declared, waiting for '{'
    i = tokens.index("HIERARCHY") + 1
    roots = 0

    def fail(msg: str) -> MotionFileError:
        return MotionFileError(path, f"malformed HIERARCHY: {msg}")

    def add(name: str, is_end: bool) -> int:
        if len(names) >= MAX_BVH_JOINTS:
            raise fail(f"more than {MAX_BVH_JOINTS} joints")
        parent = stack[-1] if stack else -1
        names.append(name)
        parents.append(parent)
        offsets.append([0.0, 0.0, 0.0])
        channels.append(())
        ends.append(is_end)
        return len(names) - 1

    while i < len(tokens):
        tok = tokens[i]
        if tok in ("ROOT", "JOINT"):
            if i + 1 >= len(tokens):
                raise fail(f"{tok} without a name")
            if tok == "ROOT":
                roots += 1
                if roots > 1 or stack:
                    raise fail("more than one ROOT")
            elif not stack:
                raise fail(f"JOINT {tokens[i + 1]} outside ROOT")
            if stack and ends[stack[-1]]:
                raise fail("End Site cannot have children")
            pending = add(tokens[i + 1], False)
            i += 2
        elif tok == "End":
            if i + 1 >= len(tokens) or tokens[i + 1] != "Site" or not stack:
                raise fail("bad End Site")
            pending = add(names[stack[-1]] + END_SUFFIX, True)
            i += 2
        elif tok == "{":
            if pending is None:
                raise fail("unexpected '{'")
            stack.append(pending)
            pending = None
            i += 1
        elif tok == "}":
            if not stack:
                raise fail("unbalanced '}'")
            stack.pop()
            i += 1
        elif tok == "OFFSET":
            if not stack:
                raise fail("OFFSET outside a joint")
            try:
                vals = [float(v) for v in tokens[i + 1:i + 4]]
            except ValueError:
                raise fail(f"non-numeric OFFSET of {names[stack[-1]]}") from None
            if len(vals) != 3 or not all(math.isfinite(v) for v in vals):
                raise fail(f"bad OFFSET of {names[stack[-1]]}")
            offsets[stack[-1]] = vals
            i += 4
        elif tok == "CHANNELS":
            if not stack or ends[stack[-1]]:
                raise fail("CHANNELS outside a joint")
            try:
                n = int(tokens[i + 1])
            except (ValueError, IndexError):
                raise fail(f"bad CHANNELS count of {names[stack[-1]]}") from None
            chans = tuple(tokens[i + 2:i + 2 + n])
            if not 0 <= n <= 6 or len(chans) != n or any(c not in _ROT and c not in _POS for c in chans):
                raise fail(f"bad CHANNELS of {names[stack[-1]]}: {' '.join(chans[:8])}")
            channels[stack[-1]] = chans
            i += 2 + n
        else:
            raise fail(f"unexpected token {tok!r}")
    if stack or pending is not None:
        raise fail("unbalanced braces (file truncated?)")
    if not names:
        raise fail("no ROOT joint")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[0]
        raise fail(f"duplicate joint name {dup!r}")
    return names, parents, offsets, channels, ends


def _parse_motion(tail: str, n_channels: int, n_joints: int, path: str, max_frames: int | None):
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise MotionFileError(path, "MOTION section lacks 'Frames:' and 'Frame Time:'")
    try:
        key, _, val = lines[0].partition(":")
        if key.strip() != "Frames":
            raise ValueError
        n_frames = int(val)
        key, _, val = lines[1].partition(":")
        if key.strip() != "Frame Time":
            raise ValueError
        frame_time = float(val)
    except ValueError:
        raise MotionFileError(path, "MOTION header must be 'Frames: N' then 'Frame Time: dt'") from None
    if n_frames <= 0:
        raise MotionFileError(path, "the motion has zero frames")
    if not (math.isfinite(frame_time) and frame_time > 0):
        raise MotionFileError(path, f"invalid frame time {frame_time}")
    check_fps(1.0 / frame_time, path, f"frame time {frame_time:g} s gives a frame rate of")
    rows = lines[2:]
    if len(rows) != n_frames:
        raise MotionFileError(path, f"frame count mismatch: header says {n_frames}, file has {len(rows)}")
    if max_frames is not None:
        rows = rows[:max(1, int(max_frames))]
    check_motion_size(len(rows), n_joints, path)
    split = [r.split() for r in rows]
    for k, vals in enumerate(split):
        if len(vals) != n_channels:
            raise MotionFileError(path, f"frame {k} has {len(vals)} values, expected {n_channels}")
    try:
        motion = np.array(split, dtype=np.float64).reshape(len(rows), n_channels)
    except ValueError:
        raise MotionFileError(path, "non-numeric value in MOTION data") from None
    if not np.isfinite(motion).all():
        bad = int(np.argwhere(~np.isfinite(motion))[0, 0])
        raise MotionFileError(path, f"NaN or infinite value in frame {bad}")
    return n_frames, frame_time, motion


# --------------------------------------------------------------------------- writing
def write_bvh(clip: MotionClip, path: str | Path, order: str = "ZYX") -> None:
    """Write an SMPL-22 (or any tree) clip as BVH in centimetres with ``order`` Euler channels."""
    order = order.upper()
    if order not in ("ZYX", "ZXY"):
        raise ValueError("order must be 'ZYX' or 'ZXY'")
    path = Path(path)
    try:
        clip.validate()
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from None
    skel = clip.skeleton
    scale = WRITE_UNITS_PER_METRE
    rot_ch = " ".join(f"{a}rotation" for a in order)
    children = [skel.children(j) for j in range(skel.num_joints)]
    lines = ["HIERARCHY"]
    dfs: list[int] = []  # channel order = order of appearance in the hierarchy

    def emit(j: int, depth: int) -> None:
        dfs.append(j)
        pad = "  " * depth
        if j == 0:
            lines.append(f"ROOT {skel.names[j]}")
            off = np.zeros(3)
        else:
            lines.append(f"{pad}JOINT {skel.names[j]}")
            off = skel.offsets[j] * scale
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {off[0]:.6f} {off[1]:.6f} {off[2]:.6f}")
        if j == 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {rot_ch}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {rot_ch}")
        if children[j]:
            for c in children[j]:
                emit(c, depth + 1)
        else:
            end = _end_site_offset(clip, j) * scale
            lines.append(f"{pad}  End Site")
            lines.append(pad + "  {")
            lines.append(f"{pad}    OFFSET {end[0]:.6f} {end[1]:.6f} {end[2]:.6f}")
            lines.append(pad + "  }")
        lines.append(pad + "}")

    emit(0, 0)
    eul = matrix_to_euler(axis_angle_to_matrix(clip.rotations), order)  # [T, J, 3]
    data = np.concatenate([clip.trans * scale, eul[:, dfs].reshape(clip.num_frames, -1)], axis=1)
    lines += ["MOTION", f"Frames: {clip.num_frames}", f"Frame Time: {1.0 / clip.fps:.10f}"]
    body = "\n".join(" ".join(f"{v:.8g}" for v in row) for row in data)
    try:
        path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")
    except OSError as exc:
        raise MotionFileError(path, f"cannot write file ({exc.strerror or exc})") from None
    log.info("wrote %s (%d frames)", path, clip.num_frames)


def _end_site_offset(clip: MotionClip, j: int) -> np.ndarray:
    """A short end-site bone continuing the parent bone's direction (for viewers)."""
    off = clip.skeleton.offsets[j]
    n = float(np.linalg.norm(off))
    return off / n * 0.08 if n > 1e-9 else np.array([0.0, 0.08, 0.0])
