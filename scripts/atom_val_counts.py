"""Val items whose text names a count: how often the count is met, and whether failures under- or over-count.

A diagnostic beside ``scripts/atom_val_predicates.py`` (issue 11; models/atom/README.md "Session 48"): it judges the
same single-action val items with the same predicates and side rule, and for each failing run reads the counted
repetitions from the verdict (its largest integer value; "other": a failure with none, or the count met).

    .venv/bin/python scripts/atom_val_counts.py MODEL_DIR [--form third] [--seeds 3] [--failures]
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from atom_val_predicates import form_text, run_verdict, val_items  # noqa: E402

log = logging.getLogger("atom_val_counts")


def counted(values: dict) -> int | None:
    """The verdict's largest integer value (claps, punches, the moving side's swings), or None (arm circles' winds)."""
    ints = [int(v) for v in values.values() if isinstance(v, int) and not isinstance(v, bool)]
    return max(ints) if ints else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--form", default="third")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--failures", action="store_true", help="also list each failing run")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch
    torch.set_num_threads(args.threads)
    from app.engine.evaluator.kinematics import Kin
    from app.engine.t2m.pipeline import TextToMotionPipeline

    pipe = TextToMotionPipeline.from_pretrained(args.model, device="cpu")
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])   # runs, passes, under, over, other
    for it, pred, kw, _family, _side in val_items(None):
        if kw.get("count") is None:
            continue
        text = form_text(it, args.form)
        atom = it.meta["atoms"][0][0]
        for seed in range(args.seeds):
            clip = pipe.generate(text, seconds=it.clip.duration, seed=seed, num_samples=1, foot_lock=True)[0]
            verdict = run_verdict(pred, Kin.from_clip(clip), kw, text)
            st = stats[atom]
            st[0] += 1
            if verdict.ok:
                st[1] += 1
                continue
            n = counted(verdict.values)
            st[2 if n is not None and n < kw["count"] else 3 if n is not None and n > kw["count"] else 4] += 1
            if args.failures:
                log.info("%s seed %d %r asked %s: %s", atom, seed, text, kw["count"], verdict.values)
    log.info("%-16s %5s %5s %6s %5s %6s", "atom", "runs", "pass", "under", "over", "other")
    for atom, row in sorted(stats.items()):
        log.info("%-16s %5d %5d %6d %5d %6d", atom, *row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
