"""Fuzz targets for every reader of user files: the readers, their seed files and the oracle that
judges one input (mutators and generators of hostile inputs: ``bench/fuzz_mutators.py``).

Shared by ``bench/fuzz_inputs.py`` (long runs) and ``tests/core/test_fuzz_inputs.py`` (short
hypothesis runs in the suite). A reader passes an input when it returns a valid result or raises
:class:`InvalidInputError` with a one-line message; any other exception, a message with a
traceback in it, or running past the time limit is a crash.
"""
from __future__ import annotations

import logging
import random
import signal
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from app.core.errors import InvalidInputError
from app.core.limits import MAX_FPS, MIN_FPS

from fuzz_mutators import (_NPZ_KEYS, _deepmimic_json, gen_bvh, gen_deepmimic, gen_gltf, gen_npz,  # noqa: F401
                           gen_prompt, mutate_bytes, mutate_glb, mutate_json, mutate_npz, npy_header)

log = logging.getLogger(__name__)


class Hang(Exception):
    """Raised inside a reader that ran past the time limit."""


@dataclass
class Outcome:
    kind: str          # "ok", "rejected", "crash" or "hang"
    detail: str        # the message, or the exception type and where it was raised
    seconds: float


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (SIGALRM; no-op elsewhere)."""
    def on_alarm(*_) -> None:
        raise Hang()

    try:
        old = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    app = [f for f in tb if "/app/" in f.filename] or tb
    f = app[-1] if app else None
    return f"{type(exc).__name__} at {Path(f.filename).name}:{f.lineno}" if f else type(exc).__name__


def judge(run: Callable[[], object], timeout_s: float = 10.0) -> Outcome:
    """Run one reader call and classify what happened."""
    t0 = time.perf_counter()
    try:
        with time_limit(timeout_s):
            run()
    except Hang:
        return Outcome("hang", f"still running after {timeout_s:g} s", time.perf_counter() - t0)
    except InvalidInputError as exc:
        msg = str(exc)
        kind = "rejected" if msg.strip() and "\n" not in msg and "Traceback" not in msg and len(msg) < 500 else "crash"
        return Outcome(kind, msg if kind == "rejected" else f"unclear message: {msg[:200]!r}", time.perf_counter() - t0)
    except RecursionError as exc:
        return Outcome("crash", _where(exc), time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - this is what a crash is
        return Outcome("crash", f"{_where(exc)}: {str(exc)[:160]}", time.perf_counter() - t0)
    return Outcome("ok", "", time.perf_counter() - t0)


# --------------------------------------------------------------------------- readers
def _check_clip(clip) -> None:
    clip.validate()
    assert MIN_FPS <= clip.fps <= MAX_FPS, clip.fps
    assert np.isfinite(clip.joints()).all()
    clip.info()


def read_motion_file(path: Path) -> None:
    from app.core.motion_io import load_motion
    _check_clip(load_motion(path))


def read_gltf_file(path: Path) -> None:
    from app.core.gltf_read import read_gltf_motion
    _check_clip(read_gltf_motion(path))


def read_deepmimic_file(path: Path) -> None:
    from app.core.deepmimic import load_deepmimic
    _check_clip(load_deepmimic(path))


def read_video_file(path: Path) -> None:
    from app.engine.forensics.video_io import probe_video, sample_frames
    from app.engine.jobs import drain
    sample = drain(sample_frames(probe_video(path), max_frames=8, max_seconds=4.0))
    assert sample.frames.ndim == 4 and sample.frames.shape[-1] == 3 and sample.num_frames >= 1


def read_prompt(text: str) -> None:
    from app.engine.t2m.pipeline import plan_spans
    from app.engine.t2m.spans import split_prompt
    from app.engine.t2m.text_cond import parse_slots
    split_prompt(text[:5000])
    parse_slots(text[:5000])
    for part, seconds in plan_spans(text, None, None):
        assert part and seconds > 0
        parse_slots(part)


# --------------------------------------------------------------------------- seeds
def _seed_clip(frames: int = 12):
    from app.core.motion import MotionClip
    rng = np.random.default_rng(0)
    rots = rng.normal(scale=0.3, size=(frames, 22, 3))
    trans = np.cumsum(rng.normal(scale=0.01, size=(frames, 3)), axis=0) + [0.0, 0.9, 0.0]
    return MotionClip(30.0, trans, rots, name="seed")


def make_seeds(folder: Path) -> dict[str, list[bytes]]:
    """Seed inputs per target, written with the studio's own writers."""
    from app.core.gltf import write_gltf
    from app.core.motion_io import save_motion
    folder.mkdir(parents=True, exist_ok=True)
    clip = _seed_clip()
    seeds: dict[str, list[bytes]] = {}
    for name, suffix, kw in (("bvh", ".bvh", {}), ("npz_ours", ".npz", {}), ("npz_smpl", ".npz", {"flavor": "smpl"})):
        p = folder / f"seed_{name}{suffix}"
        save_motion(clip, p, **kw)
        seeds[name] = [p.read_bytes()]
    seeds["bvh"].append(_cmu_style(seeds["bvh"][0]))
    for suffix in (".glb", ".gltf"):
        write_gltf(clip, folder / f"seed{suffix}")
        seeds["gltf" + suffix] = [(folder / f"seed{suffix}").read_bytes()]
    seeds["deepmimic"] = [_deepmimic_json()]
    seeds["video"] = _video_seeds(folder)
    seeds["prompt"] = [s.encode() for s in ("a person walks forward; then jumps twice, then waves",
                                            "after jogging a bit, she waves with her left hand 3 times",
                                            "clap three times before bowing slowly")]
    return seeds


_CMU_NAMES = ("Hips", "LeftUpLeg", "RightUpLeg", "Spine", "LeftLeg", "RightLeg", "Spine1", "LeftFoot", "RightFoot",
              "Spine2", "LeftToeBase", "RightToeBase", "Neck", "LeftShoulder", "RightShoulder", "Head", "LeftArm",
              "RightArm", "LeftForeArm", "RightForeArm", "LeftHand", "RightHand")


def _cmu_style(bvh: bytes) -> bytes:
    """The SMPL-named seed with CMU/Mixamo bone names, so reading goes through the name-based retarget."""
    import re
    from app.core.skeleton import SMPL22_NAMES
    names = dict(zip(SMPL22_NAMES, _CMU_NAMES))
    return re.sub(rb"\b(ROOT|JOINT) (\w+)", lambda m: m.group(1) + b" " + names[m.group(2).decode()].encode(), bvh)


def _video_seeds(folder: Path) -> list[bytes]:
    from app.viewers.video import write_video
    yy, xx = np.mgrid[0:48, 0:64]
    frames = [np.stack([(xx * 4 + 9 * i) % 256, (yy * 5) % 256, np.full_like(xx, 40 * i % 256)], -1).astype(np.uint8)
              for i in range(6)]
    out = []
    for suffix in (".mp4", ".gif"):
        write_video(frames, folder / f"seed{suffix}", 10.0)
        out.append((folder / f"seed{suffix}").read_bytes())
    return out


@dataclass
class Target:
    name: str
    suffix: str
    read: Callable[[Path], None]
    generate: Callable[[random.Random], bytes] | None
    text: bool = False
    mutate: Callable[[bytes, random.Random], bytes] | None = None  # format-aware mutation, used half the time


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("bvh", ".bvh", read_motion_file, gen_bvh, text=True),
    Target("npz_ours", ".npz", read_motion_file, lambda r: gen_npz(r, True), mutate=mutate_npz),
    Target("npz_smpl", ".npz", read_motion_file, lambda r: gen_npz(r, False), mutate=mutate_npz),
    Target("gltf.glb", ".glb", read_gltf_file, None, mutate=mutate_glb),
    Target("gltf.gltf", ".gltf", read_gltf_file, gen_gltf, text=True, mutate=mutate_json),
    Target("deepmimic", ".json", read_deepmimic_file, gen_deepmimic, text=True, mutate=mutate_json),
    Target("video", ".mp4", read_video_file, None),
    Target("prompt", ".txt", lambda p: read_prompt(p.read_bytes().decode("utf-8", "replace")), gen_prompt, text=True),
)}


def one_input(target: Target, seeds: list[bytes], rnd: random.Random) -> bytes:
    """A fresh input for ``target``: usually a mutated seed, sometimes a generated hostile one."""
    if target.generate is not None and rnd.random() < 0.35:
        data = target.generate(rnd)
        return mutate_bytes(data, rnd, target.text) if rnd.random() < 0.2 else data
    if target.mutate is not None and rnd.random() < 0.5:
        return target.mutate(rnd.choice(seeds), rnd)
    return mutate_bytes(rnd.choice(seeds), rnd, target.text)


def run_input(target: Target, data: bytes, folder: Path, timeout_s: float = 10.0, suffix: str | None = None) -> Outcome:
    """Write ``data`` to a file with the target's suffix and judge the reader on it."""
    path = folder / f"input{suffix or target.suffix}"
    path.write_bytes(data)
    return judge(lambda: target.read(path), timeout_s)
