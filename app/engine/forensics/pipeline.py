"""The forensic inspection task: decode -> body motion -> appearance (face, hands, body
surface) -> pixel consistency -> scene geometry -> verdict, as an engine generator task.

The verdict comes from the calibrated model (``models/forensics/calibrated.json``, see
:mod:`calibration`) when it is present, else from the hand-set combination in :mod:`scoring`.

``inspect_video(path)`` yields :class:`~app.engine.jobs.Progress` items and, when a stage
finishes, a :class:`StageResult` (a Progress carrying the report so far) so a GUI can
update its cue table as each stage lands; ``on_stage`` receives the same report objects
(called on the engine thread). It returns the final :class:`ForensicReport`.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from app.engine.jobs import Progress, drain, in_helper_thread, relay

from . import appearance as apc
from . import calibration as cal
from . import likelihood as lkc
from . import people as ppl
from . import pixel_cues as pxc
from . import pose_cues as psc
from . import residual_cues as rsc
from . import sfm_cues as sfc
from .drift import drift_frames
from .reference import load_reference, reference_for
from .scoring import Cue, Verdict, combine, combine_calibrated, group_of, label_of, score_cue
from .video_io import SEQ_FRAMES, FrameSample, VideoInfo, native_sequence, probe_video, sample_frames

log = logging.getLogger(__name__)

STAGES = ("decode", "body", "appearance", "pixel", "scene", "verdict")
FPS_DEPENDENT = {"jerk", "motion_hf_ratio", "foot_sliding", "swap_rate", "bone_length_cv", "lr_asymmetry",
                 "joint_angle_violations"}


@dataclass
class ForensicReport:
    """Everything the reports and the GUI show; ``complete`` is False for partial reports."""

    video: VideoInfo
    cues: dict[str, Cue] = field(default_factory=dict)
    verdict: Verdict | None = None
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frame_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    analysis_fps: float = 0.0
    warnings: list[str] = field(default_factory=list)
    stages_done: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    geometry: dict = field(default_factory=dict)
    pose: psc.PoseTrack | None = None
    people: ppl.PeopleTrack | None = None
    appearance: apc.AppearanceTrack | None = None
    drift: np.ndarray | None = None      # per analysis frame: the appearance drifted here
    drift_why: list[str] = field(default_factory=list)   # per analysis frame: which cues ("" = none)
    model: cal.CalibratedModel | None = None
    frames: np.ndarray | None = None     # analysis frames, only with keep_frames=True (GUI playback)
    complete: bool = False

    @property
    def num_frames(self) -> int:
        return int(len(self.times))


@dataclass
class StageResult(Progress):
    """Progress item that also carries the report after a finished stage."""

    stage: str = ""
    report: ForensicReport | None = None


def _add(report: ForensicReport, values: dict, table: dict, fps: float) -> None:
    for name, (value, per_frame, reason) in values.items():
        ref = reference_for(name, table, fps if name in FPS_DEPENDENT else None)
        cue = Cue(name=name, group=group_of(name), label=label_of(name),
                  value=None if value is None or not np.isfinite(value) else float(value),
                  per_frame=None if per_frame is None else np.asarray(per_frame, float), reason=reason)
        report.cues[name] = score_cue(cue, ref)


def _rescore(report: ForensicReport) -> None:
    if report.model is not None:
        report.verdict = combine_calibrated(list(report.cues.values()), report.num_frames, report.model)
    else:
        report.verdict = combine(list(report.cues.values()), report.num_frames)
        report.verdict.families = cal.measured_families({c.name: c.value for c in report.cues.values()})


def _merge_reference(table: dict, model: cal.CalibratedModel | None) -> dict:
    """Reference table plus the real-clip ranges of the calibrated model for cues it lacks."""
    if model is None:
        return table
    return {**{k: v for k, v in model.reference.items() if v.get("lo") is not None}, **table}


def inspect_video(path: str | Path, *, reference: dict | str | Path | None = None, use_colmap: bool = True,
                  with_pose: bool = True, with_appearance: bool = True, max_frames: int | None = None,
                  keep_frames: bool = False, crop_box: tuple[int, int, int, int] | None = None,
                  calibrated: cal.CalibratedModel | str | Path | bool | None = True,
                  on_stage: Callable[[str, ForensicReport], None] | None = None) -> Iterator:
    """Engine task: analyse one video (only the `crop_box` panel of a composite, when given);
    returns a complete :class:`ForensicReport`. ``calibrated``: True = the shipped model, a
    path or model, or False/None for the hand-set combination."""
    model = (calibrated if isinstance(calibrated, cal.CalibratedModel) else
             cal.load_model(None if calibrated is True else calibrated) if calibrated else None)
    table = reference if isinstance(reference, dict) else _merge_reference(load_reference(reference), model)
    t0 = time.monotonic()
    yield Progress(0.0, "opening video")
    info = probe_video(path, crop_box)
    report = ForensicReport(video=info, warnings=list(info.warnings), model=model)
    if not table:
        report.warnings.append("no reference table (models/forensics/reference.json): cues cannot be scored")

    def finish_stage(stage: str, start: float) -> StageResult:
        report.stages_done.append(stage)
        report.stage_seconds[stage] = round(time.monotonic() - start, 3)
        _rescore(report)
        if on_stage is not None:  # a snapshot: the GUI reads it while this thread goes on
            on_stage(stage, replace(report, cues=dict(report.cues), warnings=list(report.warnings),
                                    stages_done=list(report.stages_done)))
        return StageResult(fraction=None, message=f"{stage} done", stage=stage, report=report)

    # decode
    start = time.monotonic()
    kwargs = {} if max_frames is None else {"max_frames": max_frames}
    gen = sample_frames(info, **kwargs)
    sample: FrameSample = yield from relay(gen, 0.0, 0.1, "decoding frames")
    report.warnings += sample.warnings
    report.times = sample.times - sample.times[0]
    report.frame_indices = sample.indices
    report.analysis_fps = sample.fps
    if keep_frames:
        report.frames = sample.frames
    fps = sample.fps
    n = sample.num_frames
    if n < 2:
        report.warnings.append(f"only {n} frame: no temporal or geometric analysis is possible")
    yield finish_stage("decode", start)

    # body motion
    start = time.monotonic()
    track = None
    if with_pose:
        people = yield from _drive(ppl.track_people(sample.frames, fps), 0.1, 0.05, "finding people")
        report.people = people
        main = None
        if people.max_people >= 2 and people.main is not None:
            main = people.main_boxes()
            report.warnings.append(f"{people.max_people} people at once: the body cues follow the main person "
                                   "(the largest, longest seen)")
        track = yield from relay(psc.track_pose(sample.frames, boxes=main), 0.15, 0.4,
                                 lambda f: f"tracking body (BlazePose) {int((f or 0.0) * n)}/{n}")
        report.pose = track
        _add(report, psc.pose_cues(track, fps), table, fps)
        lik = yield from _in_thread(lambda: motion_likelihood(track, fps), 0.4, "scoring the motion under the motion model")
        _add(report, lik, table, fps)
    else:
        off = {**psc.POSE_CUES, **lkc.LIKELIHOOD_CUES}
        _add(report, {k: (None, None, "body tracking switched off") for k in off}, table, fps)
    yield finish_stage("body", start)

    # appearance: face, hands, body surface
    start = time.monotonic()
    if with_appearance:
        size = (sample.frames.shape[2], sample.frames.shape[1])
        gen = apc.appearance_cues(info, sample.indices, fps, size, None if track is None else track.image,
                                  None if track is None else track.visibility)
        cues, report.appearance = yield from _drive(gen, 0.42, 0.2, "face, hands and body surface")
    else:
        cues = {k: (None, None, "appearance analysis switched off") for k in apc.APPEARANCE_CUES}
    _add(report, cues, table, fps)
    yield finish_stage("appearance", start)

    # pixel consistency (+ background motion for foot sliding)
    start = time.monotonic()
    feet, radius = (None, None) if track is None or n == 0 else psc.feet_for_flow(track)
    gen = pxc.flow_stats(sample.frames, None if track is None else track.masks, feet, radius)
    stats = yield from _drive(gen, 0.62, 0.1, "optical flow and noise")
    _add(report, pxc.pixel_cues(stats, fps, sample.crops), table, fps)
    seq = sample.seq_crops
    # the noise cues look at the person, where a generator paints (panel centre without one); their own
    # BlazePose pass over these frames, exactly as the calibration measured them (the body stage's track
    # follows a crowd's main person over the whole clip): about 1.5 s
    if with_pose and n:
        centre = yield from _drive(rsc.person_centre(sample.frames[:SEQ_FRAMES]), 0.715, 0.005,
                                   "locating the person for the noise cues")
        if centre is not None:
            seq = native_sequence(info, **kwargs, centre=centre)
    _add(report, rsc.residual_cues(seq, fps), table, fps)
    if track is not None:
        body = psc.pose_cues(track, fps, stats["bg_shift"])
        _add(report, {"foot_sliding": body["foot_sliding"]}, table, fps)
    yield finish_stage("pixel", start)

    # scene geometry
    start = time.monotonic()
    gen = sfc.sfm_cues(sample.frames, None if track is None else track.masks, use_colmap=use_colmap)
    cues, geometry = yield from _drive(gen, 0.72, 0.26, "structure from motion")
    _add(report, cues, table, fps)
    report.geometry = geometry
    yield finish_stage("scene", start)

    report.drift, report.drift_why = drift_frames(report.cues, report.num_frames)
    report.complete = True
    unmeasured = {c.reason for c in report.cues.values() if not c.measured and c.reason}
    for r in sorted(unmeasured):
        names = [c.name for c in report.cues.values() if not c.measured and c.reason == r]
        report.warnings.append(f"not measured ({', '.join(names)}): {r}")
    report.stage_seconds["total"] = round(time.monotonic() - t0, 3)
    yield finish_stage("verdict", time.monotonic())
    return report


def _drive(gen: Iterator, start: float, span: float, message: str) -> Iterator:
    """Drive a progress generator (fractions), re-yielding Progress; returns its value."""
    return (yield from relay(gen, start, start + span, message))


def _in_thread(fn: Callable[[], dict], fraction: float, message: str) -> Iterator:
    """Run `fn` on a helper thread, yielding a Progress every 0.1 s (prompt cancellation)."""
    return (yield from in_helper_thread(fn, Progress(fraction, message), "forensics-helper"))


def motion_likelihood(track: psc.PoseTrack, fps: float) -> dict:
    """The motion-likelihood cue of a track ("not measured" with a reason on any failure)."""
    world = np.where((track.visibility >= psc.MIN_VISIBILITY)[..., None], track.world, np.nan)
    try:
        return lkc.likelihood_cue(world, track.present, fps)
    except Exception as exc:  # noqa: BLE001 - a failing model must not break the report
        log.warning("motion likelihood failed: %s", exc)
        return {"motion_likelihood": (None, None, f"motion model failed ({type(exc).__name__})")}


def run_inspection(path: str | Path, **kwargs) -> ForensicReport:
    """Run :func:`inspect_video` inline (tests, CLI)."""
    return drain(inspect_video(path, **kwargs))
