"""Calibrate a shipped skeleton recogniser's per-frame "unknown" threshold on the corpus val split.

    .venv/bin/python scripts/calibrate_unknown_frames.py models/recognition [--quantile 0.98] [--write]

``unknown_frame_threshold`` = the ``--quantile`` of the per-frame evidential uncertainty (evidence averaged
over ``unknown_window_s``) over val frames of *known* atoms (the held-out atoms are not used to choose it).
Prints the threshold and, on val and test compositions that mix a held-out atom with known ones, the share
of held-out frames called "unknown" and of known frames given their own atom, without and with it;
``--write`` stores it in the model's config.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--quantile", type=float, default=0.98)
    ap.add_argument("--window-s", type=float, default=None, help="override unknown_window_s")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch

    from app.engine.recognition.data import corpus_videos
    from app.engine.recognition.evaluate import frame_uncertainty_threshold, predict, unknown_in_compositions
    from app.engine.recognition.pipeline import RecognitionPipeline
    torch.set_num_threads(args.threads)
    model = RecognitionPipeline.from_pretrained(args.model).model
    if args.window_s is not None:
        model.cfg = replace(model.cfg, unknown_window_s=args.window_s)
    val, test = corpus_videos("val"), corpus_videos("test")
    thr = frame_uncertainty_threshold(model, val, args.quantile)
    preds = {"val": predict(model, val), "test": predict(model, test)}
    out = {"unknown_frame_threshold": round(thr, 6), "unknown_window_s": model.cfg.unknown_window_s}
    for name, t in (("off", 0.0), ("calibrated", thr)):
        model.cfg = replace(model.cfg, unknown_frame_threshold=t)
        out[name] = {s: unknown_in_compositions(model, v, preds[s]) for s, v in (("val", val), ("test", test))}
    print(json.dumps(out, indent=1))
    if args.write:
        path = args.model / "config.json"
        cfg = json.loads(path.read_text())
        cfg.update(unknown_frame_threshold=round(thr, 6), unknown_window_s=model.cfg.unknown_window_s)
        path.write_text(json.dumps(cfg, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
