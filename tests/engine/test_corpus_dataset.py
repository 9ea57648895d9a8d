"""Corpus build/load: determinism, lossless-enough storage, and splits that do not leak."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from app.engine.corpus import splits as S
from app.engine.corpus.dataset import _texts, build_corpus, load_corpus, make_sample
from app.engine.corpus.describe import T, phrase
from app.engine.corpus.registry import ATOMS, resolve_params

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "data" / "real" / "real_mocap.npz"
N = 40


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, n=N, seed=3, workers=1, real_path=out / "no_real.npz")
    return out


def _literal(template: str) -> str:
    return template.split("{")[0].strip()


def _distinctive_heldout() -> dict[str, str]:
    """Atom -> literal prefix of its held-out template that no other template contains."""
    others = [t for name, ts in T.items() for i, t in enumerate(ts) if i not in S.heldout_template_ids(name)]
    out = {}
    for name in T:
        for i in S.heldout_template_ids(name):
            lit = _literal(T[name][i])
            if len(lit) > 10 and not any(lit in _literal(o) or lit in o for o in others):
                out[name] = lit
    return out


def test_sample_is_deterministic() -> None:
    a, b = make_sample(5, 1), make_sample(5, 1)
    assert a[1] == b[1] and a[2] == b[2] and a[3] == b[3]
    np.testing.assert_array_equal(a[0].rotations, b[0].rotations)
    assert make_sample(6, 1)[1] != a[1]


def test_round_trip_and_splits_file(tiny: Path) -> None:
    items = load_corpus(tiny, include_real=False)
    assert len(items) == N and len({it.id for it in items}) == N
    for it in items[:4]:
        clip = make_sample(int(it.id.split("_")[1]), 3)[0]
        assert np.abs(clip.joints() - it.clip.joints()).max() < 2e-3  # quantisation error under 2 mm
        assert it.texts and len(it.texts) == 3 and it.clip.text == it.texts[0]
        assert [s.label for s in it.clip.segments] == [a for a, _ in it.meta["atoms"]]
        assert it.features.shape == (it.clip.num_frames - 1, 263)
        assert 30 <= it.clip.num_frames <= 200
    sp = json.loads((tiny / "splits.json").read_text())
    for split in S.SPLITS:
        assert sp["procedural"][split] == [it.id for it in items if it.split == split]
        assert [it.id for it in load_corpus(tiny, split, include_real=False)] == sp["procedural"][split]
    assert sp["policy"]["heldout_pairs"] and sp["policy"]["heldout_ranges"]


def test_train_and_val_hold_nothing_out(tiny: Path) -> None:
    held_text = _distinctive_heldout()
    assert len(held_text) > 10
    for it in load_corpus(tiny, include_real=False):
        names = [a for a, _ in it.meta["atoms"]]
        if it.split == "test":
            continue
        assert not any(S.pair_heldout(*p) for p in S.sequence_pairs(names)), it.id
        assert not any(S.param_heldout(a, p) for a, p in it.meta["atoms"]), it.id
        assert not it.meta["novel_phrasing"]
        for name in names:
            if name in held_text:
                assert held_text[name] not in " ".join(it.texts), (it.id, held_text[name])


def test_heldout_templates_only_with_novel_flag() -> None:
    held_text = _distinctive_heldout()
    rng = np.random.default_rng(0)
    seen_novel = 0
    for name, lit in held_text.items():
        p = resolve_params(name, {})
        for _ in range(6):
            assert lit not in " ".join(_texts([(name, p)], rng, [False, False, False]))
        seen_novel += any(lit in t for t in _texts([(name, p)], rng, [True, True, True]))
    assert seen_novel > len(held_text) // 2


def test_phrase_only_restricts_templates() -> None:
    rng = np.random.default_rng(1)
    p = resolve_params("bow", {})
    texts = {phrase("bow", p, rng, only=[1]) for _ in range(10)}
    assert texts == {"takes a bow"}


def test_turns_around_only_for_half_turns() -> None:
    """'turns around' means about 180 degrees (the prompt suite's turn-around check needs > 135):
    a quarter turn is never described as turning around; a half turn can be."""
    rng = np.random.default_rng(0)
    quarter = {phrase("turn", {"side": "left", "angle": a}, rng) for a in (50.0, 90.0, 130.0) for _ in range(40)}
    half = {phrase("turn", {"side": "left", "angle": 175.0}, rng) for _ in range(40)}
    assert not any("around" in t for t in quarter)
    assert "turns around to the left" in half and all("right" not in t for t in half)


def test_param_and_pair_rules() -> None:
    S.validate_constants()
    assert S.param_heldout("walk", {"speed": 1.7}) and not S.param_heldout("walk", {"speed": 1.2})
    assert S.param_heldout("wave", {"reps": 5}) and not S.param_heldout("wave", {"reps": 3})
    assert S.pair_heldout("wave", "jump") and not S.pair_heldout("jump", "wave")
    for a, b in S.HELDOUT_PAIRS:
        assert ATOMS[a].end == ATOMS[b].start


def test_group_split_is_stable_and_balanced() -> None:
    groups = [f"cmu:{i:02d}_{j:02d}" for i in range(1, 30) for j in range(1, 8)]
    first = [S.group_split(g, 0) for g in groups]
    assert first == [S.group_split(g, 0) for g in groups]
    frac = {s: first.count(s) / len(groups) for s in S.SPLITS}
    assert 0.7 < frac["train"] < 0.9 and 0.04 < frac["test"] < 0.18


def test_real_windows_split_by_group(tiny: Path) -> None:
    items = [it for it in load_corpus(tiny, real_path=REAL) if it.source == "real"]
    assert items
    where: dict[str, set] = {}
    for it in items:
        where.setdefault(it.meta["group"], set()).add(it.split)
        trial = it.meta["trial_id"]
        assert re.sub(r"@\d+$", "", it.id) == trial
    assert all(len(s) == 1 for s in where.values())
    assert {s for ss in where.values() for s in ss} == set(S.SPLITS)


def test_committed_corpus_is_small_and_consistent() -> None:
    folder = REPO / "data" / "corpus"
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    assert size < 40e6
    sp = json.loads((folder / "splits.json").read_text())
    ids = [set(sp["procedural"][s]) | set(sp["real_windows"][s]) for s in S.SPLITS]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    groups = [set(sp["real_groups"][s]) for s in S.SPLITS]
    assert not (groups[0] & groups[2]) and not (groups[0] & groups[1])


def test_repeats_of_a_counted_atom_say_the_total_count() -> None:
    """Two clap bouts of 3 and 6 claps are "claps nine times" (before session 35: "claps twice"), and the
    prompt slots read that total; steps are not counted; an atom without a count says how often it repeats."""
    from app.engine.corpus.describe import repeat_phrase
    from app.engine.t2m.text_cond import parse_slots

    clap = [resolve_params("clap", {"reps": 3}), resolve_params("clap", {"reps": 6})]
    assert repeat_phrase("clap", clap, "claps") == "claps nine times"
    assert parse_slots("a man " + repeat_phrase("clap", clap, "claps"))[3] == 9
    hops = [resolve_params("hop", {"reps": 4, "side": "left"}), resolve_params("hop", {"reps": 1, "side": "left"})]
    assert "five times" in repeat_phrase("hop", hops, "hops") and "left" in repeat_phrase("hop", hops, "hops")
    kicks = [resolve_params("kick", {"reps": 2, "side": "left"}), resolve_params("kick", {"reps": 1, "side": "right"})]
    assert repeat_phrase("kick", kicks, "kicks") == "kicks three times"
    walks = [resolve_params("walk", {"steps": 8}), resolve_params("walk", {"steps": 5})]
    assert not re.search(r"twice|times", repeat_phrase("walk", walks, "walks"))
    assert repeat_phrase("bow", [resolve_params("bow", {}), resolve_params("bow", {})], "bows") == "bows twice"
