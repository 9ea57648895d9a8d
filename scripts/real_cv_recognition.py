"""Cross-validated real-mocap accuracy of the skeleton recogniser, folds by performer.

    .venv/bin/python scripts/real_cv_recognition.py --init .cache/recognition/runs/main_aug/model \
        --minutes 5 --threads 2 [--final-out models/recognition]

The real CMU / DeepMimic windows whose description maps to an atom are split into ``--folds`` folds
by performer (a CMU subject, or DeepMimic as one): no performer is in two folds.  For each fold the
corpus-pretrained model ``--init`` is fine-tuned on the corpus plus the *other* folds' real windows
(weak video-level labels) and scored on the held-out fold; every window is scored exactly once, by
a model that never saw its performer.  ``--final-out`` then fine-tunes once on all real windows and
ships that model (its real accuracy is the cross-validated figure, not a score on its own training
windows).  Runs are resumable (``.cache/recognition/runs/RUN_foldK``); results go to
``.cache/recognition/real_cv_RUN.json`` and stdout.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

log = logging.getLogger("real_cv_recognition")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", required=True, help="corpus-pretrained model directory")
    ap.add_argument("--run", default="realcv")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=5.0, help="fine-tuning budget per fold")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--real-weight", type=float, default=40.0)
    ap.add_argument("--seed", type=int, default=0, help="fine-tuning seed (batches, augmentation)")
    ap.add_argument("--mirror", action="store_true", help="train on the real windows' mirror twins too")
    ap.add_argument("--multi", action="store_true",
                    help="also train on real windows of several actions with their atom sets (data.REAL_MULTI)")
    ap.add_argument("--final-out", default=None, help="also fine-tune on all real windows and copy the model here")
    ap.add_argument("--set", action="append", default=[])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import train_recognition as T
    from app.engine.recognition.data import CACHE_DIR

    common = ["--init", args.init, "--threads", str(args.threads), "--max-minutes", str(args.minutes),
              "--steps", str(args.steps), "--lr", str(args.lr), "--real-folds", str(args.folds),
              "--real-weight", str(args.real_weight), "--seed", str(args.seed)] + (["--real-mirror"] if args.mirror else []) + (["--real-multi"] if args.multi else [])
    common += [x for s in args.set for x in ("--set", s)]
    rows: list[dict] = []
    for k in range(args.folds):
        run = f"{args.run}_fold{k}"
        eval_path = CACHE_DIR / "runs" / run / "eval.json"
        if not eval_path.is_file():
            T.main(["--run", run, "--real-fold", str(k)] + common)
        rows += json.loads(eval_path.read_text())["real_held_out"]
    from app.engine.recognition.data import real_atom

    hits = Counter()
    totals = Counter()
    for r in rows:
        truth = real_atom(r["label"])
        totals[truth] += 1
        hits[truth] += int(r["pred"] == truth)
    result = {"windows": len(rows), "top1": round(sum(hits.values()) / max(1, len(rows)), 4),
              "per_atom": {a: f"{hits[a]}/{n}" for a, n in sorted(totals.items())},
              "confusions": Counter(f"{real_atom(r['label'])}->{r['pred']}" for r in rows
                                    if r["pred"] != real_atom(r["label"])).most_common(12),
              "folds": args.folds, "minutes_per_fold": args.minutes, "init": args.init, "rows": rows}
    out = CACHE_DIR / f"real_cv_{args.run}.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
    if args.final_out:
        T.main(["--run", f"{args.run}_all", "--real-fold", "-1", "--out", args.final_out] + common)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
