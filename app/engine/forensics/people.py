"""Several people: detect and follow each person, so a crowd is not read as one jittering body.

The OpenCV 5 wheel has no HOG people detector any more, so people are found with the BlazePose
model the body stage already loads (inside the mediapipe wheel: nothing is downloaded): on
every few analysis frames, BlazePose in still-image mode finds the most prominent person, whose
landmark box is then greyed out and the search repeats, up to :data:`MAX_PEOPLE`. Detections
are linked into tracks (:func:`link`: constant-velocity or still prediction, a cost of box
overlap, centre distance, size change and clothing colour, a one-to-one assignment, tracks that
survive a few missed rounds, then fragments joined when their ends line up) and interpolated in
between. The **main person** is the joined track with the largest (mean box area x rounds seen). When two or more people are seen together, :func:`pose_cues.track_pose` runs
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
MAX_GAP = 3               # detection rounds a track may miss while linking
MERGE_GAP = 6             # rounds between two fragments that may still be joined (~1.5 s)
MAX_SHIFT = 0.6           # centre distance from the prediction, in box heights per round of gap
MAX_SCALE = 2.5           # box height change allowed between a prediction and a detection (the box spans the
                          # visible landmarks: it halves when the legs leave the frame or are hidden)
APPEARANCE_WEIGHT = 1.0   # weight of the clothing-colour distance (Bhattacharyya, 0..1) in the link cost
MAX_APPEARANCE = 0.6      # colour distance above which two fragments are never joined
MISS_COST = 2.0           # a track and a detection are linked only when their cost is below this
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


def _centre(b: np.ndarray) -> np.ndarray:
    return np.array([0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])])


def _shifted(b: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.array([b[0] + d[0], b[1] + d[1], b[2] + d[0], b[3] + d[1]])


Obs = tuple  # (analysis frame, box [4], colour histogram [64] or None)


def _velocity(obs: list[Obs], head: bool = False) -> np.ndarray:
    """Centre velocity (pixels per analysis frame) from the last two observations of a track (the
    first two when `head`); zero with one observation."""
    if len(obs) < 2:
        return np.zeros(2)
    o0, o1 = (obs[0], obs[1]) if head else (obs[-2], obs[-1])
    return (_centre(o1[1]) - _centre(o0[1])) / max(1, o1[0] - o0[0])


def _predict(obs: list[Obs], f: int, rounds: int = 1) -> np.ndarray:
    """A track's box at frame `f`, `rounds` detection rounds away, under constant velocity from its
    last observation (or, for a frame before its first, backwards from its first), keeping the box
    size. The shift is capped at MAX_SHIFT box heights per round, so one jittery box cannot throw
    the prediction out of the gate."""
    head = f < obs[0][0]
    f0, b0 = (obs[0] if head else obs[-1])[:2]
    d = _velocity(obs, head) * (f - f0)
    h = max(1.0, b0[3] - b0[1])
    cap = MAX_SHIFT * h * max(1, rounds)
    norm = float(np.hypot(*d))
    if norm > cap:
        d = d * cap / norm
    return _shifted(b0, d)


def _colours(obs: list[Obs], last: int | None = None) -> np.ndarray | None:
    """Mean colour histogram of a track's observations (its `last` ones when given)."""
    hs = [o[2] for o in (obs if last is None else obs[-last:]) if o[2] is not None]
    return np.mean(hs, axis=0) if hs else None


def appearance(frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Clothing colour of each person box [k, 4] in `frame` (RGB): a normalised histogram [k, 64]
    of the box's central part (the middle 60 % of its width, the top 90 % of its height: less
    background, no floor): 12 hues x 3 saturation levels for coloured pixels, 16 brightness levels
    for pixels with little saturation or light, so black, white and grey clothes differ too."""
    import cv2

    out = np.zeros((len(boxes), 64), np.float32)
    h, w = frame.shape[:2]
    for i, b in enumerate(boxes):
        bw, bh = b[2] - b[0], b[3] - b[1]
        x0, x1 = int(max(0, b[0] + 0.2 * bw)), int(min(w, b[2] - 0.2 * bw))
        y0, y1 = int(max(0, b[1])), int(min(h, b[1] + 0.9 * bh))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        hsv = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(int)
        grey = (hsv[:, 1] < 40) | (hsv[:, 2] < 40)
        coloured = (hsv[:, 0] * 12 // 180) * 3 + np.minimum(2, (hsv[:, 1] - 40) * 3 // 216)
        idx = np.where(grey, 48 + np.minimum(15, hsv[:, 2] // 16), np.clip(coloured, 0, 47))
        hist = np.bincount(idx, minlength=64).astype(np.float32)
        out[i] = hist / max(1.0, hist.sum())
    return out


def colour_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance (0 = same colours, 1 = disjoint) of two normalised histograms; 0 when
    either is missing (boxes only)."""
    if a is None or b is None or a.sum() <= 0 or b.sum() <= 0:
        return 0.0
    return float(np.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(a * b))))))


def link_cost(pred: np.ndarray, box: np.ndarray, rounds: int = 1) -> float:
    """Geometric cost of a detection `box` continuing a track predicted at `pred`: (1 - IoU) +
    centre distance in box heights + |log height ratio| / 2; inf outside the gate (centre further than
    MAX_SHIFT box heights per round of gap, or height changed by more than MAX_SCALE). Lower is
    better; :func:`link` adds the clothing-colour distance."""
    h = 0.5 * ((pred[3] - pred[1]) + (box[3] - box[1]))
    if h <= 0:
        return float("inf")
    dist = float(np.hypot(*(_centre(pred) - _centre(box)))) / h
    scale = abs(float(np.log(max(1e-6, box[3] - box[1]) / max(1e-6, pred[3] - pred[1]))))
    if dist > MAX_SHIFT * max(1, rounds) or scale > np.log(MAX_SCALE):
        return float("inf")
    return (1.0 - iou(pred, box)) + dist + 0.5 * scale


def _track_cost(obs: list[Obs], f: int, box: np.ndarray, rounds: int) -> float:
    """:func:`link_cost` of `box` at frame `f` against a track, the better of two motion models:
    constant velocity (:func:`_predict`) and standing still (the nearest observed box). Velocity
    from two jittery BlazePose boxes a quarter second apart is often noise, and run over a gap it
    can carry a track onto the next person; people also stop and start."""
    still = obs[0][1] if f < obs[0][0] else obs[-1][1]
    return min(link_cost(_predict(obs, f, rounds), box, rounds), link_cost(still, box, rounds))


def _assign(cost: np.ndarray, miss: float = MISS_COST) -> list[tuple[int, int]]:
    """Minimum-cost one-to-one assignment of tracks (rows) to detections (columns) in which leaving
    a track unmatched or starting a new track costs `miss` / 2 each, so a pair is only linked when
    that is cheaper than leaving both apart, and more links are never bought with a bad one;
    gated pairs (inf) are never chosen."""
    from scipy.optimize import linear_sum_assignment

    t, d = cost.shape
    if t == 0 or d == 0:
        return []
    big = 1e6
    full = np.full((t + d, d + t), big)
    full[:t, :d] = np.where(np.isfinite(cost), cost, big)
    full[:t, d:][np.eye(t, dtype=bool)] = miss / 2
    full[t:, :d][np.eye(d, dtype=bool)] = miss / 2
    full[t:, d:] = 0.0
    rows, cols = linear_sum_assignment(full)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if r < t and c < d and full[r, c] < miss]


def _merge_fragments(tracks: list[list[Obs]], at: np.ndarray) -> list[list[Obs]]:
    """Join track fragments that do not overlap in time, end and start at most MERGE_GAP rounds
    apart, whose end and start boxes are consistent both ways (the end run forward matches the
    start and the start run backward matches the end, :func:`_track_cost`) and whose clothing
    colours differ by at most MAX_APPEARANCE; the worse of the two directions plus the colour
    distance must stay below MISS_COST, as a link would. The cheapest such pair is joined first;
    repeated until none is left."""
    rnd = {int(f): r for r, f in enumerate(at)}
    tracks = [list(t) for t in tracks]
    while True:
        best, pair = float("inf"), None
        for i, a in enumerate(tracks):
            for j, b in enumerate(tracks):
                if i == j or a[-1][0] >= b[0][0]:
                    continue
                gap = rnd[b[0][0]] - rnd[a[-1][0]]
                if gap > MERGE_GAP:
                    continue
                col = colour_distance(_colours(a), _colours(b))
                if col > MAX_APPEARANCE:
                    continue
                fwd = _track_cost(a, b[0][0], b[0][1], gap)
                back = _track_cost(b, a[-1][0], a[-1][1], gap)
                c = max(fwd, back) + APPEARANCE_WEIGHT * col
                if c < min(best, MISS_COST):
                    best, pair = c, (i, j)
        if pair is None:
            return tracks
        i, j = pair
        tracks[i] = tracks[i] + tracks[j]
        del tracks[j]


def link(dets: list[np.ndarray], at: np.ndarray, n: int, colours: list[np.ndarray] | None = None) -> PeopleTrack:
    """Tracks from per-round detections `dets` made at analysis frames `at` (of `n`), with each
    detection's clothing-colour histogram (`colours`, from :func:`appearance`) when given.

    Each round, live tracks (last seen at most MAX_GAP rounds ago) are predicted to the round's
    frame under constant velocity and matched one-to-one to the detections by minimum total cost
    (:func:`link_cost` + APPEARANCE_WEIGHT x colour distance to the track's last five boxes;
    Hungarian assignment with a cost for leaving either unmatched, :func:`_assign`). A greedy IoU
    match let a neighbour's track take over a person in a crowd. Unmatched detections start tracks.
    Fragments are then joined (:func:`_merge_fragments`), tracks seen fewer than MIN_HITS times
    dropped, and the main person is the merged track with the largest mean box area x rounds seen."""
    at = np.asarray(at, int)
    tracks: list[dict] = []
    for r, (f, boxes) in enumerate(zip(at, dets)):
        cols = colours[r] if colours is not None else [None] * len(boxes)
        live = [t for t in tracks if r - t["last"] <= MAX_GAP]
        cost = np.full((len(live), len(boxes)), np.inf)
        for ti, t in enumerate(live):
            gap = r - t["last"]
            tc = _colours(t["obs"], 5)
            for bi, b in enumerate(boxes):
                cost[ti, bi] = _track_cost(t["obs"], int(f), b, gap) + APPEARANCE_WEIGHT * colour_distance(tc, cols[bi])
        used: set[int] = set()
        for ti, bi in _assign(cost):
            live[ti]["last"] = r
            live[ti]["obs"].append((int(f), boxes[bi], cols[bi]))
            used.add(bi)
        for bi, b in enumerate(boxes):
            if bi not in used:
                tracks.append({"last": r, "obs": [(int(f), b, cols[bi])]})
    merged = _merge_fragments([t["obs"] for t in tracks], at)
    out = PeopleTrack(count=np.zeros(n, int), detected_at=at)
    frames = np.arange(n)
    best, best_score = None, 0.0
    for obs in merged:
        if len(obs) < MIN_HITS:
            continue
        fs = np.array([o[0] for o in obs])
        bs = np.array([o[1] for o in obs])
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
    dets, colours = [], []
    try:
        for k, f in enumerate(at):
            dets.append(detect(frames[f], finder))
            colours.append(appearance(frames[f], dets[-1]))
            yield (k + 1) / len(at)
    finally:
        finder.__exit__(None, None, None)
    return link(dets, at, n, colours)


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


__all__ = ["PeopleTrack", "PersonFinder", "detect", "appearance", "colour_distance", "link", "link_cost",
           "track_people", "crop_box", "iou"]
