"""Benchmark of the skeleton-route recogniser (A-TSCN + evidential head), issue 14.

    # the shipped model: localisation mAP on held-out compositions, open set, real mocap, speed
    nice -n 19 .venv/bin/python bench/bench_recognition.py --model models/recognition
    # ablation rows: train each variant for a time budget (resumable), then evaluate all
    nice -n 19 .venv/bin/python bench/bench_recognition.py --ablations --minutes 20 --threads 2

Localisation: mAP (%) at tIoU 0.1-0.7 and their average on the corpus test split (held-out
transitions, parameter ranges and phrasings), known atoms only.  Open set: AUROC of the
segment uncertainty K / S with the held-out atoms as positives (test split).  Real mocap:
top-1 on every CMU / DeepMimic window whose description maps to a known atom; for a model
fine-tuned on real windows, the performer-fold cross-validated figure of
``scripts/real_cv_recognition.py`` (``--real-cv``) instead.  Speed: a 10 s motion, features to actions, on ``--speed-threads``
threads (1, as the CLI; two OpenMP threads stall badly on a busy 2-core machine) after warm-up
(median of 20).  Results: JSON (``--out``) and a markdown table.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("bench_recognition")

VARIANTS = {
    "pose stream only": ["streams=pose"],
    "motion stream only": ["streams=motion"],
    "fused, no pseudo labels": ["refine_iters=0"],
    "fused, 1 refinement": ["refine_iters=1"],
    "fused, 2 refinements": ["refine_iters=2"],
    "fused, 3 refinements": ["refine_iters=3"],
    "fused, 2 refinements, no normalisation loss": ["refine_iters=2", "w_norm=0"],
}


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")


def evaluate_model(model, test, real) -> dict:
    from app.engine.recognition.evaluate import localisation, open_set, predict, real_top1

    preds = predict(model, test)
    return {"localisation": localisation(model, test, preds), "open_set": open_set(model, test, preds),
            "real": real_top1(model, real)}


def speed(model_dir: Path, threads: int, runs: int = 20) -> dict:
    """Median wall time of recognising a 10 s composed motion (features + network + actions)."""
    import torch

    from app.engine.corpus.compose import compose
    from app.engine.recognition.pipeline import RecognitionPipeline

    torch.set_num_threads(threads)
    pipe = RecognitionPipeline.from_pretrained(model_dir, device="cpu")
    atoms = [("walk", {"steps": 8}), ("wave", None), ("squat", None), ("jump", None), ("turn", None)]
    clip = compose(atoms, np.random.default_rng(0)).slice(0, 200)
    for _ in range(3):
        pipe.recognize(clip)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        pipe.recognize(clip)
        times.append(time.perf_counter() - t0)
    return {"seconds_of_motion": clip.duration, "threads": threads, "median_ms": round(1000 * float(np.median(times)), 2),
            "p90_ms": round(1000 * float(np.percentile(times, 90)), 2)}


def train_variants(minutes: float, threads: int, names: list[str], seed: int, steps: int = 0) -> dict:
    """Train (or continue) each ablation variant for ``steps`` optimiser steps (when given, so that
    variants compare at equal training whatever the machine's load) or else ``minutes`` of wall
    clock; returns run dirs."""
    from app.engine.recognition import config as C
    from app.engine.recognition.data import CACHE_DIR, corpus_videos
    from app.engine.recognition.train import train

    train_v, val_v = corpus_videos("train"), corpus_videos("val")
    dirs = {}
    for name in names:
        cfg = C.override(C.RECOG_CPU, VARIANTS[name])
        budget = {"max_minutes": 0.0, "steps": steps} if steps else {"max_minutes": minutes, "steps": 10 ** 6}
        tcfg = replace(C.TRAIN_CPU, threads=threads, seed=seed, val_every=0, **budget)
        run = CACHE_DIR / "ablation" / (f"{slug(name)}_s{seed}" + (f"_{steps}steps" if steps else ""))
        log.info("variant %r -> %s (%.0f min)", name, run, minutes)
        train(cfg, tcfg, train_v, val_v, run)
        dirs[name] = run / "model"
    return dirs


def table(rows: dict[str, dict]) -> str:
    from app.engine.recognition.metrics import TIOUS

    head = "| model | " + " | ".join(f"{t:.1f}" for t in TIOUS) + " | avg | open-set AUROC | real top-1 |"
    lines = [head, "|" + "---|" * (len(TIOUS) + 4)]
    for name, r in rows.items():
        loc = r["localisation"]
        real = r["real"]["mapped"]
        lines.append(f"| {name} | " + " | ".join(f"{loc[f'mAP@{t:.1f}']:.1f}" for t in TIOUS)
                     + f" | **{loc['mAP_avg']:.1f}** | {r['open_set']['auroc_segments']:.3f} | "
                     + (f"{100 * real['top1']:.0f}% ({real['n']}{', cross-validated' if real.get('cross_validated') else ''})"
                        if real.get("n") else "-") + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/recognition")
    ap.add_argument("--ablations", action="store_true", help="train (resume) and evaluate the ablation variants")
    ap.add_argument("--variants", default=";".join(VARIANTS), help="';'-separated subset of the variant names")
    ap.add_argument("--minutes", type=float, default=20.0, help="wall-clock training budget per variant")
    ap.add_argument("--steps", type=int, default=0, help="step budget per variant (overrides --minutes)")
    ap.add_argument("--real-cv", default=".cache/recognition/real_cv_realcv.json",
                    help="cross-validated real-mocap result (scripts/real_cv_recognition.py) for models "
                         "fine-tuned on real windows")
    ap.add_argument("--threads", type=int, default=2, help="training / evaluation threads")
    ap.add_argument("--speed-threads", type=int, default=1, help="inference threads of the speed test (the CLI's default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--out", default=".cache/recognition/bench.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import torch

    from app.engine.recognition.data import corpus_videos, real_videos
    from app.engine.recognition.model import ATSCN

    torch.set_num_threads(args.threads)
    models: dict[str, Path] = {}
    if Path(args.model, "config.json").is_file():
        models["shipped model"] = Path(args.model)
    if args.ablations:
        models.update(train_variants(args.minutes, args.threads, [v.strip() for v in args.variants.split(";") if v.strip()], args.seed,
                                     args.steps))
    if not models:
        log.error("no model at %s and no --ablations", args.model)
        return 2
    test, real = corpus_videos("test"), real_videos()
    results: dict = {"rows": {}}
    for name, path in models.items():
        model = ATSCN.from_pretrained(path, device="cpu")
        meta = getattr(model, "meta", {})
        row = {**evaluate_model(model, test, real), "meta": meta}
        if meta.get("real_windows"):
            # trained on every real window: its own real score would be a training score; use the
            # performer-fold cross-validation of the same recipe instead
            cv = json.loads(Path(args.real_cv).read_text()) if Path(args.real_cv).is_file() else {}
            row["real"] = {"mapped": {"n": cv.get("windows", 0), "top1": cv.get("top1", 0.0),
                                      "per_atom": cv.get("per_atom", {}), "cross_validated": True}}
        results["rows"][name] = row
        log.info("%s: %s", name, json.dumps(results["rows"][name]["localisation"]))
    if not args.no_speed and "shipped model" in models:
        results["speed"] = speed(models["shipped model"], args.speed_threads)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results["rows"]))
    if "speed" in results:
        s = results["speed"]
        print(f"\nspeed: {s['seconds_of_motion']:.0f} s of motion in {s['median_ms']} ms (median, {s['threads']} threads)")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
