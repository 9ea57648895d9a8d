"""Train the RGB route's SOAR model on the rendered scene-biased clips (resumable).

    .venv/bin/python scripts/train_soar.py --run full_s0 --threads 2 --max-minutes 8 --seed 0
    .venv/bin/python scripts/train_soar.py --run none_s0 --no-recon --no-scene-cls --max-minutes 8
    nice -n 19 .venv/bin/python scripts/train_soar.py --run overfit --subset 32 --overfit --steps 150
    .venv/bin/python scripts/train_soar.py --run gpu --preset gpu --data .cache/soar/data64   # on a GPU

State, log and results go to ``.cache/soar/runs/RUN`` (``train_state.pt`` every 2 minutes,
``train_log.jsonl``, ``metrics.json``, ``model/``); rerun the same command to resume.  ``--out``
also copies the finished model there (e.g. models/recognition/rgb).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("train_soar")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run name (folder under .cache/soar/runs)")
    ap.add_argument("--data", default=str(ROOT / ".cache" / "soar" / "data"))
    ap.add_argument("--runs", default=str(ROOT / ".cache" / "soar" / "runs"))
    ap.add_argument("--preset", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget of the schedule")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-recon", action="store_true", help="without adversarial scene reconstruction")
    ap.add_argument("--no-scene-cls", action="store_true", help="without adversarial scene classification")
    ap.add_argument("--subset", type=int, default=0, help="train on the first N clips")
    ap.add_argument("--overfit", action="store_true", help="no validation split; evaluate on the training clips")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override SoarConfig fields")
    ap.add_argument("--device", default=None)
    ap.add_argument("--out", default=None, help="copy the finished model folder here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from app.engine.recognition.config import override
    from app.engine.soar.config import SOAR_CPU, SOAR_GPU, TRAIN_CPU, TRAIN_GPU

    cfg = replace(SOAR_GPU if args.preset == "gpu" else SOAR_CPU)
    tcfg = replace(TRAIN_GPU if args.preset == "gpu" else TRAIN_CPU, seed=args.seed, subset=args.subset)
    for key, val in (("threads", args.threads), ("steps", args.steps), ("batch_size", args.batch_size),
                     ("max_minutes", args.max_minutes)):
        if val is not None:
            tcfg = replace(tcfg, **{key: val})
    cfg = replace(override(cfg, args.set), recon=not args.no_recon and cfg.recon,
                  scene_cls=not args.no_scene_cls and cfg.scene_cls)
    os.environ.setdefault("OMP_NUM_THREADS", str(tcfg.threads))
    from app.engine.soar.train import load_run_configs, train

    run_dir = Path(args.runs) / args.run
    saved = load_run_configs(run_dir)
    if saved is not None:
        cfg, old_t = saved
        tcfg = replace(old_t, threads=tcfg.threads)
        log.info("resuming %s with its saved configuration", run_dir)
    metrics = train(cfg, tcfg, args.data, run_dir, device=args.device, overfit=args.overfit)
    print(json.dumps(metrics, indent=1))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("model.safetensors", "config.json"):
            shutil.copy2(run_dir / "model" / name, out / name)
        log.info("copied the model to %s", out)


if __name__ == "__main__":
    main()
