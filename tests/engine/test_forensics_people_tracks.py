"""The person tracker on synthetic box sequences: people crossing, a person missed for a few
rounds, a fast mover, a neighbour's track that must not take a person over (boxes from the OpenPose
street-dance dev clip), fragments joined or kept apart, and the clothing-colour distance. Diagnosis and dev-clip tracks:
docs/benchmarks.md (Forensics, "Several people")."""
from __future__ import annotations

import numpy as np

from app.engine.forensics import people as ppl


def _box(cx: float, cy: float, w: float = 60, h: float = 180) -> np.ndarray:
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _x(tr: ppl.PeopleTrack, i: int) -> np.ndarray:
    b = tr.boxes[i]
    return 0.5 * (b[:, 0] + b[:, 2])


def _starting_at(tr: ppl.PeopleTrack, x: float) -> int:
    """Index of the track whose first box is centred nearest `x`."""
    firsts = [_x(tr, i)[np.isfinite(_x(tr, i))][0] for i in range(len(tr.boxes))]
    return int(np.argmin([abs(f - x) for f in firsts]))


def test_two_people_crossing_keep_their_directions():
    """Two walkers cross; at the crossing round only the front one is detected (the search greys it
    out). Each track must keep walking its own way (constant velocity beats 'nearest box')."""
    at = np.arange(0, 12 * 6, 6)
    dets = []
    for r in range(12):
        a, b = _box(100 + 30 * r, 200), _box(430 - 30 * r, 200)
        dets.append(np.array([a]) if r in (5, 6) and abs(a[0] - b[0]) < 40 else np.array([a, b]))
    tr = ppl.link(dets, at, int(at[-1]) + 1)
    assert len(tr.boxes) == 2
    for start, sign in ((100, +1), (430, -1)):
        x = _x(tr, _starting_at(tr, start))
        x = x[np.isfinite(x)]
        assert len(x) == at[-1] + 1                      # followed from the first round to the last
        assert np.all(sign * np.diff(x) >= -1e-6)        # never turns back onto the other walker
        assert abs(x[-1] - (start + sign * 330)) < 1


def test_a_person_missed_for_two_rounds_stays_one_track():
    at = np.arange(0, 40, 4)
    dets = []
    for r in range(10):
        walker = _box(100 + 12 * r, 220)
        stander = _box(420, 200, 50, 150)
        dets.append(np.array([stander]) if r in (4, 5) else np.array([walker, stander]))
    tr = ppl.link(dets, at, 40)
    assert len(tr.boxes) == 2 and tr.max_people == 2
    w = _starting_at(tr, 100)
    x = _x(tr, w)
    assert np.isfinite(x[: at[-1] + 1]).all()            # the two missed rounds are interpolated
    assert abs(x[at[5]] - (100 + 12 * 5)) < 1


def test_a_fast_person_is_one_track():
    """Half a box height per round: consecutive boxes barely overlap (IoU < 0.3 broke the old
    tracker into one fragment per round)."""
    at = np.arange(0, 10 * 3, 3)
    dets = [np.array([_box(60 + 90 * r, 200)]) for r in range(10)]
    assert ppl.iou(dets[0][0], dets[1][0]) < 0.3
    tr = ppl.link(dets, at, 30)
    assert len(tr.boxes) == 1 and tr.max_people == 1 and tr.main == 0


def test_a_neighbour_does_not_take_the_dancer_over():
    """Rounds 2-6 of the OpenPose street dance (boxes as found by BlazePose, 480 px analysis
    frames): the dancer (right) and a man beside her. Greedy IoU gave the man's track the dancer's
    box at round 6 (IoU 0.37 against the dancer's own 0.36); the assignment keeps both."""
    dancer = [[239, 34, 296, 196], [251, 27, 290, 193], [250, 35, 292, 193], [254, 46, 296, 209], [217, 39, 284, 205]]
    man = [[165, 36, 216, 158], None, [176, 34, 245, 156], [172, 48, 266, 175], [178, 42, 215, 165]]
    at = np.array([24, 36, 48, 60, 72])
    dets = [np.array([d] + ([m] if m is not None else []), float) for d, m in zip(dancer, man)]
    tr = ppl.link(dets, at, 73)
    assert len(tr.boxes) == 2
    d = tr.boxes[_starting_at(tr, 267)]
    np.testing.assert_allclose(d[72], dancer[-1])
    np.testing.assert_allclose(d[24], dancer[0])
    m = tr.boxes[_starting_at(tr, 190)]
    np.testing.assert_allclose(m[72], man[-1])


def test_fragments_are_joined_and_distinct_people_are_not():
    """A walker lost for five rounds (more than a live track waits) is joined again when the two
    fragments line up; a person who leaves on the left is not joined to one who enters far right."""
    at = np.arange(0, 16 * 4, 4)
    walker = [np.array([_box(100 + 10 * r, 220)]) if not 5 <= r <= 9 else np.zeros((0, 4)) for r in range(16)]
    tr = ppl.link(walker, at, int(at[-1]) + 1)
    assert len(tr.boxes) == 1 and np.isfinite(tr.boxes[0][: at[-1] + 1]).all()
    two = [np.array([_box(80 - 5 * r, 200)]) if r < 5 else
           np.array([_box(500, 200)]) if r > 9 else np.zeros((0, 4)) for r in range(16)]
    tr = ppl.link(two, at, int(at[-1]) + 1)
    assert len(tr.boxes) == 2 and tr.max_people == 1


def test_an_unmatched_track_is_cheaper_than_a_bad_link():
    """More links are never bought with a bad one: a plain minimum-cost assignment links as many
    pairs as it can (here: track 0 to its poor second choice so that track 1 gets detection 0);
    with a cost for leaving a track or a detection alone, track 0 keeps its good match."""
    cost = np.array([[0.5, ppl.MISS_COST - 0.05], [0.6, np.inf]])
    assert ppl._assign(cost) == [(0, 0)]
    assert ppl._assign(np.array([[0.9, np.inf], [1.0, 0.2]])) == [(0, 0), (1, 1)]
    assert ppl._assign(np.zeros((0, 2))) == []


def test_clothing_colour_tells_people_apart():
    frame = np.full((240, 320, 3), 128, np.uint8)
    frame[40:200, 40:100] = (200, 30, 30)       # red shirt
    frame[40:200, 200:260] = (30, 40, 200)      # blue shirt
    frame[40:200, 130:170] = (20, 20, 20)       # black coat
    boxes = np.array([[40, 40, 100, 200], [200, 40, 260, 200], [130, 40, 170, 200]], float)
    h = ppl.appearance(frame, boxes)
    np.testing.assert_allclose(h.sum(axis=1), 1.0, atol=1e-5)
    assert ppl.colour_distance(h[0], h[0]) < 1e-3
    assert ppl.colour_distance(h[0], h[1]) > 0.9 and ppl.colour_distance(h[0], h[2]) > 0.9
    assert ppl.colour_distance(h[0], None) == 0.0
