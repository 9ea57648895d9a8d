"""Inputs of the recogniser: motion files (BVH, npz, glTF) and videos of a person.

Videos go through BlazePose and the forensics landmark-to-SMPL-22 fit
(:mod:`app.engine.forensics.likelihood`): the body is tracked hip-centred, so a video gives
pose and limb motion but no root travel (walking reads like walking on the spot).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Generator

import numpy as np

from app.core.errors import InvalidInputError, MotionFileError
from app.core.motion import MotionClip
from app.engine.jobs import Progress, relay

log = logging.getLogger(__name__)

MOTION_SUFFIXES = (".bvh", ".npz", ".glb", ".gltf")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv")
MAX_VIDEO_SECONDS = 60.0
MIN_PRESENT = 0.5             # share of video frames with a tracked person


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def list_inputs(folder: str | Path) -> list[Path]:
    """Motion files and videos directly in ``folder``, sorted by name."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MOTION_SUFFIXES + VIDEO_SUFFIXES)


def load_motion_input(path: str | Path) -> MotionClip:
    """A motion file as an SMPL-22 clip; raises InvalidInputError with a one-line reason."""
    from app.core.gltf_read import read_gltf_motion
    from app.core.motion_io import load_motion

    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    ext = path.suffix.lower()
    if ext not in MOTION_SUFFIXES:
        raise InvalidInputError(f"{path.name}: unsupported input type {ext or '(none)'} "
                                f"(use {', '.join(MOTION_SUFFIXES + ('a video',))})")
    try:
        clip = read_gltf_motion(path) if ext in (".glb", ".gltf") else load_motion(path)
    except MotionFileError as exc:
        raise InvalidInputError(str(exc)) from None
    if not clip.is_smpl22():
        raise InvalidInputError(f"{path.name}: not an SMPL-22 motion")
    return clip


def _fill_missing(core: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Linear interpolation of untracked frames (held at the ends)."""
    t = np.arange(len(core))
    good = np.flatnonzero(present)
    out = core.copy()
    for j in range(core.shape[1]):
        for d in range(3):
            col = core[good, j, d]
            if np.isfinite(col).all():
                out[:, j, d] = np.interp(t, good, col)
    return out


def track_video(path: str | Path) -> Generator[Progress, None, tuple]:
    """Task: decode the video and track the body with BlazePose; returns (FrameSample, PoseTrack).

    Raises InvalidInputError when the video is too short or no person is tracked in most frames."""
    from app.engine.forensics import pose_cues
    from app.engine.forensics.video_io import probe_video, sample_frames

    info = probe_video(path)
    gen = sample_frames(info, max_frames=int(MAX_VIDEO_SECONDS * 20), max_seconds=MAX_VIDEO_SECONDS)
    sample = yield from relay(gen, 0.0, 0.2, "decoding video")
    if sample.num_frames < 4:
        raise InvalidInputError(f"{Path(path).name}: too short to recognise ({sample.num_frames} frames)")
    track = yield from relay(pose_cues.track_pose(sample.frames), 0.2, 0.9, "tracking the body (BlazePose)")
    if track.present_share < MIN_PRESENT:
        raise InvalidInputError(f"{Path(path).name}: no person tracked in {100 * (1 - track.present_share):.0f}% "
                                "of the frames")
    return sample, track


def track_to_clip(sample, track, name: str = "") -> MotionClip:
    """The tracked body as a 20 fps SMPL-22 clip (forensics landmark-to-SMPL-22 fit)."""
    from app.engine.forensics.likelihood import complete_joints, core_from_blaze, joints_to_clip

    core = _fill_missing(core_from_blaze(track.world), track.present)
    clip = joints_to_clip(complete_joints(core), fps=sample.fps)
    clip.name = name
    return clip.resample(20.0)


def video_to_clip(path: str | Path) -> Generator[Progress, None, MotionClip]:
    """Task: decode, track the body with BlazePose, fit SMPL-22 joints; returns a 20 fps clip."""
    sample, track = yield from track_video(path)
    yield Progress(0.95, "fitting SMPL-22")
    return track_to_clip(sample, track, Path(path).stem)
