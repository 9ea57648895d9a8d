"""Engine tasks the studio submits (Qt-free: they run on the engine thread)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.errors import MotionFileError
from app.core.motion import MotionClip
from app.engine.jobs import Progress

log = logging.getLogger(__name__)

MOTION_SUFFIXES = (".bvh", ".npz")


@dataclass
class LoadedClip:
    clip: MotionClip
    path: Path | None
    joints: np.ndarray  # [T, J, 3] float32 world joints
    contacts: np.ndarray | None  # [T, 4] bool


@dataclass
class SkinResult:
    vertices: np.ndarray  # [T, V, 3] float32
    faces: np.ndarray
    phenotype: dict[str, float]
    clip_serial: int
    joints: np.ndarray | None = None  # [T, 22, 3] the body's own joints, when it has them
    contacts: np.ndarray | None = None  # [T, 4] from those joints


def _contacts(joints: np.ndarray, fps: float) -> np.ndarray | None:
    try:
        from app.viewers.scene import foot_contacts
        return np.asarray(foot_contacts(joints, fps), dtype=bool)
    except Exception:  # noqa: BLE001 - markers are optional
        log.debug("foot contacts unavailable", exc_info=True)
        return None


def prepare_clip(clip: MotionClip, path: Path | None = None) -> LoadedClip:
    """Validate a clip and precompute what the viewport needs (joints, contacts)."""
    clip.validate()
    joints = clip.joints().astype(np.float32)
    return LoadedClip(clip, path, joints, _contacts(joints, clip.fps))


def load_clip_task(path: str | Path) -> Generator[Any, None, LoadedClip]:
    """Read a motion file (.bvh/.npz) and prepare it for display."""
    path = Path(path)
    if path.suffix.lower() not in MOTION_SUFFIXES:
        raise MotionFileError(path, f"unsupported file type {path.suffix or '(none)'}; use .bvh or .npz")
    if not path.is_file():
        raise MotionFileError(path, "file not found")
    yield Progress(0.1, f"reading {path.name}")
    from app.core.motion_io import load_motion

    clip = load_motion(path)
    if not clip.name:
        clip.name = path.stem
    yield Progress(0.7, "computing joints")
    try:
        return prepare_clip(clip, path)
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from exc


def clip_task(clip: MotionClip) -> Generator[Any, None, LoadedClip]:
    """Prepare an in-memory clip (the procedural fallback) on the engine thread."""
    yield Progress(0.5, "computing joints")
    return prepare_clip(clip, None)


def save_clip_task(clip: MotionClip, path: str | Path, flavor: str | None = None) -> Generator[Any, None, Path]:
    path = Path(path)
    yield Progress(0.1, f"writing {path.name}")
    from app.core.motion_io import save_motion

    if flavor:
        save_motion(clip, path, flavor=flavor)
    else:
        save_motion(clip, path)
    return path


def skin_task(body: Any, clip: MotionClip, phenotype: dict[str, float] | None,
              clip_serial: int = 0) -> Generator[Any, None, SkinResult]:
    """Set the body's phenotype and pose it for every frame of the clip (chunked, cancellable).

    Bodies with ``pose_with_joints`` also give their own SMPL-22 joints, so the skeleton
    overlay, shadow and contact markers line up with the mesh.
    """
    from app.engine.tasks.body_tasks import SKIN_CHUNK, skin_clip

    if phenotype:
        yield Progress(0.0, "shaping body")
        body.set_phenotype(**phenotype)
    joints = contacts = None
    if hasattr(body, "pose_with_joints"):
        clip.validate()
        n = clip.num_frames
        vertices = None
        for start in range(0, n, SKIN_CHUNK):
            stop = min(n, start + SKIN_CHUNK)
            v, j = body.pose_with_joints(clip, range(start, stop))
            if vertices is None:
                vertices = np.empty((n,) + v.shape[1:], np.float32)
                joints = np.empty((n,) + j.shape[1:], np.float32)
            vertices[start:stop], joints[start:stop] = v, j
            yield Progress(stop / n, f"posing body {stop}/{n}")
        contacts = _contacts(joints, clip.fps)
    else:
        vertices = yield from skin_clip(body, clip)
    faces = np.asarray(body.faces)
    return SkinResult(vertices, faces, dict(getattr(body, "phenotype", phenotype or {})), clip_serial,
                      joints, contacts)


def shape_preview_task(body: Any, clip: MotionClip, phenotype: dict[str, float], frame: int,
                       clip_serial: int = 0) -> Generator[Any, None, tuple[int, int, np.ndarray]]:
    """The body at one frame with a new phenotype (instant feedback before the whole clip is re-posed)."""
    yield Progress(0.0, "shaping body")
    body.set_phenotype(**phenotype)
    frame = int(min(max(frame, 0), clip.num_frames - 1))
    verts = np.asarray(body.pose(clip, range(frame, frame + 1))[0], dtype=np.float32)
    return clip_serial, frame, verts
