"""Does a model do the count its text names? Requested vs produced repetitions on the paced val samples.

The paced val samples (``app/engine/corpus/paced.py``: one counted action with standing before and after,
counts drawn per item) are generated with the pipeline as the studio runs it (planner, length estimator,
standing after a count); each clip's repetitions are read off the atom's own kinematic predicate (the
count it checks: claps, jumps, dips ...). Per atom and pooled: exact and +-1 rates, and the least-squares
slope of produced on requested counts, which is ~1 when the count drives the repetitions and ~0 when the
model does its usual number whatever the text says (session 39's diagnosis of the paced failures).

    .venv/bin/python scripts/atom_count_follow.py models/atom [OTHER_MODEL ...] --seeds 3 [--json out.json]

``--oracle-lengths`` (a diagnostic): each sample is given the true spans of its ground truth (standing, the
action for exactly its corpus time, standing) instead of the planner's, which asks whether the model would
follow the count if the length estimator were exact.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

log = logging.getLogger("atom_count_follow")

# the predicate's value that its count check reads (both sides: the larger)
COUNT_KEYS: dict[str, tuple[str, ...]] = {
    "clap": ("claps",), "jumping_jacks": ("arms_up",), "jump": ("jumps",), "jump_forward": ("jumps",),
    "jump_sideways": ("jumps",), "hop": ("hops",), "squat": ("dips",), "kick": ("kicks",),
    "calf_raise": ("rises",), "punch": ("punches",), "knee_raise": ("lifts_l", "lifts_r"),
    "arm_circles": ("winds_l", "winds_r"),
}


def produced(atom: str, values: dict) -> float | None:
    """The repetitions a verdict's values say were done (None: the atom counts nothing we read)."""
    keys = [k for k in COUNT_KEYS.get(atom, ()) if k in values]
    return float(max(values[k] for k in keys)) if keys else None


def summarise(pairs: list[tuple[int, float]]) -> dict:
    """Exact / +-1 rates, mean |error| and the slope of produced on requested counts."""
    req, got = (np.array(v, dtype=float) for v in zip(*pairs))
    slope = float(np.polyfit(req, got, 1)[0]) if np.ptp(req) > 0 else None
    return dict(n=len(pairs), exact=round(float(np.mean(np.round(got) == req)), 3),
                within1=round(float(np.mean(np.abs(got - req) <= 1)), 3),
                mean_abs_err=round(float(np.mean(np.abs(got - req))), 2),
                slope=None if slope is None else round(slope, 2))


def oracle_spans(it) -> list[tuple[str, float]]:
    """The paced sample's own layout: standing for its lead, the action for its true time, standing after."""
    from app.engine.t2m.pipeline import HOLD_TEXT
    lead, tail = float(it.meta.get("lead_s", 0.0)), float(it.meta.get("tail_s", 0.0))
    act = it.clip.duration - lead - tail
    spans = [(HOLD_TEXT, lead)] if lead >= 0.5 else []
    spans.append((it.texts[0], act + (lead if lead < 0.5 else 0.0)))
    return spans + ([(HOLD_TEXT, tail)] if tail >= 0.5 else [])


def follow(model: str, seeds: int, oracle: bool = False) -> dict:
    from atom_val_predicates import val_items

    from app.engine.evaluator.kinematics import Kin
    from app.engine.evaluator.predicates import evaluate
    from app.engine.t2m.pipeline import TextToMotionPipeline
    from app.engine.t2m.text_cond import parse_slots
    pipe = TextToMotionPipeline.from_pretrained(Path(model), device="cpu")
    per_atom: dict[str, list[tuple[int, float]]] = defaultdict(list)
    truth: list[tuple[int, float]] = []   # the corpus motions themselves: how well the reading counts
    for it, pred, kw, _family, _side in val_items(None, paced=True):
        atom, want = it.meta["atoms"][0][0], int(parse_slots(it.texts[0])[3])
        if want <= 0 or atom not in COUNT_KEYS:
            continue
        got = produced(atom, evaluate(pred, Kin.from_clip(it.clip), **kw).values)
        if got is not None:
            truth.append((want, got))
        for seed in range(seeds):
            if oracle:
                clip = pipe.generate(spans=oracle_spans(it), seed=seed, num_samples=1, foot_lock=True)[0]
            else:
                clip = pipe.generate(it.texts[0], seconds=it.clip.duration, seed=seed, num_samples=1,
                                     foot_lock=True)[0]
            got = produced(atom, evaluate(pred, Kin.from_clip(clip), **kw).values)
            if got is not None:
                per_atom[atom].append((want, got))
    pooled = [p for v in per_atom.values() for p in v]
    return dict(model=model, seeds=seeds, oracle_lengths=oracle, ground_truth=summarise(truth) if truth else None,
                pooled=summarise(pooled) if pooled else None,
                atoms={a: summarise(v) for a, v in sorted(per_atom.items())})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--oracle-lengths", action="store_true", help="the samples' true spans, not the planner's")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import torch
    torch.set_num_threads(args.threads)
    results = [follow(m, args.seeds, args.oracle_lengths) for m in args.models]
    for r in results:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
