#!/usr/bin/env python
"""Prompt-following benchmark: does the generated body do what an everyday prompt asked?

    python bench/bench_prompts.py                       # models atom + mdm, 3 seeds, whole suite
    python bench/bench_prompts.py --models atom --seeds 1 --subset 20 --out prompts.json
    python bench/bench_prompts.py --check-real          # predicate thresholds on real mocap
    python bench/bench_prompts.py --audit-atoms         # procedural atoms vs their own predicates
    python bench/bench_prompts.py --audit-corpus        # every single-action train item, at its drawn parameters

Each prompt of ``bench/prompt_suite.py`` x seed is generated once; its parts' predicates
(``app.engine.evaluator.predicates``) are applied to the output spans (a prompt whose spans do
not match its parts is cut into equal pieces). A prompt passes when all its parts hold. Reported:
pass rate per model, per family, for compositions, and the left/right 'named limb moves' rate.

"Recogniser agrees with the prompt" (``--recognizer DIR``, default models/recognition; ``none``
skips it): each generated sample is also given to the action recogniser; a one-part prompt agrees
when its clip label (top atom, or "unknown" above the model's uncertainty threshold) is the atom
the prompt asks for, a composition when, in each part's span in order, the recognised label
covering most of it is that part's atom. Parts map to atoms by their predicate
(``app.engine.recognition.prompt_atoms.PREDICATE_ATOMS``; an atom the recogniser never learned
must come out "unknown"); a prompt with a part that maps to no atom counts as n/a.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.engine.evaluator.kinematics import Kin  # noqa: E402
from app.engine.evaluator.predicates import evaluate  # noqa: E402
from prompt_suite import SUITE, Prompt  # noqa: E402

from app.engine.t2m.pipeline import HOLD_TEXT  # noqa: E402

log = logging.getLogger("bench_prompts")
ROOT = Path(__file__).resolve().parents[1]


def merge_holds(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The pipeline's spans with each standing span the planner added after a counted part
    (``hold_after_counts``) joined to that part."""
    out: list[tuple[int, int, str]] = []
    for a, b, t in spans:
        if out and t == HOLD_TEXT:
            out[-1] = (out[-1][0], b, out[-1][2])
        else:
            out.append((a, b, t))
    return out


def part_spans(prompt: Prompt, spans: list[tuple[int, int, str]], n_frames: int) -> list[tuple[int, int]]:
    """Frame ranges of the prompt's parts: the pipeline's spans (:func:`merge_holds`) when they match, else
    equal pieces."""
    n = len(prompt.parts)
    spans = merge_holds(spans)
    if len(spans) == n:
        return [(int(a), int(b)) for a, b, _ in spans]
    edges = [round(i * n_frames / n) for i in range(n + 1)]
    return list(zip(edges[:-1], edges[1:]))


def judge(prompt: Prompt, clip, spans: list[tuple[int, int, str]]) -> dict:
    """Apply the prompt's predicates to one generated clip (per span for compositions)."""
    kin = Kin.from_clip(clip)
    parts = []
    for (pred, kw), (f0, f1) in zip(prompt.parts, part_spans(prompt, spans, kin.n)):
        v = evaluate(pred, kin.span(f0, f1) if len(prompt.parts) > 1 else kin, **kw)
        parts.append(dict(pred=pred, kw=kw, span=[f0, f1], ok=bool(v.ok), named=v.named_moves, values=v.values))
    return dict(ok=all(p["ok"] for p in parts), parts=parts,
                spans_matched=len(merge_holds(spans)) == len(prompt.parts))


def recognizer_agrees(rec, prompt: Prompt, clip, spans: list[tuple[int, int, str]]) -> dict:
    """Does the action recogniser `rec` see in `clip` the atom(s) the prompt asks for? (``ok`` None: n/a)"""
    from app.engine.recognition.lanes import prompt_agreement
    from app.engine.recognition.prompt_atoms import atoms_for_part
    from app.engine.t2m.spans import split_prompt

    texts = split_prompt(prompt.text)
    texts = texts if len(texts) == len(prompt.parts) else [prompt.text] * len(prompt.parts)
    asked = [atoms_for_part(pred, kw, t) for (pred, kw), t in zip(prompt.parts, texts)]
    frames = part_spans(prompt, spans, clip.num_frames)
    result = rec.recognize(clip)
    return prompt_agreement(result, asked, [(a / clip.fps, b / clip.fps) for a, b in frames], rec.labels,
                            float(rec.cfg.unknown_threshold))


def run_model(pipe, suite: list[Prompt], seeds: int, rec=None, auto_seconds: bool = False) -> list[dict]:
    """Generate and judge every prompt x seed (and ask the recogniser, when given one). ``auto_seconds``: no
    duration is passed (the length estimator sizes each part, as the studio's Duration "Auto" does)."""
    rows = []
    for i, p in enumerate(suite):
        for seed in range(seeds):
            out = pipe.generate(p.text, seconds=None if auto_seconds else p.seconds, seed=seed, num_samples=1)
            r = judge(p, out[0], list(out.spans))
            if rec is not None:
                a = recognizer_agrees(rec, p, out[0], list(out.spans))
                r.update(recog_ok=a["ok"], recog_top_ok=a["ok_top"], recog_expected=a["expected"],
                         recog_seen=a["seen"], recog_top=a["top"])
            rows.append(dict(text=p.text, family=p.family, seed=seed, pair=p.pair, side=p.side, **r))
        log.info("[%d/%d] %s: %s", i + 1, len(suite), p.text, [r["ok"] for r in rows[-seeds:]])
    return rows


def summarize(rows: list[dict]) -> dict:
    """Pass rates overall, per family, compositions, and the left/right named-limb rate."""
    fam: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        fam[r["family"]].append(r["ok"])
    named = [p["named"] for r in rows if r["pair"] for p in r["parts"] if p["named"] is not None]
    rate = lambda xs: (sum(xs) / len(xs)) if xs else float("nan")  # noqa: E731
    recog = [r["recog_ok"] for r in rows if r.get("recog_ok") is not None]
    top = [r["recog_top_ok"] for r in rows if r.get("recog_top_ok") is not None]
    return dict(n=len(rows), overall=rate([r["ok"] for r in rows]),
                families={f: rate(v) for f, v in sorted(fam.items())}, family_n={f: len(v) for f, v in fam.items()},
                named_moves=rate(named), named_n=len(named),
                recognizer=rate(recog), recognizer_n=len(recog),
                recognizer_na=sum(1 for r in rows if "recog_ok" in r and r["recog_ok"] is None),
                recognizer_composition=rate([r["recog_ok"] for r in rows if r["family"] == "composition"
                                             and r.get("recog_ok") is not None]),
                recognizer_top=rate(top), recognizer_top_n=len(top))


def table(summaries: dict[str, dict]) -> str:
    """A markdown table: one column per model."""
    models = list(summaries)
    fams = sorted({f for s in summaries.values() for f in s["families"]})
    pct = lambda x: "-" if x != x else f"{100 * x:.0f}%"  # noqa: E731
    lines = ["| | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    lines.append("| all prompts | " + " | ".join(f"{pct(s['overall'])} (n={s['n']})" for s in summaries.values()) + " |")
    for f in fams:
        lines.append(f"| {f} | " + " | ".join(
            f"{pct(s['families'].get(f, float('nan')))} (n={s['family_n'].get(f, 0)})" for s in summaries.values()) + " |")
    lines.append("| left/right: named limb moves | " + " | ".join(
        f"{pct(s['named_moves'])} (n={s['named_n']})" for s in summaries.values()) + " |")
    if any(s.get("recognizer_n") for s in summaries.values()):
        lines.append("| recogniser agrees with the prompt | " + " | ".join(
            f"{pct(s['recognizer'])} (n={s['recognizer_n']}, n/a {s['recognizer_na']}; "
            f"compositions {pct(s['recognizer_composition'])})" for s in summaries.values()) + " |")
        lines.append("| recogniser's top atom, uncertainty ignored (one-part prompts) | " + " | ".join(
            f"{pct(s['recognizer_top'])} (n={s['recognizer_top_n']})" for s in summaries.values()) + " |")
    return "\n".join(lines)


def load_pipeline(name: str):
    """A model under models/ by name, or any checkpoint directory (e.g. an exported training snapshot)."""
    from app.engine.t2m.pipeline import TextToMotionPipeline
    path = Path(name) if Path(name).is_dir() and not (ROOT / "models" / name).is_dir() else ROOT / "models" / name
    return TextToMotionPipeline.from_pretrained(path, device="cpu")


def load_recognizer(name: str | None):
    """The action recogniser from a model directory (None or 'none': no recogniser column)."""
    if not name or str(name).lower() == "none":
        return None
    from app.engine.recognition.pipeline import RecognitionPipeline
    return RecognitionPipeline.from_pretrained(Path(name), device="cpu")


def bench(pipes: dict, seeds: int = 3, subset: int | None = None,
          suite: list[Prompt] | None = None, rec=None, auto_seconds: bool = False) -> tuple[dict, dict]:
    """({model: rows}, {model: summary}) for already loaded pipelines (``suite`` defaults to SUITE)."""
    suite = suite if suite is not None else SUITE
    suite = suite[:subset] if subset else suite
    rows = {m: run_model(p, suite, seeds, rec, auto_seconds) for m, p in pipes.items()}
    return rows, {m: summarize(r) for m, r in rows.items()}


def _real_report() -> str:
    from predicate_checks import check_real
    lines = ["| check | windows | agree | median values | disagreeing windows |", "|---|---|---|---|---|"]
    for r in check_real():
        fails = "; ".join(f.split(" ")[0] for f in r.failures[:6]) + (" ..." if len(r.failures) > 6 else "")
        lines.append(f"| {r.name} | {r.n} | {r.agree}/{r.n} | {r.values} | {fails} |")
    return "\n".join(lines)


def _audit_report() -> str:
    from predicate_checks import audit_atoms
    lines = ["| atom | params | check | expected | result | named limb | values |", "|---|---|---|---|---|---|---|"]
    for r in audit_atoms():
        p = {k: v for k, v in r["params"].items() if k in ("side", "reps", "steps", "angle", "direction", "turns")}
        res = "-" if r["ok"] is None else ("pass" if r["ok"] == r["expected"] else "FAIL")
        lines.append(f"| {r['atom']} | {p} | {r['check']} | {r['expected']} | {res} | {r.get('named')} | {r['values']} |")
    return "\n".join(lines)


def _corpus_audit_report() -> str:
    from predicate_checks import audit_corpus
    lines = ["| atom | train items passing | first failures (drawn parameters) |", "|---|---|---|"]
    for name, (passed, n, fails) in audit_corpus().items():
        lines.append(f"| {name} | {passed}/{n} | {'; '.join(map(str, fails))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["atom", "mdm"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--limbs", choices=["rotations", "positions"], default=None,
                    help="how features become a clip (default: the pipeline's, positions)")
    ap.add_argument("--subset", type=int, default=None, help="only the first N prompts")
    ap.add_argument("--out", type=Path, default=None, help="write rows and summaries as JSON")
    ap.add_argument("--check-real", action="store_true", help="predicate thresholds on real mocap")
    ap.add_argument("--audit-atoms", action="store_true", help="procedural atoms vs their own predicates")
    ap.add_argument("--audit-corpus", action="store_true",
                    help="every single-action train item (drawn parameters) vs its predicate")
    ap.add_argument("--recognizer", default=str(ROOT / "models" / "recognition"),
                    help="action recogniser for the 'recogniser agrees' row ('none' skips it)")
    ap.add_argument("--no-choose-sides", action="store_true",
                    help="leave a one-sided action without a named side as typed (app/engine/t2m/sides.py)")
    ap.add_argument("--auto-seconds", action="store_true",
                    help="pass no duration: the length estimator sizes each part (the studio's default); reported "
                         "beside the suite, whose own durations define its gate")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    if args.check_real or args.audit_atoms or args.audit_corpus:
        if args.audit_corpus:
            print(_corpus_audit_report())
        if args.check_real:
            print(_real_report())
        if args.audit_atoms:
            print(_audit_report())
        return 0
    pipes = {m: load_pipeline(m) for m in args.models}
    for p in pipes.values():
        p.limbs = args.limbs or p.limbs
        p.choose_sides = not args.no_choose_sides
    rows, sums = bench(pipes, args.seeds, args.subset, rec=load_recognizer(args.recognizer),
                       auto_seconds=args.auto_seconds)
    if args.out:
        args.out.write_text(json.dumps(dict(rows=rows, summaries=sums), indent=1, default=str))
    print(table(sums))
    return 0


if __name__ == "__main__":
    sys.exit(main())
