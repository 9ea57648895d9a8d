"""Several people: detect and follow each person, so a crowd is not read as one jittering body.

The OpenCV 5 wheel has no HOG people detector any more, so people are found with the BlazePose
model the body stage already loads (inside the mediapipe wheel: nothing is downloaded): on
every few analysis frames, BlazePose in still-image mode finds the most prominent person, whose
landmark box is then greyed out and the search repeats, up to :data:`MAX_PEOPLE`. Detections
are linked into tracks by box overlap (greedy IoU, a track survives short gaps) and
interpolated in between. The **main person** is the track with the largest (mean box area x
rounds seen). When two or more people are seen together, :func:`pose_cues.track_pose` runs
BlazePose on a crop around the main person only, so the body cues follow one body instead of
jumping between people.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from app.engine.jobs import in_helper_thread

log = logging.getLogger(__name__)

DETECT_FPS = 4.0          # detection rounds per second of video
MAX_DETECT_FRAMES = 24
MAX_PEOPLE = 4            # BlazePose searches per detection frame
MIN_VISIBLE = 8           # landmarks with visibility >= 0.5 for a detection to count
MIN_IOU = 0.3
MAX_GAP = 3               # detection rounds a track may miss
MIN_HITS = 2              # detections for a track to count as a person


@dataclass
class PeopleTrack:
    """Per-person boxes [n, 4] (x0, y0, x1, y1, analysis pixels; NaN where not seen), the index of
    the main person, and the number of people seen per analysis frame."""

    boxes: list[np.ndarray] = field(default_factory=list)
    main: int | None = None
    count: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    detected_at: np.ndarray = field(default_factory=lambda: np.zeros(0, int))

    @property
    def max_people(self) -> int:
        return int(self.count.max()) if self.count.size else 0

    def main_boxes(self) -> np.ndarray | None:
        return None if self.main is None else self.boxes[self.main]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class PersonFinder:
    """BlazePose in still-image mode (model complexity 1, as the body stage), as a context manager."""

    def __enter__(self) -> "PersonFinder":
        import mediapipe as mp
        self.pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False,
                                           min_detection_confidence=0.5)
        return self

    def __exit__(self, *exc) -> None:
        self.pose.close()

    def find(self, frame: np.ndarray) -> np.ndarray | None:
        """Box (x0, y0, x1, y1) of the most prominent person's visible landmarks, or None."""
        h, w = frame.shape[:2]
        res = self.pose.process(np.ascontiguousarray(frame))
        if res.pose_landmarks is None:
            return None
        lm = np.array([(p.x * w, p.y * h, p.visibility) for p in res.pose_landmarks.landmark])
        vis = lm[lm[:, 2] >= 0.5, :2]
        if len(vis) < MIN_VISIBLE:
            return None
        (x0, y0), (x1, y1) = vis.min(axis=0), vis.max(axis=0)
        mx, my = 0.15 * (x1 - x0) + 4, 0.12 * (y1 - y0) + 4     # landmarks sit inside the body outline
        return np.array([max(0, x0 - mx), max(0, y0 - 1.5 * my), min(w, x1 + mx), min(h, y1 + my)])


def detect(frame: np.ndarray, finder: PersonFinder) -> np.ndarray:
    """Person boxes [k, 4] in `frame`'s pixels: find the most prominent person, grey out their
    box, search again (at most MAX_PEOPLE; a box overlapping an earlier one ends the search)."""
    img = np.array(frame, copy=True)
    fill = np.median(img.reshape(-1, img.shape[-1]), axis=0).astype(img.dtype)
    boxes: list[np.ndarray] = []
    for _ in range(MAX_PEOPLE):
        b = finder.find(img)
        if b is None or (b[2] - b[0]) < 8 or (b[3] - b[1]) < 8 or any(iou(b, o) > 0.3 for o in boxes):
            break
        boxes.append(b)
        x0, y0, x1, y1 = (int(v) for v in b)
        img[y0:y1, x0:x1] = fill
    return np.array(boxes) if boxes else np.zeros((0, 4))


def link(dets: list[np.ndarray], at: np.ndarray, n: int) -> PeopleTrack:
    """Tracks from per-round detections `dets` made at analysis frames `at` (of `n`)."""
    tracks: list[dict] = []
    for r, (f, boxes) in enumerate(zip(at, dets)):
        free = [t for t in tracks if r - t["last"] <= MAX_GAP]
        used: set[int] = set()
        pairs = sorted(((iou(t["box"], b), ti, bi) for ti, t in enumerate(free) for bi, b in enumerate(boxes)),
                       reverse=True)
        for o, ti, bi in pairs:
            if o < MIN_IOU or bi in used or free[ti]["last"] == r:
                continue
            t = free[ti]
            t["box"], t["last"] = boxes[bi], r
            t["obs"].append((int(f), boxes[bi]))
            used.add(bi)
        for bi, b in enumerate(boxes):
            if bi not in used:
                tracks.append({"box": b, "last": r, "obs": [(int(f), b)]})
    out = PeopleTrack(count=np.zeros(n, int), detected_at=np.asarray(at, int))
    frames = np.arange(n)
    best, best_score = None, 0.0
    for t in tracks:
        if len(t["obs"]) < MIN_HITS:
            continue
        fs = np.array([o[0] for o in t["obs"]])
        bs = np.array([o[1] for o in t["obs"]])
        boxes = np.full((n, 4), np.nan)
        inside = (frames >= fs[0]) & (frames <= fs[-1])
        for k in range(4):
            boxes[inside, k] = np.interp(frames[inside], fs, bs[:, k])
        out.boxes.append(boxes)
        out.count += inside
        score = float(np.mean((bs[:, 2] - bs[:, 0]) * (bs[:, 3] - bs[:, 1]))) * len(fs)
        if score > best_score:
            best, best_score = len(out.boxes) - 1, score
    out.main = best
    return out


def track_people(frames: np.ndarray, fps: float) -> Iterator[float | PeopleTrack]:
    """Generator over the analysis frames [n, h, w, 3]: yields progress, returns a PeopleTrack."""
    n = len(frames)
    step = max(1, int(round(fps / DETECT_FPS))) if fps > 0 else 1
    at = np.arange(0, n, step)
    if len(at) > MAX_DETECT_FRAMES:
        at = np.unique(np.linspace(0, n - 1, MAX_DETECT_FRAMES).round().astype(int))
    finder = yield from in_helper_thread(lambda: PersonFinder().__enter__(), 0.0, "person-finder-load")
    dets = []
    try:
        for k, f in enumerate(at):
            dets.append(detect(frames[f], finder))
            yield (k + 1) / len(at)
    finally:
        finder.__exit__(None, None, None)
    return link(dets, at, n)


def crop_box(box: np.ndarray, w: int, h: int, margin: float = 0.25) -> tuple[int, int, int, int] | None:
    """A crop (x0, y0, x1, y1) around a person box with `margin` on each side, inside the frame."""
    if box is None or not np.all(np.isfinite(box)):
        return None
    bw, bh = box[2] - box[0], box[3] - box[1]
    side = max(bw, bh) * (1 + 2 * margin)
    cx, cy = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    return (x0, y0, x1, y1) if x1 - x0 >= 32 and y1 - y0 >= 32 else None


__all__ = ["PeopleTrack", "PersonFinder", "detect", "link", "track_people", "crop_box", "iou"]
