"""The calibrated combination: logistic regression under leave-one-source-out cross-validation,
thresholds from out-of-fold probabilities, honest coverage in the verdict, the shipped model."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.engine.forensics import calib_fit as cf
from app.engine.forensics import calibration as cal


def _synthetic(n_sources: int = 12, per: int = 4, seed: int = 0) -> tuple[list[dict], dict]:
    """Clips whose face jitter separates the labels; other cues are noise or missing."""
    rng = np.random.default_rng(seed)
    rows, feats = [], {}
    for s in range(n_sources):
        for k in range(per):
            gen = (s + k) % 2 == 1
            name = f"s{s}_{k}.mp4"
            vals = {c: float(rng.lognormal(0, 0.5)) for c in cf.CUES}
            vals["face_shape_jitter"] = float(rng.lognormal(np.log(0.02 if gen else 0.005), 0.3))
            if rng.random() < 0.3:
                for c in cal.FAMILY_CUES["hands"]:
                    vals[c] = None
            rows.append({"file": name, "label": "generated" if gen else "real", "repo": f"src{s}"})
            feats[name] = {"values": vals}
    return rows, feats


def test_loso_fit_separates_and_thresholds_limit_false_alarms():
    rows, feats = _synthetic()
    res = cf.run(rows, feats)
    y = np.array([r["label"] == "generated" for r in rows], float)
    assert cf.auroc(y, res["p_oof"]) > 0.9
    model = cal.CalibratedModel.from_dict(json.loads(json.dumps(res["model"])))
    assert model.meta["auroc_oof"] > 0.9
    real_p = res["p_oof"][y == 0]
    assert np.mean(real_p >= model.generated_at) <= 0.05 + 1e-9
    assert model.real_at < model.generated_at
    assert "| clip | label | source |" in res["report"]
    gen = {c: 1.0 for c in cf.CUES} | {"face_shape_jitter": 0.05}
    real = {c: 1.0 for c in cf.CUES} | {"face_shape_jitter": 0.004}
    assert model.probability(gen) > model.probability(real)


def test_a_source_is_never_in_train_and_test(monkeypatch):
    rows, feats = _synthetic(6, 3)
    raw = np.array([[cf.cal.finite_or_nan(feats[r["file"]]["values"].get(c)) for c in cf.CUES] for r in rows])
    y = np.array([r["label"] == "generated" for r in rows], float)
    groups = np.array([r["repo"] for r in rows])
    seen = []
    real_fit = cf._fit

    def spy(raw_tr, y_tr, c):
        seen.append(len(raw_tr))
        return real_fit(raw_tr, y_tr, c)

    monkeypatch.setattr(cf, "_fit", spy)
    p, chosen = cf.loso(raw, y, groups, spec=("logistic", 0.3))
    assert np.isfinite(p).all() and chosen == [("logistic", 0.3)] * 6
    assert seen == [len(rows) - 3] * 6       # each fold trains without the held-out source's 3 clips


def test_missing_cues_are_neutral_and_flagged():
    tr = cal.Transform.fit(np.array([1.0, 2.0, 3.0, np.nan]))
    assert tr.log and tr.apply(np.array([np.nan]))[0] == 0.0
    raw = np.array([[np.nan] * len(cf.CUES)])
    x = cal.design(raw, cf.CUES, [cal.Transform(False, 0, 0, 1)] * len(cf.CUES), list(cal.FAMILY_CUES))
    assert np.all(x == 0)


def _model(**kw) -> cal.CalibratedModel:
    d = dict(cues=cf.CUES, transforms=[cal.Transform(False, 0, 0, 1)] * len(cf.CUES), families=list(cal.FAMILY_CUES),
             coef=np.zeros(len(cf.CUES) + len(cal.FAMILY_CUES)), intercept=-3.0, generated_at=0.7, real_at=0.3)
    d.update(kw)
    return cal.CalibratedModel(**d)


def test_few_families_is_uncertain_never_real_by_default():
    m = _model()                      # a model that would say "real" (p ~ 0.05) on anything
    verdict, notes = cal.decide(m.probability({}), cal.measured_families({}), m)
    assert verdict == "uncertain" and "0 of 8" in notes[0]
    fams = cal.measured_families({"jerk": 1.0, "face_shape_jitter": 0.1, "flicker": 2.0})
    assert fams == ["body", "pixel", "face"]
    assert cal.decide(0.05, fams, m)[0] == "likely real"
    assert cal.decide(0.9, fams, m)[0] == "likely generated"
    assert cal.decide(0.5, fams, m)[0] == "uncertain"


def test_shipped_model_loads_and_is_complete():
    m = cal.load_model()
    assert m is not None  # committed: models/forensics/calibrated.json
    assert len(m.coef) == len(m.cues) + len(m.families)
    assert 0.0 < m.real_at < m.generated_at <= 1.0
    assert set(m.cues) <= set(cf.CUES) and not set(m.cues) & set(cal.UNSCORED)
    p = m.probability({})
    assert 0.0 < p < 1.0
    assert cal.decide(p, [], m)[0] == "uncertain"


def test_dev_set_sources_parse(shared_dir):
    import importlib.util
    from pathlib import Path

    dev = shared_dir / "data" / "videos" / "dev"
    if not (dev / "SOURCES.tsv").is_file():
        pytest.skip("no development set in ../shared")
    spec = importlib.util.spec_from_file_location("fit_forensics", Path(__file__).parents[2] / "scripts" / "fit_forensics.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = mod.read_sources(dev)
    assert len(rows) >= 50
    assert {r["label"] for r in rows} == {"real", "generated"}
    boxes = [r["box"] for r in rows if r["box"]]
    assert boxes and all(len(b) == 4 and b[2] > b[0] and b[3] > b[1] for b in boxes)


def test_combine_calibrated_with_the_shipped_model():
    from app.engine.forensics.scoring import Cue, combine_calibrated, label_of

    m = cal.load_model()
    assert m is not None
    cues = [Cue(name=c, group="x", label=label_of(c), value=float(m.transforms[j].center if not m.transforms[j].log
                                                                   else np.exp(m.transforms[j].center)))
            for j, c in enumerate(m.cues)]
    v = combine_calibrated(cues, 10, m)
    assert v.calibrated and 0.0 < v.probability < 1.0 and v.authenticity == pytest.approx(1 - v.probability)
    assert len(v.families) == len(cal.FAMILY_CUES) == 8 and v.reasons[0].startswith("Calibrated probability of generated")
    few = combine_calibrated([c for c in cues if c.name in cal.FAMILY_CUES["pixel"]], 10, m)
    assert few.verdict == "uncertain" and any("Only 1 of 8" in r for r in few.reasons)


def test_stumps_learn_a_threshold_route_missing_cues_and_round_trip():
    from app.engine.forensics.boost import Stumps, fit_stumps

    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 4))
    y = (x[:, 1] > 0.2).astype(float)
    x[::6, 1] = np.nan                         # unmeasured: routed to its own learned value
    m = fit_stumps(x, y, rounds=40)
    assert m.feature[0] == 1 and np.mean(np.asarray(m.feature) == 1) > 0.7   # mostly the informative cue
    ok = np.isfinite(x[:, 1])
    assert np.mean((m.predict(x[ok]) > 0.5) == (y[ok] > 0.5)) > 0.95
    back = Stumps.from_dict(json.loads(json.dumps(m.to_dict())))
    assert np.allclose(back.predict(x), m.predict(x))


def test_inner_loop_picks_the_model_kind_without_the_test_source(monkeypatch):
    """A cue that only separates through a threshold band (not monotone) favours the stumps; the
    choice is made on the training fold's own leave-one-source-out probabilities."""
    rng = np.random.default_rng(2)
    rows, feats = [], {}
    for s in range(10):
        for k in range(5):
            v = float(rng.uniform(0, 3))
            gen = 1.0 < v < 2.0                 # generated in a middle band only
            vals = {c: float(rng.lognormal(0, 0.5)) for c in cf.CUES} | {"texture_boil": v}
            name = f"s{s}_{k}.mp4"
            rows.append({"file": name, "label": "generated" if gen else "real", "repo": f"src{s}"})
            feats[name] = {"values": vals}
    raw = np.array([[feats[r["file"]]["values"][c] for c in cf.CUES] for r in rows])
    y = np.array([r["label"] == "generated" for r in rows], float)
    groups = np.array([r["repo"] for r in rows])
    trn = groups != "src0"
    spec = cf.choose(raw[trn], y[trn], groups[trn])
    assert spec[0] == "stumps"
    res = cf.run(rows, feats)
    assert cf.auroc(y, res["p_oof"]) > 0.85
    model = cal.CalibratedModel.from_dict(json.loads(json.dumps(res["model"])))
    assert model.kind == "stumps" and model.meta["model"][0] == "stumps"
    assert model.probability({"texture_boil": 1.5}) > model.probability({"texture_boil": 2.8})
