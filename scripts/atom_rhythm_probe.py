"""Does a generated clap / wave keep its rhythm?  Prints the ground truth's and the model's signal side by side.

    .venv/bin/python scripts/atom_rhythm_probe.py models/atom [--items 6] [--seed 0]

For the first val items (corpus val split) whose action is a clap or a wave: the distance between the wrists (clap)
or the named wrist's sideways offset from its shoulder (wave), every 3rd frame, for the ground truth and for one
sample of the model from the item's own text at its own length.  A diagnosis aid, not a measure.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
log = logging.getLogger("atom_rhythm_probe")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--items", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import numpy as np
    import torch
    torch.set_num_threads(1)
    from atom_val_predicates import val_items
    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates_body import _rel
    from app.engine.t2m.pipeline import TextToMotionPipeline

    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    items = [it for it in val_items(None) if it[1] in ("clap", "wave")][: args.items]
    for item, pred, kw, _family, _side in items:
        def signal(clip, pred=pred, kw=kw) -> np.ndarray:
            k = Kin.from_clip(clip)
            if pred == "clap":
                return np.linalg.norm(k.joints[:, 20] - k.joints[:, 21], axis=-1)
            return _rel(k, kw.get("side") or "right")[:, 0]
        clip = pipe.generate(item.texts[0], seconds=item.clip.duration, seed=args.seed, num_samples=1)[0]
        log.info("%s | %s | %s", pred, item.texts[0], kw)
        log.info("  truth     %s", np.round(signal(item.clip)[::3], 2).tolist())
        log.info("  generated %s", np.round(signal(clip)[::3], 2).tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
