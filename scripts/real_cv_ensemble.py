"""Real-mocap top-1 of an ensemble of cross-validated runs (clip probabilities averaged).

    .venv/bin/python scripts/real_cv_ensemble.py realcv_multi_seed3 realcv_multi_seed4 [--pairs]

Each RUN is a finished ``scripts/real_cv_recognition.py --run RUN`` (``.cache/recognition/real_cv_RUN.json``,
whose rows keep every held-out window's clip probabilities).  All runs must share the same folds, so every
window is still scored only by models that never saw its performer.  Prints each run's own top-1 and the
ensemble's (argmax of the mean clip probabilities); ``--pairs`` scores consecutive pairs of runs as separate
two-member ensembles instead of one ensemble of all.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_rows(run: str) -> dict[str, dict]:
    """Held-out rows of one cross-validated run, keyed by window id."""
    from app.engine.recognition.data import CACHE_DIR

    path = CACHE_DIR / f"real_cv_{run}.json"
    if not path.is_file():
        raise SystemExit(f"no results for run {run!r} ({path}); run scripts/real_cv_recognition.py --run {run}")
    return {r["id"]: r for r in json.loads(path.read_text())["rows"]}


def ensemble_top1(runs: list[dict[str, dict]], labels: list[str]) -> tuple[int, int, dict[str, str]]:
    """(correct, windows, per-atom 'a/n') of the mean clip probabilities over ``runs``."""
    ids = sorted(runs[0])
    for r in runs[1:]:
        if sorted(r) != ids or any(r[i]["fold"] != runs[0][i]["fold"] for i in ids):
            raise SystemExit("the runs do not share the same windows and folds")
    from app.engine.recognition.data import real_atom

    correct, per = 0, {}
    for i in ids:
        p = np.mean([np.asarray(r[i]["clip_prob"], float) for r in runs], axis=0)
        truth = real_atom(runs[0][i]["label"], False)
        hit = labels[int(np.argmax(p))] == truth
        correct += hit
        a, n = per.get(truth, (0, 0))
        per[truth] = (a + hit, n + 1)
    return correct, len(ids), {k: f"{a}/{n}" for k, (a, n) in sorted(per.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--pairs", action="store_true", help="score consecutive pairs as two-member ensembles")
    ap.add_argument("--model", default=str(ROOT / "models" / "recognition"), help="for the label order")
    args = ap.parse_args(argv)
    from app.engine.recognition.config import load_config

    labels = list(load_config(Path(args.model) / "config.json")[0].labels)
    rows = {run: load_rows(run) for run in args.runs}
    for run, r in rows.items():
        c, n, _ = ensemble_top1([r], labels)
        print(f"{run}: {c}/{n} = {100 * c / n:.1f} %")
    groups = ([args.runs[k:k + 2] for k in range(0, len(args.runs) - 1, 2)] if args.pairs else [args.runs])
    for g in groups:
        c, n, per = ensemble_top1([rows[r] for r in g], labels)
        print(f"ensemble {' + '.join(g)}: {c}/{n} = {100 * c / n:.1f} %  {per}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
