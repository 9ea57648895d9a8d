"""Fuzz every reader of user files for a while and report what happened.

Readers: BVH, our npz and SMPL/AMASS npz (``load_motion``), glTF (.glb and .gltf,
``read_gltf_motion``), DeepMimic json, video containers (forensics ``probe_video`` +
``sample_frames``) and the prompt parser (``plan_spans``, ``split_prompt``, ``parse_slots``).
Inputs are mutated seeds (truncated, bit-flipped, spliced, numbers swapped for NaN/inf/huge)
and generated hostile files (deep hierarchies, absurd frame rates, wrong types and shapes,
lying npy headers, pickles, cyclic glTF nodes, deeply nested JSON). Each input must end in a
result or an ``InvalidInputError``; anything else is a crash, and running past ``--timeout`` a hang.

    nice -n 19 env OMP_NUM_THREADS=1 .venv/bin/python bench/fuzz_inputs.py --minutes 20 [--targets bvh,npz_ours]
        [--seed 0] [--timeout 10] [--save-crashes out/fuzz] [--json out/fuzz.json]

Also checks once that the resource limits refuse a 3 GB (sparse) BVH and a zip-bomb npz quickly.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's complaints about broken streams
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fuzz_targets import TARGETS, Outcome, judge, make_seeds, one_input, run_input  # noqa: E402

log = logging.getLogger("fuzz_inputs")


def limit_checks(folder: Path) -> dict[str, Outcome]:
    """A 3 GB sparse BVH and a zip bomb (1.1 GiB of zeros in a few MB) must be refused at once."""
    import zipfile

    from app.core.limits import MAX_NPZ_UNCOMPRESSED_BYTES
    from app.core.motion_io import load_motion
    from fuzz_targets import npy_header

    big = folder / "huge.bvh"
    with open(big, "wb") as fh:
        fh.write(b"HIERARCHY\nROOT a\n{\nOFFSET 0 0 0\nCHANNELS 3 Xrotation Yrotation Zrotation\n}\nMOTION\n")
        fh.truncate(3 * (1 << 30))
    bomb = folder / "bomb.npz"
    n = MAX_NPZ_UNCOMPRESSED_BYTES // 8 + (1 << 24)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("poses.npy", "w", force_zip64=True) as f:
        f.write(npy_header((n // 66, 66)))
        chunk = bytes(1 << 24)
        for _ in range(n * 8 // len(chunk)):
            f.write(chunk)
    out = {"3 GB BVH": judge(lambda: load_motion(big), 10.0), "zip-bomb npz": judge(lambda: load_motion(bomb), 10.0)}
    big.unlink()
    bomb.unlink()
    return out


def fuzz(minutes: float, names: list[str], seed: int, timeout_s: float, save: Path | None) -> dict:
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        folder = Path(tmp)
        seeds = make_seeds(folder / "seeds")
        for name in names:  # warm up: imports (torch for the prompt parser) must not count against the time limit
            out = run_input(TARGETS[name], seeds[name][0], folder, timeout_s=600.0)
            if out.kind != "ok":
                raise SystemExit(f"seed of {name} does not load: {out.kind} {out.detail}")
        report: dict = {"limits": {k: vars(v) for k, v in limit_checks(folder).items()}}
        counts: dict[str, Counter] = defaultdict(Counter)
        crashes: dict[tuple[str, str], dict] = {}
        slowest: dict[str, float] = defaultdict(float)
        end = time.monotonic() + minutes * 60
        i = 0
        while time.monotonic() < end:
            name = names[i % len(names)]
            i += 1
            target = TARGETS[name]
            data = one_input(target, seeds[name], rnd)
            out = run_input(target, data, folder, timeout_s)
            counts[name][out.kind] += 1
            slowest[name] = max(slowest[name], out.seconds)
            if out.kind in ("crash", "hang"):
                key = (name, out.detail.split(":")[0] if out.kind == "crash" else "hang")
                if key not in crashes:
                    crashes[key] = {"target": name, "kind": out.kind, "detail": out.detail, "bytes": len(data)}
                    log.warning("%s %s: %s", name, out.kind, out.detail)
                    if save is not None:
                        save.mkdir(parents=True, exist_ok=True)
                        (save / f"{name}_{len(crashes)}{target.suffix}").write_bytes(data)
            if i % 200 == 0:
                log.info("%d inputs, %d distinct crashes", i, len(crashes))
    report.update(inputs=i, minutes=minutes, seed=seed, per_target={k: dict(v) for k, v in counts.items()},
                  slowest_s={k: round(v, 2) for k, v in slowest.items()}, crashes=list(crashes.values()))
    return report


def print_table(report: dict) -> None:
    print(f"{report['inputs']:,} inputs in {report['minutes']:g} min (seed {report['seed']})")
    print("| reader | inputs | result | InvalidInputError | crash | hang | slowest (s) |\n|---|---|---|---|---|---|---|")
    for name, c in report["per_target"].items():
        print(f"| {name} | {sum(c.values()):,} | {c.get('ok', 0):,} | {c.get('rejected', 0):,} | {c.get('crash', 0)} "
              f"| {c.get('hang', 0)} | {report['slowest_s'][name]} |")
    for k, v in report["limits"].items():
        print(f"limit check {k}: {v['kind']} in {v['seconds']:.2f} s ({v['detail']})")
    for c in report["crashes"]:
        print(f"CRASH {c['target']} ({c['kind']}): {c['detail']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds one input may take before it counts as a hang")
    ap.add_argument("--save-crashes", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # overflow in hostile values is expected
    for noisy in ("app", "imageio", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    names = [n for n in args.targets.split(",") if n]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        ap.error(f"unknown targets {unknown}; choose from {list(TARGETS)}")
    report = fuzz(args.minutes, names, args.seed, args.timeout, args.save_crashes)
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 1 if report["crashes"] or any(v["kind"] != "rejected" for v in report["limits"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
