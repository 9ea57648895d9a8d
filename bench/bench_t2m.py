#!/usr/bin/env python
"""Text-to-motion benchmark: speed (default) and quality (--eval) of ATOM vs the MDM baseline.

    python bench/bench_t2m.py                  # ms for a 10 s motion, prompt -> joints, 2 threads
    python bench/bench_t2m.py --eval           # + evaluator metrics on the corpus test split
    python bench/bench_t2m.py --eval --mdm-items 128 --json out.json

Speed: models and the text encoder are loaded first (reported separately), one warm-up
generation, then each run generates a 10 s motion for a prompt not seen before (text encoding
included) with foot locking, and computes its world joints.  Median over runs.
Quality: each test text is generated once with its ground-truth duration (``evaluation``);
MDM (50 DDIM steps x classifier-free guidance) is slow on a CPU, so it and an ATOM row on the
same subset use ``--mdm-items`` items (seeded choice); MultiModality uses ``--mm-texts`` texts x
``--mm-samples`` samples.  FID is against the whole split's ground truth.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = ["a person walks forward", "someone jumps twice", "a man waves with his right hand",
           "the person runs in a circle", "a woman squats down and stands up", "a person kicks with the left leg",
           "someone turns around and walks back", "a person claps their hands", "the man does jumping jacks",
           "a person bows", "someone punches forward", "a person sits down on the floor"]


def bench_speed(names: list[str], runs: int, threads: int, base: Path | None = None) -> dict:
    import torch

    from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline
    from app.engine.text_encoder import TextEncoder

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    TextEncoder.get()
    out = {"threads": threads, "text_encoder_load_s": round(time.perf_counter() - t0, 3)}
    for name in names:
        t0 = time.perf_counter()
        pipe = TextToMotionPipeline.from_pretrained((base or MODELS_DIR) / name, device="cpu")
        load = time.perf_counter() - t0
        pipe.generate("a person stands still", 10.0, seed=0)[0].joints()  # warm-up
        n = runs if name == "atom" else max(1, runs // 5)
        times, model_times = [], []
        for i in range(n):
            prompt = PROMPTS[i % len(PROMPTS)] + ("" if i < len(PROMPTS) else f" {i}")
            TextEncoder.get().clear_cache()
            t0 = time.perf_counter()
            clip = pipe.generate(prompt, 10.0, seed=i)[0]
            clip.joints()
            times.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            pipe.sample_features(prompt, 200, seed=i)
            model_times.append(time.perf_counter() - t1)
        out[name] = {"load_s": round(load, 3), "runs": n, "ms_per_10s_total": round(1000 * float(np.median(times)), 1),
                     "ms_per_10s_model": round(1000 * float(np.median(model_times)), 1)}
    if "atom" in out and "mdm" in out:
        out["speedup_total"] = round(out["mdm"]["ms_per_10s_total"] / out["atom"]["ms_per_10s_total"], 1)
        out["speedup_model"] = round(out["mdm"]["ms_per_10s_model"] / out["atom"]["ms_per_10s_model"], 1)
    return out


def bench_quality(names: list[str], mdm_items: int, mm_texts: int, mm_samples: int, seed: int = 0,
                  base: Path | None = None, full_items: int | None = None, mdm_full: bool = False) -> dict:
    from app.engine.corpus.dataset import load_corpus
    from app.engine.evaluator import metrics as M
    from app.engine.evaluator.evaluate import embed_clips, evaluate_motions, get_evaluator, reference_row
    from app.engine.t2m.evaluation import batch_generate
    from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline

    ev = get_evaluator()
    items = load_corpus(split="test")
    rows = {"real": reference_row("test", evaluator=ev, seed=seed)}
    sub = np.sort(np.random.default_rng(seed).choice(len(items), min(mdm_items, len(items)), replace=False))
    for name in names:
        pipe = TextToMotionPipeline.from_pretrained((base or MODELS_DIR) / name, device="cpu")
        full = np.arange(len(items))[:full_items]
        for label, idx in ((name, full), (f"{name} (subset)", sub)):
            if name == "mdm" and label == name and not mdm_full:
                continue  # MDM only on the subset unless --mdm-full
            sel = [items[i] for i in idx]
            t0 = time.perf_counter()
            clips, per10 = batch_generate(pipe, [it.texts[0] for it in sel], [it.clip.num_frames - 1 for it in sel], seed)
            row = evaluate_motions(clips, "test", evaluator=ev, seed=seed)
            row["ms_per_10s"] = round(1000 * per10, 1)
            row["gen_minutes"] = round((time.perf_counter() - t0) / 60, 2)
            rows[label] = row
            logging.info("%s: %s", label, row)
        mm = [items[i] for i in sub[:mm_texts]]
        groups = []
        for it in mm:
            clips, _ = batch_generate(pipe, [it.texts[0]] * mm_samples, [it.clip.num_frames - 1] * mm_samples, seed + 1)
            groups.append(embed_clips(clips, ev))
        rows[f"{name} (subset)"]["MultiModality"] = M.multimodality(groups, seed=seed)
        if name in rows:
            rows[name]["MultiModality"] = rows[f"{name} (subset)"]["MultiModality"]
    return rows


def atom_segment_nmi(base: Path | None = None, max_items: int | None = None, seed: int = 0) -> dict:
    """Agreement of each frame's dominant atom with the ground-truth segments of composed test items.

    One ATOM pass per item over its whole (composed) text at its true length; the last decoder
    layer's attention argmax per frame vs the segment index per frame, as normalised mutual
    information (0: the atom ignores where the action changes; 1: atoms switch exactly at the
    segment boundaries), and the share of GT boundaries with a dominant-atom change within 0.5 s.
    """
    import torch

    from app.engine.corpus.compose import frame_labels
    from app.engine.corpus.dataset import load_corpus
    from app.engine.evaluator.metrics import normalized_mutual_info
    from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline, select_cond

    pipe = TextToMotionPipeline.from_pretrained((base or MODELS_DIR) / "atom", device="cpu")
    items = [it for it in load_corpus(split="test", include_real=False) if len(it.clip.segments) > 1][:max_items]
    nmis, hits, bounds = [], 0, 0
    cond = pipe.encode_texts([it.texts[0] for it in items])
    for k, it in enumerate(items):
        labels = frame_labels(it.clip)[1:]
        gen = torch.Generator().manual_seed(seed * 7919 + k)
        with torch.no_grad():
            _, att = pipe.model.sample(select_cond(cond, [k]), len(labels), generator=gen)
        dom = att[0].argmax(-1).numpy()
        nmis.append(normalized_mutual_info(labels, dom))
        change = np.flatnonzero(np.diff(dom) != 0)
        for b in np.flatnonzero(np.diff(labels) != 0):
            bounds += 1
            hits += int(np.any(np.abs(change - b) <= 0.5 * pipe.fps))
    return {"items": len(items), "nmi": round(float(np.mean(nmis)), 4), "boundary_hit": round(hits / max(bounds, 1), 4),
            }


def markdown(rows: dict) -> str:
    cols = ["FID", "R@1", "R@2", "R@3", "MM-Dist", "Diversity", "MultiModality", "FootSkate", "ms_per_10s", "count"]
    lines = ["| model | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for name, r in rows.items():
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append("n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["atom", "mdm"])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--mdm-items", type=int, default=128)
    ap.add_argument("--full-items", type=int, default=None, help="limit the full-split rows (dry runs)")
    ap.add_argument("--mm-texts", type=int, default=16)
    ap.add_argument("--mm-samples", type=int, default=5)
    ap.add_argument("--json", default=None)
    ap.add_argument("--mdm-full", action="store_true", help="also run MDM on every test item (slow on a CPU)")
    ap.add_argument("--nmi", action="store_true", help="atom / segment agreement on composed test items (ATOM)")
    ap.add_argument("--models-dir", type=Path, default=None, help="folder holding atom/ and mdm/ (default models/)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    result: dict = {}
    if not args.no_speed:
        result["speed"] = bench_speed(args.models, args.runs, args.threads, args.models_dir)
        print(json.dumps(result["speed"]))
    if args.eval:
        result["quality"] = bench_quality(args.models, args.mdm_items, args.mm_texts, args.mm_samples, args.seed,
                                          args.models_dir, args.full_items, args.mdm_full)
        print(markdown(result["quality"]))
    if args.nmi:
        result["atom_nmi"] = atom_segment_nmi(args.models_dir, seed=args.seed)
        print(json.dumps(result["atom_nmi"]))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
