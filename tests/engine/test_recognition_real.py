"""Real-mocap folds by performer and weakly labelled real windows mixed into training batches."""
from __future__ import annotations

import numpy as np

from app.engine.recognition.data import Video, WeakDataset, all_atom_names, real_folds, weak_real


def _real(id_: str, group: str, label: str, t: int = 30) -> Video:
    return Video(id_, np.zeros((t, 4), np.float32), np.zeros((t, 3), np.float32), np.full(t, -1, np.int16),
                 "train", "real", label, {"group": group})


REAL = ([_real(f"w{i}", f"cmu:07_{i:02d}", "walk") for i in range(6)]
        + [_real(f"j{i}", f"cmu:13_{i:02d}", "jump") for i in range(3)]
        + [_real("p0", "cmu:02_05", "punch/strike"), _real("p1", "cmu:02_05", "punch/strike"),
           _real("dw", "deepmimic:walk", "walk"), _real("dk", "deepmimic:kick", "kick"),
           _real("salsa", "cmu:60_01", "salsa")])


def test_folds_keep_each_performer_in_one_fold_and_score_every_window_once():
    folds = real_folds(REAL, 3)
    assert set(folds) == {"cmu:07", "cmu:13", "cmu:02", "deepmimic"}      # salsa is not in the vocabulary
    held_ids: list[str] = []
    for k in range(3):
        train, held = weak_real(REAL, k, 3)
        assert not {v.id for v in train} & {v.id for v in held}
        train_subjects = {folds[v.meta["group"].split("_")[0] if v.meta["group"].startswith("cmu") else "deepmimic"]
                          for v in train}
        assert k not in train_subjects
        held_ids += [v.id for v in held]
    assert sorted(held_ids) == sorted(v.id for v in REAL if v.id != "salsa")
    train, held = weak_real(REAL, -1)
    assert len(train) == 13 and not held


def test_weak_real_windows_carry_their_atom_on_every_frame():
    names = all_atom_names()
    train, _ = weak_real(REAL, -1)
    by_id = {v.id: v for v in train}
    assert by_id["p0"].atoms(names) == {"punch"} and by_id["dk"].atoms(names) == {"kick"}
    assert (by_id["w0"].frames == names.index("walk")).all()


def test_real_windows_are_sampled_by_their_weight():
    names = all_atom_names()
    corpus = [Video(f"c{i}", np.zeros((40, 4), np.float32), np.zeros((40, 3), np.float32),
                    np.full(40, names.index("wave"), np.int16), "train", "procedural") for i in range(200)]
    labels = [n for n in names if n != "clap"]
    train, _ = weak_real(REAL, -1)
    ds = WeakDataset(corpus, labels, ["clap"], real=train, real_weight=20.0)
    assert len(ds) == 213 and ds.targets[-1, labels.index("kick")] == 1.0
    def real_share(d: WeakDataset) -> float:
        rng = np.random.default_rng(0)
        picks = np.concatenate([d.sample(rng, 16) for _ in range(200)])
        return float(np.mean([d.videos[i].source == "real" for i in picks]))

    uniform = WeakDataset(corpus, labels, ["clap"], real=train, real_weight=1.0)
    assert 0.03 < real_share(uniform) < 0.1                # 13 / 213 = 0.06
    assert real_share(ds) > 0.14                            # weighted (at most 13 of a 64-video pool)
    assert len(WeakDataset(corpus, labels, ["clap"])) == 200


def test_windows_of_several_actions_train_with_their_atom_set_and_are_never_scored():
    names = all_atom_names()
    grab = "jump up to grab, reach for, tiptoe"
    videos = REAL + [_real("g13", "cmu:13_10", grab, 31), _real("g14", "cmu:14_07", grab)]
    folds = real_folds(videos, 3)
    assert "cmu:14" not in folds                     # a performer with only multi-action windows is in no fold
    train, held = weak_real(videos, -1, 3, multi=True)
    by_id = {v.id: v for v in train}
    assert by_id["g13"].atoms(names) == {"jump", "raise_arms", "calf_raise"} == by_id["g14"].atoms(names)
    assert not held and len(train) == 15
    train, held = weak_real(videos, folds["cmu:13"], 3, multi=True)
    assert "g13" not in {v.id for v in train + held}            # its performer is held out: not trained on
    assert "g14" in {v.id for v in train}
    assert {"j0", "j1", "j2"} <= {v.id for v in held} and not any(v.meta.get("multi") for v in held)
    assert "g13" not in {v.id for v in weak_real(videos, -1, 3)[0]}    # off by default
