"""Recognise the actions in a motion or a video: an engine task (progress, cancel) and a plain call.

``recognize_task(source)`` is a job generator for the studio; ``recognize_file(path)`` runs
the same steps to completion and returns the JSON-ready dict (what ``main.py recognize``
and batch jobs use).  Routes: "skeleton" (A-TSCN on SMPL-22 joints; videos are tracked with
BlazePose first); "rgb" (SOAR on the video's frames, cropped around the tracked person;
videos only); "both" (videos: both routes, their clip opinions fused by Dempster's rule,
the actions from the skeleton route; motion files: skeleton only, with a warning).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress, drain, relay
from app.engine.tasks.steps import sub_task

ROUTES = ("skeleton", "rgb", "both")
_PIPES: dict[tuple[str, float, str], Any] = {}
_LOCK = threading.Lock()


def get_pipeline(model_dir: str | Path | None = None, device: str | None = None):
    """A cached :class:`RecognitionPipeline` for ``model_dir`` (default models/recognition)."""
    from app.engine.recognition.pipeline import DEFAULT_DIR, RecognitionPipeline

    path = Path(model_dir) if model_dir else DEFAULT_DIR
    cfg = path / "config.json"
    key = (str(path.resolve()), cfg.stat().st_mtime if cfg.is_file() else 0.0, device or "")
    with _LOCK:
        if key not in _PIPES:
            _PIPES[key] = RecognitionPipeline.from_pretrained(path, device)
        return _PIPES[key]


def get_rgb_pipeline(model_dir: str | Path | None = None, device: str | None = None):
    """A cached :class:`RgbPipeline` for ``model_dir`` (default models/recognition/rgb)."""
    from app.engine.soar.pipeline import DEFAULT_RGB_DIR, RgbPipeline

    path = Path(model_dir) if model_dir else DEFAULT_RGB_DIR
    cfg = path / "config.json"
    key = ("rgb:" + str(path.resolve()), cfg.stat().st_mtime if cfg.is_file() else 0.0, device or "")
    with _LOCK:
        if key not in _PIPES:
            _PIPES[key] = RgbPipeline.from_pretrained(path, device)
        return _PIPES[key]


def check_route(route: str) -> list[str]:
    """Warnings for a route; raises for an unknown route."""
    if route not in ROUTES:
        raise InvalidInputError(f"unknown route {route!r}; use one of {', '.join(ROUTES)}")
    return []


def _has_tracker() -> bool:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


def _decode(path) -> Generator[Progress, None, Any]:
    """Task: decode a video without tracking (frames for the RGB route when no tracker exists)."""
    from app.engine.forensics.video_io import probe_video, sample_frames
    from app.engine.recognition.inputs import MAX_VIDEO_SECONDS

    gen = sample_frames(probe_video(path), max_frames=int(MAX_VIDEO_SECONDS * 20), max_seconds=MAX_VIDEO_SECONDS)
    return (yield from relay(gen, 0.0, 0.9, "decoding video"))


def _rgb_result(rgb_pipe, sample, track) -> dict:
    from app.engine.soar.pipeline import centre_box, person_box

    h, w = sample.frames.shape[1:3]
    if track is None:
        box, note = centre_box(w, h), ["no person tracker (mediapipe): RGB route on the centre square"]
    else:
        box, note = person_box(track.image, track.present, w, h), []
    out = rgb_pipe.recognize_frames(sample.frames, sample.fps, box)
    out["warnings"] = note
    return out


def fuse_routes(skel_pipe, clip: MotionClip, skel_result, rgb: dict):
    """``both``: the skeleton and RGB clip opinions fused by Dempster's rule over the union of
    their labels (beliefs b = p - u / K); actions come from the skeleton route."""
    from app.engine.soar.pipeline import combine_opinions

    raw = skel_pipe.raw(*skel_pipe.features(clip))
    labels = list(skel_pipe.labels) + [a for a in rgb["_labels"] if a not in skel_pipe.labels]
    k = len(labels)

    def beliefs(names, probs, u):
        b = np.zeros(k)
        b[[labels.index(n) for n in names]] = np.clip(np.asarray(probs) - u / len(names), 0, None)
        return b

    b1 = beliefs(skel_pipe.labels, raw["clip_prob"], raw["clip_u"])
    b2 = beliefs(rgb["_labels"], rgb["_probs"], rgb["_u"])
    b, u = combine_opinions(b1, raw["clip_u"], b2, rgb["_u"])
    p = b + u / k
    order = np.argsort(-p)[:5]
    skel_result.routes = {"skeleton": {"clip": skel_result.clip, "uncertainty": skel_result.uncertainty},
                          "rgb": {k2: rgb[k2] for k2 in ("clip", "uncertainty", "actions", "model")}}
    skel_result.clip = [{"label": labels[i], "probability": round(float(p[i]), 4)} for i in order]
    skel_result.uncertainty = round(float(np.clip(u, 0, 1)), 4)
    skel_result.route = "both"
    skel_result.model = f"{skel_result.model} + {rgb['model']}"
    return skel_result


def recognize_task(source: str | Path | MotionClip, model_dir: str | Path | None = None, route: str = "skeleton",
                   pipeline: Any = None, rgb_model_dir: str | Path | None = None,
                   rgb_pipeline: Any = None) -> Generator[Progress, None, Any]:
    """Task: load the model(s), read (or track) the input, recognise; returns a RecognitionResult."""
    from app.engine.recognition.inputs import is_video, load_motion_input, track_to_clip, track_video
    from app.engine.recognition.pipeline import RecognitionResult

    warnings = check_route(route)
    video = not isinstance(source, MotionClip) and is_video(source)
    if route == "rgb" and not video:
        raise InvalidInputError("the RGB route (SOAR) reads videos; use --route skeleton for motion files")
    if route == "both" and not video:
        warnings.append("not a video: skeleton route only")
        route = "skeleton"
    yield Progress(0.0, "loading the recogniser")
    pipe = None if route == "rgb" else (pipeline or get_pipeline(model_dir))
    rgb_pipe = None if route == "skeleton" else (rgb_pipeline or get_rgb_pipeline(rgb_model_dir))
    track = sample = None
    if isinstance(source, MotionClip):
        clip = source
    elif video:
        if _has_tracker():
            sample, track = yield from sub_task(track_video(source), 0.05, 0.85)
        elif route == "rgb":
            sample = yield from sub_task(_decode(source), 0.05, 0.85)
        else:
            raise InvalidInputError("video input needs BlazePose (mediapipe), which is not installed; "
                                    "use --route rgb")
        if route != "rgb":
            yield Progress(0.88, "fitting SMPL-22")
            clip = track_to_clip(sample, track, Path(source).stem)
            warnings.append("video: body tracked hip-centred (no root travel)")
    else:
        clip = load_motion_input(source)
    yield Progress(0.92, "recognising")
    if route == "rgb":
        rgb = _rgb_result(rgb_pipe, sample, track)
        result = RecognitionResult(rgb["clip"], rgb["uncertainty"], rgb["actions"], "rgb", rgb["model"],
                                   rgb["duration_s"], rgb["warnings"])
    else:
        result = pipe.recognize(clip)
        if route == "both":
            rgb = _rgb_result(rgb_pipe, sample, track)
            rgb["_labels"] = rgb_pipe.labels
            result = fuse_routes(pipe, clip, result, rgb)
            warnings += rgb["warnings"]
    result.warnings += warnings
    yield Progress(1.0, "done")
    return result


def recognize_file(path: str | Path, model_dir: str | Path | None = None, route: str = "skeleton",
                   pipeline: Any = None, rgb_model_dir: str | Path | None = None, rgb_pipeline: Any = None) -> dict:
    """Run :func:`recognize_task` to completion; the result as a dict with ``input`` added."""
    result = drain(recognize_task(path, model_dir, route, pipeline, rgb_model_dir, rgb_pipeline))
    return {"input": str(path), **result.to_dict()}
