"""Paced samples: counted actions whose length is not fixed by their count (issue 11, session 34)."""
from __future__ import annotations

from collections import Counter

import numpy as np

from app.engine.corpus.paced import (N_PACED_SAMPLES, TAIL_S, _tempo_ok, counted_atoms, make_paced_sample,
                                     paced_split)
from app.engine.evaluator.kinematics import Kin
from app.engine.evaluator.predicates import jump_count
from app.engine.t2m.data import iter_items


def _first(atom: str, want: int = 1) -> list[tuple]:
    out = []
    for i in range(N_PACED_SAMPLES):
        s = make_paced_sample(i)
        if s[3]["atoms"][0][0] == atom:
            out.append(s)
            if len(out) == want:
                break
    return out


def test_counted_atoms_carry_a_count_or_an_angle() -> None:
    names = counted_atoms()
    assert {"jump", "clap", "turn", "spin", "wave", "hop"} <= set(names)
    assert not {"walk", "idle", "sit_down", "stand_up", "stretch"} & set(names)


def test_jumps_keep_their_count_and_end_standing_still() -> None:
    for clip, texts, _, meta in _first("jump", 3):
        reps = sum(p["reps"] for _, p in meta["atoms"])
        assert jump_count(Kin.from_clip(clip)) == reps, (texts, meta)
        tail = clip.segments[-1]
        assert tail.label == "idle" and clip.duration - tail.start >= TAIL_S[0] - 0.1
        still = clip.slice(int(tail.start * clip.fps) + 8, clip.num_frames)
        if still.num_frames > 2:
            assert np.abs(np.diff(still.trans[:, 1])).max() < 0.01  # no hop hidden in the tail
        assert not any("idle" in t or "still" in t for t in texts)


def test_standing_time_varies_so_length_does_not_give_the_count() -> None:
    standing = [m["lead_s"] + m["tail_s"] for _, _, _, m in (make_paced_sample(i) for i in range(30))]
    assert min(standing) < 1.0 and max(standing) > 2.5, standing
    lengths = {}
    for clip, _, _, m in _first("jump", 12):
        lengths.setdefault(sum(p["reps"] for _, p in m["atoms"]), []).append(clip.duration)
    assert any(max(v) - min(v) > 0.5 for v in lengths.values()), lengths


def test_tempo_only_where_the_text_stays_true() -> None:
    assert not _tempo_ok("jump", {"reps": 1})
    assert not _tempo_ok("clap", {"reps": 2, "speed": "slow"}) and _tempo_ok("clap", {"reps": 2, "speed": "normal"})
    for i in range(60):
        _, _, _, meta = make_paced_sample(i)
        name, p = meta["atoms"][0]
        assert meta["tempo"] == 1.0 or _tempo_ok(name, p)


def test_paced_samples_are_deterministic_and_split_on_their_own() -> None:
    a, b = make_paced_sample(5), make_paced_sample(5)
    assert np.array_equal(a[0].trans, b[0].trans) and a[1] == b[1] and a[2] == paced_split(5)
    counts = Counter(paced_split(i) for i in range(N_PACED_SAMPLES))
    assert counts["train"] > 0.75 * N_PACED_SAMPLES and counts["val"] >= 50 and counts["test"] >= 50
    val = [r[0] for r in iter_items("val", n_procedural=0, include_real=False, prefer_corpus=False,
                                    include_start=False, include_paced=True)]
    assert len(val) == counts["val"] and all(paced_split(int(i.split("_")[1])) == "val" for i in val)
    assert [r[0] for r in iter_items("val", n_procedural=0, include_real=False, prefer_corpus=False,
                                     include_start=False)] == []
