"""Load and save motions by file extension: .bvh (any humanoid, retargeted) and .npz.

``load_motion`` always returns a validated SMPL-22 :class:`MotionClip` in the world
convention (metres, Y up) or raises :class:`MotionFileError` with a one-line message;
nothing is half-loaded.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .bvh import read_bvh, write_bvh
from .errors import MotionFileError
from .limits import check_joints
from .motion import MotionClip
from .npz_io import load_npz, save_npz, save_smpl_npz
from .retarget import bvh_to_motion

log = logging.getLogger(__name__)

MOTION_EXTENSIONS = (".bvh", ".npz")


def load_motion(path: str | Path, fps: float | None = None, max_frames: int | None = None,
                **retarget_options) -> MotionClip:
    """Read a .bvh or .npz motion; ``fps`` resamples; ``max_frames`` keeps only the first frames.

    retarget_options go to :func:`app.core.retarget.bvh_to_motion` (units, face_forward,
    on_ground, bones).
    """
    path = Path(path)
    if path.is_dir():
        raise MotionFileError(path, "is a directory, not a motion file")
    if not path.exists():
        raise MotionFileError(path, "file does not exist")
    ext = path.suffix.lower()
    try:
        if ext == ".bvh":
            clip = bvh_to_motion(read_bvh(path, max_frames), **retarget_options)
        elif ext == ".npz":
            clip = load_npz(path)
            if max_frames is not None:
                clip = clip.slice(0, max_frames)
        else:
            raise MotionFileError(path, f"unsupported file type {ext or '(none)'} (use .bvh or .npz)")
        clip.validate()
        check_joints(clip, path)
        if fps is not None and abs(fps - clip.fps) > 1e-9:
            clip = clip.resample(fps)
    except MotionFileError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, ArithmeticError) as exc:
        raise MotionFileError(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if not clip.name:
        clip.name = path.stem
    log.info("loaded %s: %d frames at %g fps", path, clip.num_frames, clip.fps)
    return clip


def save_motion(clip: MotionClip, path: str | Path, flavor: str = "studio", **options) -> None:
    """Write by extension: .bvh (centimetres, options: order), .npz (flavor 'studio' or 'smpl')."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".bvh":
        write_bvh(clip, path, **options)
    elif ext == ".npz" and flavor == "smpl":
        save_smpl_npz(clip, path, **options)
    elif ext == ".npz" and flavor == "studio":
        save_npz(clip, path)
    elif ext == ".npz":
        raise MotionFileError(path, f"unknown npz flavor {flavor!r} (use 'studio' or 'smpl')")
    else:
        raise MotionFileError(path, f"unsupported file type {ext or '(none)'} (use .bvh or .npz)")
