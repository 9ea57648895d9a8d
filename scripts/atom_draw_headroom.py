"""Diagnostic, val split only: how often does the first of K draws pass its predicate, and how often does any of them?

    .venv/bin/python scripts/atom_draw_headroom.py models/atom --forms third synonyms context --draws 4 --seeds 3

The gap is what a perfect sample-and-rank could gain (``app/engine/t2m/ranker.py``); here the judge itself picks,
so the "any" figure is a ceiling, never a model's result. Items, texts and judging as ``atom_val_predicates.py``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--forms", nargs="+", default=["third"], choices=["third", "synonyms", "context"])
    ap.add_argument("--draws", type=int, default=4)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    from atom_val_predicates import form_text, val_items

    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.text_cond import parse_slots
    torch.set_num_threads(args.threads)
    pipe = TextToMotionPipeline.from_pretrained(Path(args.model), device="cpu")
    pipe.use_ranker(candidates=1)
    items = val_items(None)
    for form in args.forms:
        first = anyp = n = 0
        for it, pred, kw, _family, _side in items:
            text = form_text(it, form)
            either = parse_slots(text)[0] == 0 and kw.get("side") in ("left", "right")
            for seed in range(args.seeds):
                oks = []
                for clip in pipe.generate(text, seconds=it.clip.duration, seed=seed, num_samples=args.draws):
                    kin = Kin.from_clip(clip)
                    ok = bool(evaluate(pred, kin, **kw).ok)
                    if not ok and either:
                        ok = bool(evaluate(pred, kin, **dict(kw, side="left" if kw["side"] == "right" else "right")).ok)
                    oks.append(ok)
                first, anyp, n = first + oks[0], anyp + any(oks), n + 1
        print(f"{form}: n={n} first draw {first / n:.3f}  any of {args.draws} {anyp / n:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
