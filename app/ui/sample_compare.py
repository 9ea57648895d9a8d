"""Side-by-side samples: 2-4 generated samples play together in the main viewport.

Every sample gets a lane along X (the bodies' left-right axis at frame 0), wide enough
that the widest motion never overlaps its neighbour; all lanes share the timeline, so they
play in sync. The selected sample is the window's current clip (posed by the window as
usual); the others are posed here, once per body shape, in one cancellable engine job
(long clips are posed at a frame stride to bound memory). Numbered labels float over the
heads; clicking a body (or its label) selects that sample through the prompt panel.
It talks to the studio only through the shared :class:`~.studio_state.StudioState`.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

import numpy as np
from PySide6.QtCore import QObject

from app.engine.jobs import Job, Progress

if TYPE_CHECKING:
    from app.engine.tasks.generate_task import GeneratedSample

    from .studio_state import StudioState

log = logging.getLogger(__name__)

LANE_MARGIN = 0.45          # metres between the widest extents of neighbouring lanes
MIN_LANE_SPACING = 1.1      # metres
BODY_HALF_WIDTH = 0.3       # the mesh reaches a little beyond the joints
POSE_FRAME_BUDGET = 1200    # frames posed over all side lanes (about 200 MB of vertices)


@dataclass
class SampleLane:
    """One sample's place in the side-by-side view."""

    joints: np.ndarray                 # [T, J, 3] the clip's joints (world, before the lane offset)
    offset: np.ndarray                 # [3] world shift of the lane
    label: str
    vertices: np.ndarray | None = None  # [ceil(T / stride), V, 3] posed body
    body_joints: np.ndarray | None = None  # [ceil(T / stride), J, 3] the body's own joints
    stride: int = 1

    def frame_vertices(self, frame: int, shifted: bool = True) -> np.ndarray | None:
        """The posed body at `frame` (lane offset applied unless `shifted` is False), if posed."""
        if self.vertices is None or not len(self.vertices):
            return None
        v = self.vertices[min(frame // self.stride, len(self.vertices) - 1)]
        return v + self.offset.astype(v.dtype) if shifted else v

    def frame_joints(self, frame: int) -> np.ndarray:
        """The joints shown at `frame` (the body's own when posed), lane offset applied."""
        if self.body_joints is not None and len(self.body_joints):
            j = self.body_joints[min(frame // self.stride, len(self.body_joints) - 1)]
        else:
            j = self.joints[min(max(frame, 0), len(self.joints) - 1)]
        return j + self.offset.astype(j.dtype)


def lane_offsets(joint_sets: list[np.ndarray]) -> np.ndarray:
    """X offsets [n, 3] putting each clip in its own lane, lanes evenly spaced and centred.

    Lane spacing: the widest sideways extent of any clip (relative to its frame-0 pelvis,
    plus the body's half-width on both sides) plus a margin, at least MIN_LANE_SPACING.
    """
    n = len(joint_sets)
    if n == 0:
        return np.zeros((0, 3))
    starts = np.array([j[0, 0, 0] for j in joint_sets], dtype=np.float64)
    lo = np.array([(j[..., 0] - j[0, 0, 0]).min() for j in joint_sets]) - BODY_HALF_WIDTH
    hi = np.array([(j[..., 0] - j[0, 0, 0]).max() for j in joint_sets]) + BODY_HALF_WIDTH
    spacing = max(MIN_LANE_SPACING, float((hi - lo).max()) + LANE_MARGIN)
    centre = float(starts.mean())
    out = np.zeros((n, 3))
    out[:, 0] = centre + (np.arange(n) - (n - 1) / 2.0) * spacing - starts
    return out


def pose_stride(num_frames: int, lanes: int) -> int:
    return max(1, math.ceil(num_frames * max(1, lanes) / POSE_FRAME_BUDGET))


def pose_samples_task(body: Any, clips: list, phenotype: dict[str, float] | None, stride: int = 1
                      ) -> Generator[Any, None, list[tuple[np.ndarray, np.ndarray | None]]]:
    """Engine task: (vertices, joints or None) of each clip at every `stride`-th frame."""
    if phenotype:
        body.set_phenotype(**phenotype)
    out = []
    for i, clip in enumerate(clips):
        frames = range(0, clip.num_frames, stride)
        yield Progress(i / len(clips), f"posing sample {i + 1}/{len(clips)}")
        if hasattr(body, "pose_with_joints"):
            v, j = body.pose_with_joints(clip, frames)
        else:
            v, j = body.pose(clip, frames), None
        out.append((np.asarray(v, np.float32), None if j is None else np.asarray(j, np.float32)))
    return out


class SampleCompare(QObject):
    """Feeds the viewport's side-by-side lanes from the prompt panel's current samples."""

    def __init__(self, state: "StudioState") -> None:
        super().__init__(state)
        self.state = state
        self.enabled = True
        self.samples: list["GeneratedSample"] = []
        self.selected = 0
        self.lanes: list[SampleLane] = []
        self.job: Job | None = None
        self._posed_key: tuple | None = None
        state.bodyPosed.connect(self._body_posed)

    @property
    def active(self) -> bool:
        return self.enabled and len(self.samples) >= 2

    def show(self, samples: list["GeneratedSample"], selected: int) -> None:
        """Call after the selected sample became the window's clip.  Samples already posed (the
        unchanged ones after a span edit) keep their bodies; only new ones are posed."""
        if [id(s) for s in samples] != [id(s) for s in self.samples]:
            old = {id(s): lane for s, lane in zip(self.samples, self.lanes)}
            self.samples = list(samples)
            self._posed_key = None
            if self.job is not None and not self.job.state.finished:
                self.job.cancel()
            offsets = lane_offsets([s.joints for s in samples]) if len(samples) >= 2 else np.zeros((0, 3))
            self.lanes = [SampleLane(s.joints, offsets[i], str(i + 1)) for i, s in enumerate(samples)] \
                if len(samples) >= 2 else []
            for s, lane in zip(self.samples, self.lanes):
                prev = old.get(id(s))
                if prev is not None and prev.vertices is not None:
                    lane.vertices, lane.body_joints, lane.stride = prev.vertices, prev.body_joints, prev.stride
        self.selected = int(selected)
        self._apply()
        self.ensure_posed()

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        self._apply()
        self.ensure_posed()

    def _apply(self) -> None:
        if self.active and self.state.clip is self.samples[self.selected].clip:
            self.state.show_lanes(self.lanes, self.selected)
        else:
            self.state.show_lanes([], 0)

    # --- posing the side lanes --------------------------------------------------------
    def ensure_posed(self) -> Job | None:
        """Pose every sample on the current body shape unless that is done or running."""
        st = self.state
        if not self.active or st.body is None:
            return None
        phenotype = st.phenotype()
        key = (tuple(id(s) for s in self.samples), id(st.body), tuple(sorted(phenotype.items())))
        if key == self._posed_key:
            return None
        if self.job is not None and not self.job.state.finished:
            if getattr(self.job, "compare_key", None) == key:
                return self.job
            self.job.cancel()
        stride = pose_stride(self.samples[0].clip.num_frames, len(self.samples))
        clips = [s.clip for s in self.samples]
        self.job = st.bridge.run("Pose samples side by side", pose_samples_task, st.body, clips, phenotype,
                                 stride, on_done=lambda r: self._posed(key, stride, r))
        self.job.compare_key = key
        return self.job

    def _posed(self, key: tuple, stride: int, result: list) -> None:
        if key[0] != tuple(id(s) for s in self.samples):
            return
        for lane, (v, j) in zip(self.lanes, result):
            lane.vertices, lane.body_joints, lane.stride = v, j, stride
        self._posed_key = key
        self._apply()

    def _body_posed(self) -> None:
        # the window re-posed its body (new shape, or the body just got ready): follow it
        if self.active:
            self.ensure_posed()
