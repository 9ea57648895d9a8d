"""Combine trained skeleton recognisers into one ensemble model directory.

    .venv/bin/python scripts/build_recognition_ensemble.py MODEL_DIR MODEL_DIR [...] --out models/recognition

The members must share labels and features (each a ``save_pretrained`` directory, e.g. the ``model`` folder
of two ``scripts/real_cv_recognition.py --final-out`` runs with different ``--seed``).  The ensemble's
unknown threshold is calibrated again, on the averaged outputs, as training calibrates a single model:
the 95th percentile of the uncertainty of known-atom segments of the corpus *val* split.  The first member
is written to ``--out`` with ``members`` in its meta, the others to ``--out/member1``, ...
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("build_recognition_ensemble")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("members", nargs="+", help="model directories (the first keeps its training log)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import torch

    from app.engine.recognition.data import corpus_videos
    from app.engine.recognition.ensemble import ATSCNEnsemble
    from app.engine.recognition.model import ATSCN
    from app.engine.recognition.train import calibrate_unknown

    torch.set_num_threads(args.threads)
    models = [ATSCN.from_pretrained(m, device="cpu") for m in args.members]
    ens = ATSCNEnsemble(models)
    calibrate_unknown(ens, corpus_videos("val", ens.cfg.root_motion))
    meta = dict(getattr(models[0], "meta", {}) or {})
    meta.pop("members", None)
    meta["ensemble_of"] = [str(Path(m)) for m in args.members]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        staged = Path(tmp) / "model"
        ens.save_pretrained(staged, **meta)
        for extra in ("train_log.jsonl",):
            if (Path(args.members[0]) / extra).is_file():
                shutil.copy2(Path(args.members[0]) / extra, staged / extra)
        for name in ("config.json", "model.safetensors", "train_log.jsonl"):
            if (staged / name).is_file():
                shutil.copy2(staged / name, out / name)
        for k in range(1, len(models)):
            dst = out / f"member{k}"
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(staged / f"member{k}", dst)
    log.info("ensemble of %d written to %s (unknown threshold %.3f)", len(models), out, ens.cfg.unknown_threshold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
