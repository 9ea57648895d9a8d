"""Does the motion's length fit the count the prompt names? Auto duration (the length estimator) vs fixed ones.

    .venv/bin/python bench/bench_length.py [--model atom] [--seeds 3]

Count prompts written for this bench (none is a training text; none is in the prompt suite), each generated with
the duration the length estimator gives (``seconds=None``), with 4 s (the pipeline's default without an estimator)
and with 6 s (the studio's default before the estimator). Judged by the kinematic predicates' event counts only:
exact count, count within +-1 (the suite's tolerance), mean |counted - named|.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.evaluator.kinematics import Kin  # noqa: E402
from app.engine.evaluator.predicates import evaluate  # noqa: E402

# (prompt, predicate, value key, named count, predicate kwargs)
PROMPTS = [
    ("the kid jumps up just once", "jump", "jumps", 1, {}),
    ("a man jumps in place two times", "jump", "jumps", 2, {}),
    ("a boy jumps three times in a row", "jump", "jumps", 3, {}),
    ("someone does one squat", "squat", "dips", 1, {}),
    ("a woman squats four times", "squat", "dips", 4, {}),
    ("she claps her hands once", "clap", "claps", 1, {}),
    ("he claps six times", "clap", "claps", 6, {}),
    ("a fighter kicks once with the left leg", "kick", "kicks", 1, {"side": "left"}),
    ("a fighter kicks three times with the right leg", "kick", "kicks", 3, {"side": "right"}),
    ("rise up onto the toes twice", "calf_raise", "rises", 2, {}),
    ("rise up onto the toes five times", "calf_raise", "rises", 5, {}),
]
CONDITIONS = {"auto (length estimator)": None, "fixed 4 s": 4.0, "fixed 6 s": 6.0}


def run(model: str, seeds: int) -> dict[str, dict[str, float]]:
    from app.engine.t2m.pipeline import TextToMotionPipeline
    pipe = TextToMotionPipeline.from_pretrained(model)
    if pipe.length is None:
        raise SystemExit("no length estimator (models/length) next to the model")
    out: dict[str, dict[str, float]] = {}
    for name, seconds in CONDITIONS.items():
        errs, durs = [], []
        for text, pred, key, count, kw in PROMPTS:
            counted = []
            for seed in range(seeds):
                clip = pipe.generate(text, seconds=seconds, seed=seed)[0]
                counted.append(int(evaluate(pred, Kin.from_clip(clip), **kw).values[key]))
                durs.append(clip.duration)
            errs += [abs(n - count) for n in counted]
            logging.info("%-24s %-48s %.1f s: %s (named %d)", name, text, durs[-1], counted, count)
        e = np.array(errs)
        out[name] = {"exact": float(np.mean(e == 0)), "within_1": float(np.mean(e <= 1)),
                     "mean_abs_err": float(e.mean()), "mean_seconds": float(np.mean(durs)), "n": int(len(e))}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="atom")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = run(args.model, args.seeds)
    print("| duration | exact count | count +-1 | mean abs error | mean length | runs |")
    print("|---|---|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {100 * r['exact']:.0f} % | {100 * r['within_1']:.0f} % | {r['mean_abs_err']:.2f} | "
              f"{r['mean_seconds']:.1f} s | {r['n']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
