"""The committed real motion-capture corpus (data/real) and its processing functions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.motion import MotionClip
from app.engine.corpus import paraphrase
from app.engine.corpus.real_mocap import (DEFAULT_PATH, cmu_trials, holdout_split, load_real_corpus,
                                          normalise_window, trim_glitches, window_problem, window_spans)

SHARED = Path(__file__).resolve().parents[3] / "shared"
CMU = SHARED / "data" / "motion" / "cmu"


@pytest.fixture(scope="module")
def windows():
    return load_real_corpus()


def test_committed_corpus_loads_without_shared(windows):
    assert DEFAULT_PATH.exists() and DEFAULT_PATH.stat().st_size < 15e6
    assert len(windows) > 100
    sources = {w.meta["source"] for w in windows}
    assert {"cmu-przestr", "cmu-iclone", "cmu-aclstm", "deepmimic"} <= sources
    for w in windows:
        c = w.clip
        assert c.is_smpl22() and c.fps == 20.0
        assert 2.0 - 1e-9 <= c.duration <= 10.0 + 1e-9
        assert np.isfinite(c.trans).all() and np.isfinite(c.rotations).all()
        assert len(w.texts) >= 3 and all(t.strip() for t in w.texts) and c.text == w.texts[0]
        for key in ("source", "file", "rig", "trial_id", "subject", "group", "start_frame", "licence"):
            assert key in w.meta, key


def test_windows_are_grounded_and_face_plus_z(windows):
    for w in windows[::3]:
        j = w.clip.joints()
        assert abs(j[..., 1].min()) < 2e-3  # lowest joint on the floor
        assert abs(w.clip.facing_angle(0)) < np.radians(1.0)
        assert np.abs(w.clip.trans[0, [0, 2]]).max() < 1e-6
        assert np.linalg.norm(np.diff(j, axis=0), axis=-1).max() * 20 < 16.0  # no broken jumps


def test_no_trial_in_two_rigs_and_groups_split_cleanly(windows):
    rigs: dict[str, set[str]] = {}
    for w in windows:
        rigs.setdefault(w.meta["trial_id"], set()).add(w.meta["rig"])
    assert all(len(r) == 1 for r in rigs.values())
    assert rigs["07_01"] == {"przestr"}  # in both rigs; przestr is preferred
    train, test = holdout_split(windows, 0.15, seed=1)
    assert sorted(train + test) == list(range(len(windows))) and 0.1 < len(test) / len(windows) < 0.35
    assert not {windows[i].meta["group"] for i in train} & {windows[i].meta["group"] for i in test}
    tr_s, te_s = holdout_split(windows, 0.15, seed=1, by="subject")
    assert not {windows[i].meta["subject"] for i in tr_s} & {windows[i].meta["subject"] for i in te_s}
    assert holdout_split(windows, 0.15, seed=1) == (train, test)


def test_salsa_partners_share_a_group(windows):
    groups = {w.meta["trial_id"]: w.meta["group"] for w in windows if w.meta["label"] == "salsa"}
    assert groups["salsa_01"] == groups["salsa_16"] != groups["salsa_02"]


def test_cmu_description_is_cleaned_and_paraphrased():
    texts = paraphrase.cmu_texts("playground - forward jumps, turn around", key="01_01")
    assert texts[0] == "a person jumps forward on a playground, then turns around."
    assert 3 <= len(texts) <= 5 and len(set(texts)) == len(texts)
    assert texts == paraphrase.cmu_texts("playground - forward jumps, turn around", key="01_01")
    assert paraphrase.gerund("sit") == "sitting" and paraphrase.third_person("do") == "does"
    assert paraphrase.label_texts("backflip", cycles=3)[0] == "a person does three backflips in a row."


def test_window_spans_cover_long_takes_with_overlap():
    assert window_spans(30) == []  # 1.5 s: too short
    assert window_spans(150) == [(0, 150)]
    spans = window_spans(700)  # 35 s
    assert spans[0][0] == 0 and spans[-1][1] == 700
    assert all(b - a == 160 for a, b in spans)
    assert all(s1[0] < s0[1] for s0, s1 in zip(spans, spans[1:]))  # overlapping, no gaps


def _standing(n: int = 60) -> MotionClip:
    trans = np.zeros((n, 3))
    trans[:, 1] = 0.95
    trans[:, 2] = np.linspace(0, 2, n)
    return MotionClip(20.0, trans, np.zeros((n, 22, 3)))


def test_glitch_frames_are_trimmed_and_broken_windows_rejected():
    clip = _standing()
    clip.trans[0] += [3.0, 0.0, 0.0]  # a stray first frame
    assert trim_glitches(clip).num_frames == 59
    assert window_problem(clip, floor=0.0).startswith("jump")
    low = _standing()
    low.trans[:, 1] -= np.linspace(0.0, 0.5, 60)  # sinks slowly through the floor
    assert window_problem(low, floor=float(_standing().joints()[..., 1].min())) == "body under the floor"
    ok = normalise_window(_standing().rotated_about_y(1.0))
    assert window_problem(ok, floor=0.0) is None and abs(ok.facing_angle(0)) < 1e-6


@pytest.mark.skipif(not CMU.exists(), reason="needs ../shared CMU data")
def test_cmu_trials_are_deduplicated_preferring_przestr():
    trials = cmu_trials(CMU)
    ids = [t for t, _, _ in trials]
    assert len(ids) == len(set(ids)) and len(ids) > 90
    rig = {t: r for t, r, _ in trials}
    assert rig["07_01"] == "przestr" and rig["01_01"] == "iclone"
