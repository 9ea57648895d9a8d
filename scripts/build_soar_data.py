"""Build the RGB route's (SOAR) scene-biased clips: corpus atoms rendered on the Anny body.

    nice -n 19 .venv/bin/python scripts/build_soar_data.py --per-class-train 2 --per-class-test 1 \
        --per-unknown-test 2 --out .cache/soar/data_tiny                     # a tiny set (~110 clips)
    .venv/bin/python scripts/build_soar_data.py                               # the full CPU set
    for i in 0 1; do .venv/bin/python scripts/build_soar_data.py --part $i --parts 2 & done; wait   # on 2 cores

Clip ``n`` of a split is drawn from ``default_rng([seed, split_code, n])`` alone (atom ``n mod
K``), so a shard never depends on what was built before; existing shards are skipped (rerun to
resume).  Train clips: single-atom windows of corpus train motions, known atoms only, in the
atom family's scene with probability ``--p-aligned``.  Test clips: windows of corpus test
motions; known atoms alternate bias-aligned / bias-conflicting scenes, held-out atoms
(the unknowns) take any scene, or with ``--unknown-scenes matched`` alternate like the knowns (the
scene-matched open-set test: the scene then says nothing about known vs unknown).  Recipe:
docs/data.md, "SOAR data".
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("build_soar_data")
SPLIT_CODE = {"train": 1, "test": 2}


def plan(split: str, windows: dict, known: list[str], unknown: list[str], args) -> list[tuple[str, bool | None]]:
    """(atom, aligned) per clip index: classes interleaved; test knowns alternate aligned / conflicting."""
    jobs: list[tuple[str, bool | None]] = []
    if split == "train":
        atoms = [a for a in known if windows.get(a)]
        for j in range(args.per_class_train):
            jobs += [(a, None) for a in atoms]
        return jobs
    atoms = [a for a in known if windows.get(a)]
    for j in range(args.per_class_test):
        jobs += [(a, j % 2 == 0) for a in atoms]
    for j in range(args.per_unknown_test):
        side = j % 2 == 0 if args.unknown_scenes == "matched" else None
        jobs += [(a, side) for a in unknown if windows.get(a)]
    return jobs


def build_split(split: str, args, renderer, out: Path, stats: dict) -> None:
    from app.engine.corpus.dataset import load_corpus
    from app.engine.recognition.config import UNKNOWN_ATOMS
    from app.engine.corpus.registry import ATOMS
    from app.engine.soar.data import shard_path, write_shard
    from app.engine.soar.render import atom_windows, sample_spec, spec_dict

    items = load_corpus(split=split, include_real=False)
    motions = {it.id: it.clip for it in items}
    windows: dict[str, list] = {}
    for w in atom_windows(items):
        windows.setdefault(w.atom, []).append(w)
    known = [a for a in ATOMS if a not in UNKNOWN_ATOMS]
    jobs = plan(split, windows, known, list(UNKNOWN_ATOMS), args)
    log.info("%s: %d motions, %d atom windows, %d clips", split, len(items), sum(map(len, windows.values())),
             len(jobs))
    for shard in range((len(jobs) + args.shard_size - 1) // args.shard_size):
        path = shard_path(out, split, shard)
        if path.is_file() or shard % args.parts != args.part:
            continue
        clips, specs = [], []
        for n in range(shard * args.shard_size, min(len(jobs), (shard + 1) * args.shard_size)):
            atom, aligned = jobs[n]
            rng = np.random.default_rng([args.seed, SPLIT_CODE[split], n])
            win = windows[atom][int(rng.integers(len(windows[atom])))]
            p = args.p_aligned if split == "train" else 1.0 / 5.0
            spec = sample_spec(rng, win, args.frames, split, p, aligned)
            t0, c0 = time.monotonic(), time.process_time()
            clips.append(renderer.render(spec, motions[win.motion]))
            stats["wall_s"] += time.monotonic() - t0
            stats["cpu_s"] += time.process_time() - c0
            stats["clips"] += 1
            specs.append(spec_dict(spec))
        write_shard(path, clips, specs)
        log.info("%s: %d clips, %.3f s wall / %.3f s CPU per clip so far", path.name, len(clips),
                 stats["wall_s"] / max(stats["clips"], 1), stats["cpu_s"] / max(stats["clips"], 1))
        if args.max_minutes and time.monotonic() - stats["t_start"] > args.max_minutes * 60:
            log.info("time limit reached; rerun to resume")
            return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / ".cache" / "soar" / "data"))
    ap.add_argument("--per-class-train", type=int, default=200,
                    help="train clips per known atom (200 since session 50; sessions 1-49: 50)")
    ap.add_argument("--per-class-test", type=int, default=10, help="test clips per known atom (half conflicting)")
    ap.add_argument("--per-unknown-test", type=int, default=30, help="test clips per held-out atom")
    ap.add_argument("--unknown-scenes", default="any", choices=["any", "matched"],
                    help="test: held-out atoms in any scene (uniform) or half in their family's scene, like the knowns")
    ap.add_argument("--splits", nargs="*", default=["test", "train"], choices=["test", "train"],
                    help="which splits to build (e.g. only a second test split)")
    ap.add_argument("--p-aligned", type=float, default=0.85, help="train: share of clips in the family's scene")
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--frames", type=int, default=16, help="frames per clip at 10 fps")
    ap.add_argument("--shard-size", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop after the shard that passes this")
    ap.add_argument("--part", type=int, default=0, help="build only shards with index %% parts == part")
    ap.add_argument("--parts", type=int, default=1,
                    help="split the build into this many parts; run one process per --part 0..parts-1 "
                         "(one call builds its --part only)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.body import get_body
    from app.engine.soar.render import SoarRenderer

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    recipe = {"size": args.size, "frames": args.frames, "seed": args.seed, "shard_size": args.shard_size,
              "p_aligned": args.p_aligned, "per_class_train": args.per_class_train,
              "per_class_test": args.per_class_test, "per_unknown_test": args.per_unknown_test}
    if args.unknown_scenes != "any":
        recipe["unknown_scenes"] = args.unknown_scenes
    if manifest.is_file() and json.loads(manifest.read_text())["recipe"] != recipe:
        raise SystemExit(f"{out} was built with another recipe ({manifest}); use another --out")
    manifest.write_text(json.dumps({"recipe": recipe}, indent=1))
    t0, c0 = time.monotonic(), time.process_time()
    renderer = SoarRenderer(get_body("anny"), args.size)
    setup = {"wall_s": time.monotonic() - t0, "cpu_s": time.process_time() - c0}
    stats = {"clips": 0, "wall_s": 0.0, "cpu_s": 0.0, "t_start": time.monotonic()}
    for split in [s for s in ("test", "train") if s in args.splits]:
        build_split(split, args, renderer, out, stats)
    n = max(stats["clips"], 1)
    record = {"clips_built": stats["clips"], "setup": setup, "wall_s_per_clip": stats["wall_s"] / n,
              "cpu_s_per_clip": stats["cpu_s"] / n, "recipe": recipe}
    (out / f"build_stats_{args.part}of{args.parts}.json").write_text(json.dumps(record, indent=1))
    log.info("%s", json.dumps(record))


if __name__ == "__main__":
    main()
