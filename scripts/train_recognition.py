"""Train the skeleton-route recogniser (A-TSCN + evidential head) on the corpus.

    nice -n 19 .venv/bin/python scripts/train_recognition.py --run main --threads 2 --max-minutes 60 \
        --out models/recognition

Resumable: the run lives in .cache/recognition/runs/RUN (train_state.pt every --ckpt-minutes,
train_log.jsonl); rerunning the same command continues it.  At the end the model (unknown
threshold calibrated on validation known segments) is saved in RUN/model, copied to --out
when given, and evaluated (validation localisation and open set, real mocap top-1).
--overfit trains and evaluates on the first --subset training videos (a sanity check).
See docs/recognition.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("train_recognition")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="main", help="run name under .cache/recognition/runs")
    ap.add_argument("--out", default=None, help="copy the final model here (e.g. models/recognition)")
    ap.add_argument("--preset", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--max-minutes", type=float, help="wall-clock budget (the schedule follows it)")
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--subset", type=int, default=0, help="train on the first N eligible videos only")
    ap.add_argument("--overfit", action="store_true", help="evaluate on the training subset itself")
    ap.add_argument("--set", action="append", default=[], help="model config override KEY=VALUE")
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--device", default=None)
    ap.add_argument("--init", default=None, help="start from this saved model (fine-tuning)")
    ap.add_argument("--real-fold", type=int, default=None,
                    help="mix weakly labelled real mocap into training, holding out this subject fold "
                         "(-1: all real windows train, none held out)")
    ap.add_argument("--real-folds", type=int, default=4)
    ap.add_argument("--real-mirror", action="store_true",
                    help="add the training real windows' left/right mirror twins (held-out windows are never mirrored)")
    ap.add_argument("--real-multi", action="store_true",
                    help="also train on real windows of several actions with their atom sets (data.REAL_MULTI)")
    ap.add_argument("--real-weight", type=float, default=40.0,
                    help="each real window is sampled like this many corpus videos")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from app.engine.recognition import config as C
    import numpy as np

    from app.engine.recognition.data import CACHE_DIR, all_atom_names, corpus_videos, real_videos, weak_real
    from app.engine.recognition.evaluate import localisation, open_set, predict, real_top1
    from app.engine.recognition.localize import detected_classes
    from app.engine.recognition.train import train

    gpu = args.preset == "gpu"
    cfg = C.override(C.RECOG_GPU if gpu else C.RECOG_CPU, args.set)
    tcfg = C.TRAIN_GPU if gpu else C.TRAIN_CPU
    over = {"steps": args.steps, "batch_size": args.batch, "lr": args.lr, "threads": args.threads,
            "max_minutes": args.max_minutes, "seed": args.seed, "subset": args.subset,
            "ckpt_every_s": args.ckpt_minutes * 60}
    tcfg = replace(tcfg, **{k: v for k, v in over.items() if v is not None})
    train_v = corpus_videos("train", cfg.root_motion)
    val_v = corpus_videos("val", cfg.root_motion)
    run_dir = CACHE_DIR / "runs" / args.run
    eval_v = None
    if args.overfit:
        from app.engine.recognition.data import WeakDataset
        from app.engine.recognition.train import known_labels
        eval_v = WeakDataset(train_v, known_labels(cfg), cfg.unknown_atoms, args.subset).videos
    real_train, real_held = [], []
    if args.real_fold is not None:
        real = real_videos(cfg.root_motion, mirror=args.real_mirror)
        real_train, real_held = weak_real(real, args.real_fold, args.real_folds, args.real_multi)
        log.info("real mocap: %d windows train, %d held out (fold %d of %d)", len(real_train), len(real_held),
                 args.real_fold, args.real_folds)
    model, summary = train(cfg, tcfg, train_v, val_v if not args.overfit else eval_v, run_dir,
                           resume=not args.no_resume, device=args.device, real_train=real_train,
                           real_weight=args.real_weight, init=args.init)
    log.info("trained: %s", summary)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for f in ("model.safetensors", "config.json"):
            shutil.copy2(run_dir / "model" / f, out / f)
        shutil.copy2(run_dir / "train_log.jsonl", out / "train_log.jsonl")
        log.info("model copied to %s", out)
    if args.no_eval:
        return 0
    results: dict = {"train": summary}
    if args.overfit:
        preds = predict(model, eval_v)
        results["train_subset"] = localisation(model, eval_v, preds)
        names = all_atom_names()
        hits = [model.cfg.labels[int(p["clip_prob"].argmax())] in v.atoms(names) for v, p in zip(eval_v, preds)]
        results["train_subset"]["clip_top1_in_set"] = round(sum(hits) / len(hits), 4)
    else:
        preds = predict(model, val_v)
        results["val_localisation"] = localisation(model, val_v, preds)
        results["val_open_set"] = open_set(model, val_v, preds)
        if args.real_fold is None:
            results["real_top1"] = real_top1(model, real_videos(cfg.root_motion))
        elif real_held:
            results["real_top1_held_out"] = real_top1(model, real_held)
            labels = model.cfg.labels
            results["real_held_out"] = [
                {"id": v.id, "label": v.label, "group": v.meta.get("group", ""), "fold": v.meta["fold"],
                 "pred": labels[int(p["clip_prob"].argmax())], "uncertainty": round(p["clip_u"], 4),
                 "top3": [[labels[int(i)], round(float(p["clip_prob"][i]), 4)] for i in np.argsort(-p["clip_prob"])[:3]],
                 "clip_prob": [round(float(x), 5) for x in p["clip_prob"]],
                 "detected": [[labels[int(i)], round(float(p["video_prob"][i]), 4)]
                              for i in detected_classes(p["video_prob"], model.cfg)]}
                for v, p in zip(real_held, predict(model, real_held))]
    (run_dir / "eval.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
