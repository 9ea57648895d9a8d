"""Train IDOL (or an ablation / the two-stage baseline) on the rendered clips; resumable.

    nice -n 19 .venv/bin/python scripts/train_idol.py --variant full --threads 2 --max-minutes 180
    .venv/bin/python scripts/train_idol.py --preset gpu --data .cache/idol/data128 --max-minutes 60   # on a GPU

The run folder (default ``.cache/idol/runs/{preset}_{variant}_s{seed}``) gets ``last.pt`` every
``--checkpoint-minutes`` (rerunning the same command resumes from it), ``log.jsonl`` (loss parts,
seconds and CPU seconds per step, sample errors of a training clip) and ``model/`` (the EMA weights
as an IdolPipeline folder: copy it to ``models/idol/`` to ship it). ``--max-minutes`` limits this
invocation; CUDA is used when present.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("train_idol")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="cpu", choices=["cpu", "gpu", "mini", "tiny"])
    ap.add_argument("--variant", default="full",
                    choices=["full", "no_xattn", "no_motion_loss", "no_attn_loss", "two_stage"])
    ap.add_argument("--data", default=str(ROOT / ".cache" / "idol" / "data"))
    ap.add_argument("--run", default=None, help="run folder (default .cache/idol/runs/PRESET_VARIANT_sSEED)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=180.0)
    ap.add_argument("--max-steps", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--subset", type=int, default=0, help="train on the first N clips only (overfit checks)")
    ap.add_argument("--no-flip", action="store_true", help="no mirrored windows (overfit checks)")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup", type=int, default=None, help="linear LR warm-up steps")
    ap.add_argument("--batch-clips", type=int, default=None)
    ap.add_argument("--ema", type=float, default=None)
    ap.add_argument("--frames", type=int, default=None, help="override the preset's frames per clip")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--sample-every", type=int, default=0, help="sample a training clip every N steps (0: never)")
    ap.add_argument("--eval-every", type=int, default=0,
                    help="fixed-noise denoising error every N steps (a multiple of --log-every; 0: never)")
    ap.add_argument("--eval-split", default="test", help="clips for --eval-every: test (held out) or train")
    ap.add_argument("--eval-clips", type=int, default=4)
    ap.add_argument("--export-every", type=int, default=0,
                    help="also export the EMA model every N steps to RUN/model_stepN (equal-budget comparisons)")
    ap.add_argument("--amp", default="fp32", choices=["fp32", "bf16"],
                    help="bf16: autocast the forward pass (on a GPU: about half the memory traffic of fp32)")
    ap.add_argument("--prefetch", action="store_true", help="draw the next batch on a helper thread (GPU runs)")
    ap.add_argument("--init", default=None, help="start a new run from this exported model folder (e.g. models/idol)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.idol.config import PRESETS, TrainConfig, with_variant
    from app.engine.idol.data import load_clips
    from app.engine.idol.train import Trainer

    cfg = with_variant(PRESETS[args.preset], args.variant)
    if args.frames:
        cfg = replace(cfg, frames=args.frames)
    tcfg = TrainConfig(max_minutes=args.max_minutes, max_steps=args.max_steps, threads=args.threads, seed=args.seed,
                       subset=args.subset, checkpoint_minutes=args.checkpoint_minutes, log_every=args.log_every,
                       sample_every=args.sample_every, eval_every=args.eval_every, flip=not args.no_flip,
                       export_every=args.export_every, prefetch=args.prefetch, amp=args.amp)
    for name in ("lr", "warmup", "batch_clips", "ema"):
        if getattr(args, name) is not None:
            tcfg = replace(tcfg, **{name: getattr(args, name)})
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda":   # TF32 matmuls and convolutions: fp32 training at tensor-core speed
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    clips = load_clips(args.data, "train", limit=args.subset)
    if not clips:
        raise SystemExit(f"no training clips in {args.data}: run scripts/build_idol_data.py first")
    if clips[0].arrays["rgb"].shape[1] != cfg.size:
        raise SystemExit(f"{args.data} holds {clips[0].arrays['rgb'].shape[1]}px clips, the {args.preset} preset "
                         f"needs {cfg.size}px: build them with --size {cfg.size}")
    run = Path(args.run or ROOT / ".cache" / "idol" / "runs" / f"{args.preset}_{args.variant}_s{args.seed}")
    trainer = Trainer(cfg, tcfg, clips, run, device)
    if not trainer.resume() and args.init:
        trainer.init_from(args.init)
    (run / "train_config.json").write_text(json.dumps({"idol": cfg.to_dict(), "train": tcfg.__dict__,
                                                       "device": device, "clips": len(clips)}, indent=1))
    log.info("training %s (%s) on %d clips, %s, %.1fM parameters, from step %d", args.variant, args.preset,
             len(clips), device, sum(p.numel() for p in trainer.params) / 1e6, trainer.step)
    eval_clips = (clips if args.eval_split == "train" else load_clips(args.data, args.eval_split))[:args.eval_clips]
    step = trainer.run(on_log=lambda d: log.info("%s", json.dumps(d)), eval_clips=eval_clips or None)
    log.info("stopped at step %d; model in %s", step, run / "model")


if __name__ == "__main__":
    main()
