"""Fitting and judging the calibrated combination (used by ``scripts/fit_forensics.py``).

Three kinds of model: L2-regularised logistic regression (scipy L-BFGS) on :func:`calibration.design`
features, the same on the cues that pass a univariate screen on the training clips (single-cue
AUROC at least 0.1 from chance), and boosted decision stumps (:mod:`boost`) on the raw cues
(NaN = unmeasured). They
are judged under leave-one-source-out cross-validation: every clip's probability comes from a
model that saw no clip of its source; the kind and its setting (regularisation strength,
number of stumps) are picked by an inner leave-one-source-out loop on the training fold only.
Thresholds for the verdict are chosen on
the pooled out-of-fold probabilities: "likely generated" from the point where at most 5 % of
the real clips are above it, "likely real" up to where at most 10 % of generated clips are below.
"""
from __future__ import annotations

import logging
import math

import numpy as np
from scipy.optimize import minimize

from . import calibration as cal
from .boost import fit_stumps
from .reference import distribution

log = logging.getLogger(__name__)

C_GRID = (0.1, 0.3, 1.0, 3.0)
STUMP_GRID = (30, 100)          # boosting rounds (shrinkage 0.1, at least 4 clips per side)
SCREEN = 0.1                    # "screened": keep cues whose training-fold AUROC is >= 0.5 + this from chance
SPECS = ([("logistic", c) for c in C_GRID] + [("screened", c) for c in C_GRID]
         + [("stumps", float(r)) for r in STUMP_GRID])
MAX_REAL_AS_GENERATED = 0.05
MAX_GENERATED_AS_REAL = 0.10
MIN_FAMILIES = 3
CUES = [c for names in cal.FAMILY_CUES.values() for c in names]


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """(coef, intercept) minimising the class-balanced mean log-loss + ||w||^2 / (2 C n): each
    class carries half the weight, so an unbalanced training fold does not shift the prior."""
    n, d = x.shape
    lam = 1.0 / (c * n)
    pos = max(float(y.sum()), 1.0)
    neg = max(float(n - y.sum()), 1.0)
    sw = np.where(y > 0.5, 0.5 * n / pos, 0.5 * n / neg)

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float(np.mean(sw * (np.logaddexp(0.0, z) - y * z))) + 0.5 * lam * float(w @ w)
        g = sw * (p - y)
        return loss, np.r_[x.T @ g / n + lam * w, g.mean()]

    res = minimize(f, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[:d], float(res.x[d])


def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (ties count half)."""
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(gt / (len(pos) * len(neg)))


def tpr_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float = 0.05) -> tuple[float, float]:
    """(TPR, threshold) at the lowest threshold whose false-positive rate is at most `fpr`."""
    neg = np.sort(s[y == 0])[::-1]
    k = int(math.floor(fpr * len(neg)))          # real clips allowed above the threshold
    thr = neg[k] + 1e-9 if k < len(neg) else -np.inf
    return float(np.mean(s[y == 1] >= thr)), float(thr)


def screen(raw: np.ndarray, y: np.ndarray, margin: float = SCREEN) -> np.ndarray:
    """Cues whose single-cue AUROC on these (training) clips is at least `margin` from chance."""
    keep = np.zeros(raw.shape[1], bool)
    for j in range(raw.shape[1]):
        ok = np.isfinite(raw[:, j])
        if ok.sum() >= 6 and 0 < y[ok].sum() < ok.sum():
            keep[j] = abs(auroc(y[ok], raw[ok, j]) - 0.5) >= margin
    return keep


def _fit(raw: np.ndarray, y: np.ndarray, spec: tuple[str, float]) -> dict:
    kind, param = spec
    tr = [cal.Transform.fit(raw[:, j]) for j in range(raw.shape[1])]
    if kind == "stumps":
        return {"kind": kind, "transforms": tr, "stumps": fit_stumps(raw, y, rounds=int(param)), "spec": spec}
    x = cal.design(raw, CUES, tr, list(cal.FAMILY_CUES))
    cols = np.ones(x.shape[1], bool)
    if kind == "screened":           # cue columns off unless they pass; family indicators stay
        cols[:raw.shape[1]] = screen(raw, y)
    w = np.zeros(x.shape[1])
    w[cols], b = fit_logistic(x[:, cols], y, param)
    return {"kind": kind, "transforms": tr, "coef": w, "intercept": b, "spec": spec}


def _predict(m: dict, raw: np.ndarray) -> np.ndarray:
    if m["kind"] == "stumps":
        return m["stumps"].predict(raw)
    x = cal.design(raw, CUES, m["transforms"], list(cal.FAMILY_CUES))
    return 1.0 / (1.0 + np.exp(-(x @ m["coef"] + m["intercept"])))


def loso(raw: np.ndarray, y: np.ndarray, groups: np.ndarray, spec: tuple[str, float] | None = None,
         specs: list | None = None) -> tuple[np.ndarray, list]:
    """Out-of-fold probabilities; with spec=None each outer fold picks the model by inner LOSO."""
    p = np.full(len(y), np.nan)
    chosen = []
    for g in np.unique(groups):
        test = groups == g
        trn = ~test
        sp = spec if spec is not None else choose(raw[trn], y[trn], groups[trn], specs)
        chosen.append(sp)
        p[test] = _predict(_fit(raw[trn], y[trn], sp), raw[test])
    return p, chosen


def choose(raw: np.ndarray, y: np.ndarray, groups: np.ndarray, specs: list | None = None) -> tuple[str, float]:
    """The model (kind, setting) with the best leave-one-source-out AUROC on these clips."""
    specs = specs or SPECS
    best, best_s = -1.0, specs[0]
    for sp in specs:
        p, _ = loso(raw, y, groups, sp)
        a = auroc(y, p)
        if a > best + 1e-9:
            best, best_s = a, sp
    return best_s


def thresholds(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(generated_at, real_at) from out-of-fold probabilities."""
    _, gen_at = tpr_at_fpr(y, p, MAX_REAL_AS_GENERATED)
    gen_at = float(max(gen_at, 0.5))
    pos = np.sort(p[y == 1])
    k = int(math.floor(MAX_GENERATED_AS_REAL * len(pos)))
    real_at = float(pos[k] - 1e-9) if k < len(pos) else 0.5
    real_at = float(min(real_at, 0.5, gen_at - 0.05))
    return gen_at, real_at


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 5) -> list[tuple[str, int, float, float]]:
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (p >= a) & ((p < b) if b < 1 else (p <= b))
        rows.append((f"{a:.1f}–{b:.1f}", int(sel.sum()), float(p[sel].mean()) if sel.any() else float("nan"),
                     float(y[sel].mean()) if sel.any() else float("nan")))
    return rows


def verdicts(p: np.ndarray, fams: list[list[str]], gen_at: float, real_at: float) -> list[str]:
    out = []
    for pi, f in zip(p, fams):
        if len(f) < MIN_FAMILIES:
            out.append("uncertain")
        else:
            out.append("likely generated" if pi >= gen_at else "likely real" if pi <= real_at else "uncertain")
    return out


def run(rows: list[dict], feats: dict[str, dict]) -> dict:
    """Cross-validate, choose thresholds, fit the final model; returns model dict, report, summary."""
    missing = [r["file"] for r in rows if not feats.get(r["file"], {}).get("values")]
    rows = [dict(r, _values=feats[r["file"]]["values"]) for r in rows if feats.get(r["file"], {}).get("values")]
    raw = np.array([[cal.finite_or_nan(feats[r["file"]]["values"].get(c)) for c in CUES] for r in rows])
    y = np.array([1.0 if r["label"] == "generated" else 0.0 for r in rows])
    groups = np.array([r["repo"] for r in rows])
    fams = [cal.measured_families({c: raw[i, j] for j, c in enumerate(CUES)}) for i in range(len(rows))]
    p_oof, chosen = loso(raw, y, groups)
    auc = auroc(y, p_oof)
    tpr, _ = tpr_at_fpr(y, p_oof, 0.05)
    gen_at, real_at = thresholds(y, p_oof)
    v = verdicts(p_oof, fams, gen_at, real_at)
    spec_all = choose(raw, y, groups)
    final = _fit(raw, y, spec_all)
    ref = {c: distribution(raw[(y == 0) & np.isfinite(raw[:, j]), j], "real development clips", "both")
           for j, c in enumerate(CUES)}
    single = {c: auroc(y[np.isfinite(raw[:, j])], raw[np.isfinite(raw[:, j]), j]) for j, c in enumerate(CUES)}
    meta = {"clips": len(rows), "real": int((y == 0).sum()), "generated": int(y.sum()), "sources": int(len(set(groups))),
            "cv": "leave-one-source-out (source = repository), inner LOSO picks the model kind and setting",
            "auroc_oof": round(auc, 4), "tpr_at_5fpr_oof": round(tpr, 4), "model": list(spec_all),
            "chosen_per_fold": [list(c) for c in chosen]}
    d = len(CUES) + len(cal.FAMILY_CUES)
    model = cal.CalibratedModel(cues=CUES, transforms=final["transforms"], families=list(cal.FAMILY_CUES),
                                coef=final.get("coef", np.zeros(d)), intercept=final.get("intercept", 0.0),
                                generated_at=gen_at, real_at=real_at, min_families=MIN_FAMILIES, reference=ref,
                                meta=meta, stumps=final.get("stumps"))
    measured = {c: int(np.isfinite(raw[:, j]).sum()) for j, c in enumerate(CUES)}
    meta["not_extracted"] = missing
    report = _report(rows, y, p_oof, v, fams, auc, tpr, gen_at, real_at, single, measured, model)
    if missing:
        report = (f"**{len(missing)} clips had no features yet and are not in this fit**: "
                  f"{', '.join(m.split('/')[-1] for m in missing)}.\n\n") + report
    summary = (f"LOSO AUROC {auc:.3f}, TPR@5%FPR {tpr:.3f}, thresholds gen>={gen_at:.3f} real<={real_at:.3f}, "
               f"real called generated {sum(vi == 'likely generated' for vi, yi in zip(v, y) if yi == 0)}/{int((y == 0).sum())}, "
               f"generated called generated {sum(vi == 'likely generated' for vi, yi in zip(v, y) if yi == 1)}/{int(y.sum())}")
    return {"model": model.to_dict(), "report": report, "summary": summary, "p_oof": p_oof}


def _prop(r: dict, key: str) -> float:
    if key == "gif":
        return float(r["file"].lower().endswith(".gif"))
    if r.get("box"):
        x0, y0, x1, y1 = r["box"]
        w, h = x1 - x0, y1 - y0
    else:
        w, h = float(r.get("width") or 0), float(r.get("height") or 0)
    return float(r.get("fps") or 0) if key == "fps" else float(w * h)


def _report(rows, y, p, v, fams, auc, tpr, gen_at, real_at, single, measured, model) -> str:
    lines = [f"Leave-one-source-out AUROC **{auc:.3f}**; TPR at 5 % FPR **{tpr:.3f}** "
             f"({len(rows)} clips: {int((y == 0).sum())} real, {int(y.sum())} generated, {len(set(r['repo'] for r in rows))} sources).",
             "", f"Verdict thresholds (from the out-of-fold probabilities): likely generated at p >= {gen_at:.3f}, "
             f"likely real at p <= {real_at:.3f}, uncertain with fewer than {MIN_FAMILIES} measured cue families.", ""]
    table = {lab: {k: 0 for k in ("likely generated", "uncertain", "likely real")} for lab in ("real", "generated")}
    for vi, yi in zip(v, y):
        table["generated" if yi else "real"][vi] += 1
    lines += ["| out of fold | likely generated | uncertain | likely real |", "|---|---|---|---|"]
    for lab, row in table.items():
        lines.append(f"| {lab} | {row['likely generated']} | {row['uncertain']} | {row['likely real']} |")
    lines += ["", "Reliability of the out-of-fold probability:", "", "| p bin | clips | mean p | share generated |",
              "|---|---|---|---|"]
    for b, n, mp, fy in reliability(y, p):
        lines.append(f"| {b} | {n} | {mp:.2f} | {fy:.2f} |" if n else f"| {b} | 0 | – | – |")
    gif = np.array([r["file"].lower().endswith(".gif") for r in rows])
    stumps = model.stumps.importance(len(model.cues)) if model.stumps is not None else None
    col = "stumps in the final model" if stumps is not None else "coef (robust z-score)"
    lines += ["", "Single-cue AUROC on the clips where the cue was measured (direction: higher = generated), also "
              f"without the {int(gif.sum())} GIFs (all generated: a format confounder), and the final model's "
              f"weight ({col}):", "", f"| cue | measured | AUROC | AUROC without GIFs | {col} |", "|---|---|---|---|---|"]
    raw = np.array([[cal.finite_or_nan(r.get("_values", {}).get(c)) for c in model.cues] for r in rows])
    for j, c in enumerate(model.cues):
        ok = np.isfinite(raw[:, j]) & ~gif
        a2 = auroc(y[ok], raw[ok, j])
        wgt = f"{int(stumps[j])}" if stumps is not None else f"{model.coef[j]:+.3f}"
        lines.append(f"| {c} | {measured[c]}/{len(rows)} | {single[c]:.2f} | {a2:.2f} | {wgt} |")
    lines += ["", "Confounders (not model inputs): AUROC of the container's properties alone, higher = generated:", ""]
    for name, key, sign in (("frame rate (lower = generated)", "fps", -1), ("width x height (smaller = generated)",
                                                                           "pixels", -1), ("is a GIF", "gif", 1)):
        vals = np.array([sign * _prop(r, key) for r in rows])
        lines.append(f"- {name}: {auroc(y, vals):.2f}")
    lines += ["", "Every clip's out-of-fold probability of 'generated':", "",
              "| clip | label | source | p (out of fold) | verdict | families measured |", "|---|---|---|---|---|---|"]
    for i in np.argsort(-p):
        r = rows[i]
        lines.append(f"| {r['file'].split('/')[-1]} | {r['label']} | {r['repo']} | {p[i]:.3f} | {v[i]} | {','.join(fams[i])} |")
    return "\n".join(lines) + "\n"

