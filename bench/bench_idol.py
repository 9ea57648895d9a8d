"""IDOL on held-out clips: depth error, video PSNR, RGB-depth alignment, pose following, temporal
consistency, determinism and speed (metrics: ``app/engine/idol/metrics.py``).

    nice -n 19 .venv/bin/python bench/bench_idol.py --model models/idol --clips 40 --json out.json
    .venv/bin/python bench/bench_idol.py --model .cache/idol/runs/cpu_no_xattn_s0/model   # an ablation row

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "idol"))
    ap.add_argument("--data", default=str(ROOT / ".cache" / "idol" / "data"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--guidance", type=float, default=None, help="CFG scale (default: the model's)")
    ap.add_argument("--sampler", default=None, choices=["ddim", "dpm"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-pose", action="store_true", help="skip BlazePose")
    ap.add_argument("--gt-row", action="store_true", help="also score the ground-truth renders")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.idol.data import load_clips
    from app.engine.idol.metrics import PoseChecker
    from app.engine.idol.pipeline import Conditions, IdolPipeline

    t0 = time.monotonic()
    pipe = IdolPipeline.from_pretrained(args.model)
    load_s = time.monotonic() - t0
    clips = load_clips(args.data, args.split, limit=args.clips)
    if not clips:
        raise SystemExit(f"no {args.split} clips in {args.data}")
    size, frames = pipe.config.size, pipe.config.frames
    checker = None if args.no_pose else PoseChecker()
    rows, gt_rows, gen_s, determinism = [], [], [], None
    for i, clip in enumerate(clips):
        win = _resize_window(clip.window(0, frames), size)
        cond = Conditions(win["pose"], win["background"], win["reference"])
        t1 = time.monotonic()
        kw = dict(steps=args.steps, seed=args.seed, guidance=args.guidance, sampler=args.sampler)
        rgb, depth_vis = pipe(cond, **kw)
        gen_s.append(time.monotonic() - t1)
        if i == 0:
            again = pipe(cond, **kw)
            determinism = bool(np.array_equal(rgb, again[0]) and np.array_equal(depth_vis, again[1]))
        rows.append(score(rgb, depth_vis, win, clip, checker))
        if args.gt_row:
            gt_rows.append(score(win["rgb"], win["depth_vis"], win, clip, checker))
        log.info("clip %d/%d: %s", i + 1, len(clips), json.dumps({k: round(v, 4) for k, v in rows[-1].items()}))
    if checker is not None:
        checker.__exit__()
    mean = lambda rs: {k: float(np.nanmean([r[k] for r in rs])) for k in rs[0]}  # noqa: E731
    result = {"model": args.model, "variant": pipe.config.variant, "model_info": pipe.info, "clips": len(rows),
              "size": size, "frames": frames, "steps": args.steps or pipe.config.sample_steps,
              "guidance": pipe.config.guidance if args.guidance is None else args.guidance,
              "sampler": args.sampler or pipe.config.sampler,
              "same_seed_bit_identical": determinism, "model_load_s": round(load_s, 2),
              "generate_s_median": round(float(np.median(gen_s)), 2), "threads": args.threads, "idol": mean(rows)}
    if gt_rows:
        result["ground_truth"] = mean(gt_rows)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
