"""Benchmark of the RGB route (SOAR): closed-set accuracy, open-set AUROC and macro-F1 on
bias-aligned and bias-conflicting rendered test clips, and the debiasing ablation.

    # train the ablation (resumable: finished runs are skipped), then print the table
    .venv/bin/python bench/bench_soar.py --train --variants full none --seeds 0 1 2 --minutes 7 --threads 2
    .venv/bin/python bench/bench_soar.py --train --variants norecon nocls --seeds 0 --minutes 7 --threads 2
    .venv/bin/python bench/bench_soar.py                        # table of every finished run
    .venv/bin/python bench/bench_soar.py --model models/recognition/rgb   # one model on the test set + speed
    .venv/bin/python bench/bench_soar.py --runs R --test-data .cache/soar/test_matched   # every run on another test split

Runs are ``.cache/soar/runs/{variant}_s{seed}`` (variants: full, norecon, nocls, none).  A table
cell is mean +- spread over seeds, spread = max - min.  The gate "debiasing helps" compares
full against none: the difference of the means must exceed both rows' spreads.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = {"full": (True, True), "norecon": (False, True), "nocls": (True, False), "none": (False, False),
            "conf": (True, True), "bal": (True, True), "gbal": (True, True)}
SCENE_ADV = {"conf": "confusion", "bal": "confusion"}   # the scene game's form per variant (default: reversal)
BALANCE = {"bal", "gbal"}                               # variants whose scene classifier is importance-weighted
NAMES = {"full": "full SOAR (recon + scene cls)", "conf": "full SOAR, scene game by confusion (session 50)",
         "bal": "full SOAR, confusion on a scene-balanced classifier (session 51)",
         "gbal": "full SOAR, reversal on a scene-balanced classifier (session 52)",
         "norecon": "without reconstruction",
         "nocls": "without scene classification", "none": "without both (evidential only)",
         "fullplain": "full SOAR without the uncertainty terms"}   # a device arm (scripts/soar_device_run.sh)
COLUMNS = [("acc_all", "closed acc"), ("acc_aligned", "acc aligned"), ("acc_conflicting", "acc conflicting"),
           ("auroc_all", "AUROC"), ("auroc_conflicting", "AUROC confl."), ("macro_f1", "open macro-F1")]


def run_variants(args) -> None:
    from app.engine.soar.config import SOAR_CPU, TRAIN_CPU
    from app.engine.soar.train import train

    for seed in args.seeds:
        for v in args.variants:
            run = Path(args.runs) / f"{v}_s{seed}"
            if (run / "metrics.json").is_file():
                continue
            recon, cls = VARIANTS[v]
            cfg = replace(SOAR_CPU, recon=recon, scene_cls=cls, scene_adv=SCENE_ADV.get(v, "grl"),
                          scene_balance=v in BALANCE, labels=[])
            tcfg = replace(TRAIN_CPU, seed=seed, threads=args.threads, max_minutes=args.minutes, steps=args.steps)
            logging.info("training %s", run.name)
            train(cfg, tcfg, args.data, run)


def collect(runs_dir: Path, test_dir: str | None = None) -> dict[str, list[dict]]:
    """Per variant, the finished runs' test metrics (from ``metrics.json``, or each run's saved model
    evaluated on ``test_dir``'s test split, with the threshold it calibrated on its own validation clips)."""
    test = None
    if test_dir:
        from app.engine.soar.data import load_split
        from app.engine.soar.evaluate import evaluate
        from app.engine.soar.model import SOAR

        test = load_split(test_dir, "test")
    out: dict[str, list[dict]] = {}
    for path in sorted(runs_dir.glob("*_s[0-9]*/metrics.json")):
        variant = path.parent.name.rsplit("_s", 1)[0]
        m = json.loads(path.read_text())
        if variant not in NAMES or "test" not in m:
            continue
        metrics = m["test"]
        if test is not None:
            model = SOAR.from_pretrained(path.parent / "model", device="cpu")
            metrics = evaluate(model, test, model.cfg.unknown_threshold)
        out.setdefault(variant, []).append({**metrics, "seed": m["seed"], "minutes": m["minutes"],
                                            "steps": m["steps"]})
    return out


def _cell(vals: list[float]) -> str:
    v = np.asarray(vals, float)
    return f"{100 * v.mean():.1f} ± {100 * (v.max() - v.min()):.1f}" if len(v) > 1 else f"{100 * v.mean():.1f}"


def table(results: dict[str, list[dict]]) -> str:
    head = "| variant | seeds | steps (min) | " + " | ".join(c for _, c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    for v in NAMES:
        rows = results.get(v)
        if not rows:
            continue
        st, mi = [r["steps"] for r in rows], [r["minutes"] for r in rows]
        steps = (f"{min(st)}-{max(st)}" if min(st) != max(st) else f"{st[0]}") + f" ({min(mi):.1f}-{max(mi):.1f})"
        cells = [_cell([r[k] for r in rows]) for k, _ in COLUMNS]
        lines.append(f"| {NAMES[v]} | {len(rows)} | {steps} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gates(results: dict[str, list[dict]]) -> list[str]:
    out = []
    none = results.get("none", [])
    for arm in ("full", "conf", "bal", "gbal"):
        full = results.get(arm, [])
        if full:
            au = float(np.mean([r["auroc_all"] for r in full]))
            out.append(f"open-set AUROC >= 0.80 ({arm}, mean of {len(full)}): {au:.3f} -> "
                       f"{'met' if au >= 0.80 else 'NOT met'}")
        if full and none:
            for key, name in (("acc_conflicting", "bias-conflicting accuracy"), ("auroc_all", "open-set AUROC")):
                a, b = np.asarray([r[key] for r in full]), np.asarray([r[key] for r in none])
                diff, spread = a.mean() - b.mean(), max(a.max() - a.min(), b.max() - b.min())
                ok = diff > spread and min(len(a), len(b)) >= 3
                out.append(f"debiasing helps {name}: {arm} - none = {100 * diff:+.1f} points, spread "
                           f"{100 * spread:.1f} ({min(len(a), len(b))} seeds) -> {'met' if ok else 'NOT met'}")
    return out


def bench_model(args) -> None:
    import torch

    from app.engine.soar.data import load_split
    from app.engine.soar.evaluate import evaluate
    from app.engine.soar.model import SOAR

    torch.set_num_threads(args.threads)
    model = SOAR.from_pretrained(args.model, device="cpu")
    test = load_split(args.data, "test")
    m = evaluate(model, test, model.cfg.unknown_threshold)
    x = torch.from_numpy(test.rgb[:1])
    with torch.no_grad():
        model(x)
        t0 = time.perf_counter()
        for _ in range(20):
            model(x)
    m["ms_per_window_1clip"] = 1000 * (time.perf_counter() - t0) / 20
    print(json.dumps(m, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / ".cache" / "soar" / "data"))
    ap.add_argument("--runs", default=str(ROOT / ".cache" / "soar" / "runs"))
    ap.add_argument("--train", action="store_true", help="train the missing runs first")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    ap.add_argument("--minutes", type=float, default=7.0, help="training budget per run")
    ap.add_argument("--steps", type=int, default=100000, help="step cap per run (the budget usually ends it)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default=None, help="evaluate one saved model instead")
    ap.add_argument("--test-data", default=None,
                    help="evaluate every run's model on this folder's test split (default: the runs' own test metrics)")
    ap.add_argument("--json", default=None, help="also write the collected per-run metrics here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.model:
        bench_model(args)
        return
    if args.train:
        run_variants(args)
    if args.test_data:
        import torch

        torch.set_num_threads(args.threads)
    results = collect(Path(args.runs), args.test_data)
    print(table(results))
    print()
    print("\n".join(gates(results)))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
