"""IDOL on held-out clips: depth error, video PSNR, RGB-depth alignment, pose following, temporal
consistency, determinism and speed (metrics: ``app/engine/idol/metrics.py``).

    nice -n 19 .venv/bin/python bench/bench_idol.py --model models/idol --clips 40 --json out.json
    .venv/bin/python bench/bench_idol.py --model .cache/idol/runs/cpu_no_xattn_s0/model   # an ablation row
    .venv/bin/python bench/bench_idol.py --clips 8 --samplers ddim:20,dpm:10   # samplers on the same clips
    .venv/bin/python bench/bench_idol.py --speed --frames 16 --repeat 3        # the speed gate (see below)
    python3 bench/bench_idol.py --model RUN/model --device cuda --no-pose --save-samples s.npz   # on a GPU
    .venv/bin/python bench/bench_idol.py --from-samples s.npz --clips 64      # score them here (BlazePose too)

``--save-samples`` keeps the generated frames of the first sampler row (uint8 npz, with the model's
config and info); ``--from-samples`` scores such a file against the same test clips without the model
(how frames generated on a lent GPU get the BlazePose measure, which needs mediapipe, on this machine).

``--speed``: ``main.py idol``'s work for one motion (default ``assets/motions/default.npz``, 16
frames) without the process start-up: model load and body load timed once (reported separately),
one warm-up run, then ``--repeat`` timed runs of the whole task (conditions, denoising, writing the
folder); reports their median and its parts, and whether the runs' files are bit-identical.

Each test clip's first window is generated from its own conditions (pose, reference, background);
clips of another size than the model's are resized (a smoke test on a tiny model). The ground-truth
renders themselves are scored too (``--gt-row``): the ceiling of the pose metrics at this size.
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
log = logging.getLogger("bench_idol")


def _resize_window(win: dict, size: int) -> dict:
    import cv2

    src = win["rgb"].shape[1]
    if src == size:
        return win
    area = lambda a: np.stack([cv2.resize(x, (size, size), interpolation=cv2.INTER_AREA) for x in a])  # noqa: E731
    near = lambda a: np.stack([cv2.resize(x, (size, size), interpolation=cv2.INTER_NEAREST) for x in a])  # noqa: E731
    out = {k: area(win[k]) for k in ("rgb", "depth_vis", "pose", "background")}
    out["reference"] = cv2.resize(win["reference"], (size, size), interpolation=cv2.INTER_AREA)
    out["depth"], out["mask"] = near(win["depth"]), near(win["mask"].astype(np.uint8)).astype(bool)
    kp = win["keypoints"].copy()
    kp[..., :2] = (kp[..., :2] + 0.5) * size / src - 0.5
    return {**out, "keypoints": kp, "near_far": win["near_far"]}


def mean(rows: list[dict]) -> dict:
    """Per-measure means over clips (NaN-safe: a measure a clip cannot have is skipped)."""
    return {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


def score(rgb, depth_vis, win, clip, pose_checker) -> dict:
    from app.engine.idol.conditions import decode, environment_depth
    from app.engine.idol.metrics import alignment_iou, depth_errors, psnr, warping_error

    near, far = win["near_far"]
    depth = decode(depth_vis, near, far)
    env = None
    if clip.spec.get("bg_kind") == "scene":
        size = rgb.shape[1]
        src = clip.arrays["rgb"].shape[1]
        env = np.stack([environment_depth(_FixedCamera(w2c, clip.arrays["K"], src), size)
                        for w2c in clip.arrays["world_to_camera"][:len(rgb)]])
    row = depth_errors(depth, win["depth"], win["mask"], near, far)
    row.update(psnr=psnr(rgb, win["rgb"]), rgb_depth_iou=alignment_iou(rgb, depth, win["background"], env),
               warp_error=warping_error(rgb, win["rgb"]))
    if pose_checker is not None:
        row.update(pose_checker.check(rgb, win["keypoints"]))
    return row


class _FixedCamera:
    """Minimal camera (intrinsics + OpenCV extrinsics) for :func:`environment_depth`."""

    def __init__(self, w2c: np.ndarray, k: np.ndarray, src: int) -> None:
        self.w2c, self.k, self.src = np.asarray(w2c, np.float64), np.asarray(k, np.float64), src

    def world_to_camera_cv(self) -> np.ndarray:
        return self.w2c

    def intrinsics(self, w: int, h: int) -> np.ndarray:
        k = self.k.copy()
        s = w / self.src
        k[:2] *= s
        k[:2, 2] = (self.k[:2, 2] + 0.5) * s - 0.5
        return k


def _specs(text: str | None, sampler: str | None, steps: int | None,
           precision: str | None = None) -> list[tuple[str | None, int | None, str | None]]:
    """``ddim:20,dpm:10:bf16`` -> [("ddim", 20, None), ("dpm", 10, "bf16")]; default: the single
    --sampler/--steps/--precision."""
    if not text:
        return [(sampler, steps, precision)]
    out = []
    for part in text.split(","):
        name, n, prec = (part.strip().split(":") + ["", ""])[:3]
        out.append((name, int(n) if n else None, prec or None))
    return out


def speed(args: argparse.Namespace) -> dict:
    """Median seconds of the whole generation task after one warm-up (loads reported separately)."""
    import hashlib
    import tempfile

    from app.core.motion_io import load_motion
    from app.engine.jobs import run_task
    from app.engine.tasks.body_tasks import load_body
    from app.engine.tasks.idol_task import IdolOptions, generate_idol, load_pipeline

    opts = IdolOptions(frames=args.frames, steps=args.steps, seed=args.seed, guidance=args.guidance,
                       sampler=args.sampler, precision=args.precision, model_dir=args.model)
    t0 = time.monotonic()
    pipe = load_pipeline(opts)
    load_s = time.monotonic() - t0
    t0 = time.monotonic()
    body = run_task(load_body, "anny")
    body_s = time.monotonic() - t0
    clip = load_motion(args.motion)
    runs, digests = [], []
    with tempfile.TemporaryDirectory(prefix="bench_idol_") as tmp:
        for r in range(1 + args.repeat):
            marks: dict[str, float] = {}

            def mark(p, marks=marks) -> None:
                now = time.monotonic()
                if p.message == "conditions ready":
                    marks["conditions"] = now
                elif p.message.startswith("denoising"):
                    marks["denoised"] = now

            t0 = time.monotonic()
            out = run_task(generate_idol, clip, Path(tmp) / f"run{r}", opts, pipeline=pipe, body=body,
                           on_progress=mark)
            end = time.monotonic()
            runs.append({"total": end - t0, "conditions": marks["conditions"] - t0,
                         "denoising": marks["denoised"] - marks["conditions"], "writing": end - marks["denoised"]})
            h = hashlib.sha256()
            for f in sorted(p for p in Path(out).rglob("*") if p.is_file() and p.name != "meta.json"):
                h.update(f.name.encode() + f.read_bytes())
            digests.append(h.hexdigest())
            log.info("run %d (%s): %s", r, "warm-up" if r == 0 else "timed",
                     json.dumps({k: round(v, 2) for k, v in runs[-1].items()}))
    timed = runs[1:] or runs
    sampler, steps = pipe.sampling(args.sampler, args.steps)
    return {"mode": "speed", "model": args.model, "motion": args.motion, "frames": args.frames, "size": pipe.config.size,
            "sampler": sampler, "steps": steps, "precision": args.precision or pipe.config.precision,
            "threads": args.threads, "model_load_s": round(load_s, 2),
            "body_load_s": round(body_s, 2), "warmup_s": round(runs[0]["total"], 2), "timed_runs": len(runs) - 1,
            "median_s": {k: round(float(np.median([r[k] for r in timed])), 2) for k in timed[0]},
            "all_runs_s": [round(r["total"], 2) for r in runs], "bit_identical": len(set(digests)) == 1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "idol"))
    ap.add_argument("--data", default=str(ROOT / ".cache" / "idol" / "data"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--first", type=int, default=0,
                    help="skip this many clips of the split (e.g. choose settings on clips the table does not use)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--guidance", type=float, default=None, help="CFG scale (default: the model's)")
    ap.add_argument("--sampler", default=None, choices=["ddim", "dpm"], help="default: the model's (ddim)")
    ap.add_argument("--samplers", default=None,
                    help="several on the same clips, e.g. ddim:20,dpm:10,ddim:20:bf16 (sampler:steps[:precision])")
    ap.add_argument("--precision", default=None, choices=["fp32", "bf16"], help="default: the model's (fp32)")
    ap.add_argument("--no-determinism", action="store_true", help="skip the same-seed rerun of the first clip")
    ap.add_argument("--speed", action="store_true", help="time the whole task instead (see the module notes)")
    ap.add_argument("--motion", default=str(ROOT / "assets" / "motions" / "default.npz"), help="--speed's motion")
    ap.add_argument("--frames", type=int, default=16, help="--speed's frames")
    ap.add_argument("--repeat", type=int, default=3, help="--speed's timed runs after the warm-up")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-pose", action="store_true", help="skip BlazePose")
    ap.add_argument("--gt-row", action="store_true", help="also score the ground-truth renders")
    ap.add_argument("--json", default=None)
    ap.add_argument("--device", default="cpu", help="sample on this device (cpu or cuda)")
    ap.add_argument("--save-samples", default=None, help="write the first row's generated frames to this npz")
    ap.add_argument("--from-samples", default=None, help="score frames saved by --save-samples (no model needed)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    if args.speed:
        result = speed(args)
        print(json.dumps(result, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
        return
    from app.engine.idol.data import load_clips
    from app.engine.idol.metrics import PoseChecker
    from app.engine.idol.pipeline import Conditions, IdolPipeline

    if args.from_samples:
        return score_saved(args)
    t0 = time.monotonic()
    pipe = IdolPipeline.from_pretrained(args.model).to(args.device)
    load_s = time.monotonic() - t0
    clips = load_clips(args.data, args.split, limit=args.first + args.clips)[args.first:]
    if not clips:
        raise SystemExit(f"no {args.split} clips in {args.data}")
    size, frames = pipe.config.size, pipe.config.frames
    checker = None if args.no_pose else PoseChecker()
    saved: dict[str, list] = {"rgb": [], "depth_vis": []}
    specs = [(*pipe.sampling(*sp[:2]), sp[2] or pipe.config.precision)
             for sp in _specs(args.samplers, args.sampler, args.steps, args.precision)]
    rows = {sp: [] for sp in specs}
    gt_rows, gen_s, determinism = [], {sp: [] for sp in specs}, None
    for i, clip in enumerate(clips):
        win = _resize_window(clip.window(0, frames), size)
        cond = Conditions(win["pose"], win["background"], win["reference"])
        for sp in specs:
            t1 = time.monotonic()
            kw = dict(sampler=sp[0], steps=sp[1], precision=sp[2], seed=args.seed, guidance=args.guidance)
            rgb, depth_vis = pipe(cond, **kw)
            gen_s[sp].append(time.monotonic() - t1)
            if sp == specs[0]:
                saved["rgb"].append(rgb)
                saved["depth_vis"].append(depth_vis)
            if i == 0 and sp == specs[0] and not args.no_determinism:
                again = pipe(cond, **kw)
                determinism = bool(np.array_equal(rgb, again[0]) and np.array_equal(depth_vis, again[1]))
            rows[sp].append(score(rgb, depth_vis, win, clip, checker))
            log.info("clip %d/%d %s:%d:%s: %s", i + 1, len(clips), *sp,
                     json.dumps({k: round(v, 4) for k, v in rows[sp][-1].items()}))
        if args.gt_row:
            gt_rows.append(score(win["rgb"], win["depth_vis"], win, clip, checker))
    if checker is not None:
        checker.__exit__()
    result = {"model": args.model, "variant": pipe.config.variant, "model_info": pipe.info, "clips": len(clips),
              "size": size, "frames": frames, "seed": args.seed,
              "guidance": pipe.config.guidance if args.guidance is None else args.guidance,
              "same_seed_bit_identical": determinism, "model_load_s": round(load_s, 2), "threads": args.threads,
              "rows": [{"sampler": sp[0], "steps": sp[1], "precision": sp[2], "generate_s_median": round(float(np.median(gen_s[sp])), 2),
                        "idol": mean(rows[sp]), "per_clip": rows[sp]} for sp in specs]}
    result.update({k: result["rows"][0][k] for k in ("generate_s_median", "idol")})   # the first row, as before
    result.update(sampler=specs[0][0], steps=specs[0][1], precision=specs[0][2])
    if gt_rows:
        result["ground_truth"] = mean(gt_rows)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
    for row in result["rows"]:
        print(f"{row['sampler']}:{row['steps']}:{row['precision']}", json.dumps({k: round(v, 4) for k, v in row["idol"].items()}),
              f"{row['generate_s_median']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.save_samples:
        meta = {k: result[k] for k in ("model", "variant", "model_info", "size", "frames", "seed", "guidance",
                                       "sampler", "steps", "precision")}
        meta["first"] = args.first
        np.savez_compressed(args.save_samples, rgb=np.stack(saved["rgb"]), depth_vis=np.stack(saved["depth_vis"]),
                            meta=np.asarray(json.dumps(meta)))


def score_saved(args: argparse.Namespace) -> None:
    """Score frames written by ``--save-samples`` against the clips they were made from (its ``first``)."""
    from app.engine.idol.data import load_clips
    from app.engine.idol.metrics import PoseChecker

    with np.load(args.from_samples, allow_pickle=False) as d:
        rgb_all, depth_all, meta = d["rgb"], d["depth_vis"], json.loads(str(d["meta"]))
    n, first = min(len(rgb_all), args.clips), int(meta.get("first", 0))
    clips = load_clips(args.data, args.split, limit=first + n)[first:]
    if len(clips) < n:
        raise SystemExit(f"{args.from_samples} holds {len(rgb_all)} clips, {args.data} only {len(clips)}")
    size, frames = int(meta["size"]), int(meta["frames"])
    checker = None if args.no_pose else PoseChecker()
    rows = []
    for i, clip in enumerate(clips):
        win = _resize_window(clip.window(0, frames), size)
        rows.append(score(rgb_all[i], depth_all[i], win, clip, checker))
        log.info("clip %d/%d: %s", i + 1, n, json.dumps({k: round(v, 4) for k, v in rows[-1].items()}))
    if checker is not None:
        checker.__exit__()
    result = {**meta, "from_samples": args.from_samples, "clips": n, "idol": mean(rows), "per_clip": rows}
    print(json.dumps({k: v for k, v in result.items() if k != "per_clip"}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
