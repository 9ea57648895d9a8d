"""Train the candidate ranker (:mod:`app.engine.t2m.ranker`) on a text-to-motion cache; resumable.

    .venv/bin/python scripts/train_ranker.py --run .cache/t2m/ranker/r1 --steps 12000 --max-minutes 60
    .venv/bin/python scripts/train_ranker.py --run .cache/t2m/ranker/tiny --overfit 64 --steps 600   # overfit check
    .venv/bin/python scripts/train_ranker.py --run .cache/t2m/ranker/r1 --evaluate    # val figures of RUN/best

Symmetric InfoNCE over (motion, text) pairs of a batch; the motion -> text direction also sees one edited
text per item (side, count or direction changed: :mod:`app.engine.t2m.ranker_data`) as a hard negative.
Items sharing their first text are not negatives of each other. Validation (the val cache, fixed draws):
R@1 / R@3 among batches of 32 and, per edit kind, how often the true text outscores its edit. The best
checkpoint by R@1 + mean edit accuracy is written to RUN/best (and to --out when given). State every
``--every`` minutes in RUN/state.pt; a rerun with the same RUN resumes.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.repr.normalizer import Normalizer  # noqa: E402
from app.engine.t2m.data import CACHE_DIR, T2MDataset, model_input  # noqa: E402
from app.engine.t2m.ranker import MotionTextRanker, RankerConfig  # noqa: E402
from app.engine.t2m.ranker_data import EDIT_KINDS, build_negatives  # noqa: E402
from app.engine.t2m.text_cond import pad_tokens  # noqa: E402

log = logging.getLogger("train_ranker")


def load_split(cache: Path, name: str, seed: int) -> tuple[T2MDataset, list]:
    """The dataset and its encoded negatives (built once, kept in .cache/t2m/ranker/negatives_CACHE_SEED.pt)."""
    ds = T2MDataset.load(cache)
    path = CACHE_DIR / "ranker" / f"negatives_{cache.stem}_{seed}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        negs = torch.load(path, weights_only=False)
    else:
        t0 = time.time()
        negs = build_negatives(ds.texts, list(ds.original_texts), seed)["items"]
        torch.save(negs, path)
        log.info("encoded %d negative texts for %s in %.0f s", sum(map(len, negs)), name, time.time() - t0)
    return ds, negs


def cond_of(toks: list[np.ndarray], slots: list[np.ndarray]) -> dict:
    t, m = pad_tokens([np.asarray(x, np.float32) for x in toks])
    return {"tokens": torch.from_numpy(t), "token_mask": torch.from_numpy(m),
            "slots": torch.as_tensor(np.stack(slots), dtype=torch.long)}


def corrupt(x: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per item one motion that no longer fits its text (normalised features): **damped** (pulled towards its
    own mean pose, 10-50 % of the movement left: a watered-down, near-static version) or **cut short** (its
    first 40-60 % stretched over the whole length: fewer repetitions, an unfinished action)."""
    out = np.zeros_like(x)
    for k, n in enumerate(lengths):
        n = int(n)
        v = x[k, :n]
        if rng.random() < 0.5:
            mu = v.mean(0, keepdims=True)
            out[k, :n] = mu + rng.uniform(0.1, 0.5) * (v - mu)
        else:
            keep = max(2, int(round(n * rng.uniform(0.4, 0.6))))
            src = np.linspace(0, keep - 1, n)
            lo = np.floor(src).astype(int)
            hi = np.minimum(lo + 1, keep - 1)
            w = (src - lo)[:, None]
            out[k, :n] = (1 - w) * v[lo] + w * v[hi]
    return out


def step_loss(model: MotionTextRanker, ds: T2MDataset, negs: list, rng: np.random.Generator, norm: Normalizer,
              size: int, motion_negatives: bool = False) -> torch.Tensor:
    b = ds.batch(rng, size, norm)
    idx = b["index"]
    lengths = torch.as_tensor(b["lengths"])
    m = model.embed_motion(torch.from_numpy(b["x"]), lengths)
    t = model.embed_text({"tokens": torch.from_numpy(b["tokens"]), "token_mask": torch.from_numpy(b["token_mask"]),
                          "slots": torch.from_numpy(b["slots"])})
    keys = [ds.texts[i][0] for i in idx]
    same = torch.tensor([[a == c for c in keys] for a in keys]) & ~torch.eye(len(idx), dtype=torch.bool)
    scale = model.logit_scale.clamp(max=math.log(100.0)).exp()
    logits = scale * (m @ t.T)
    logits = logits.masked_fill(same, -1e4)
    picks = [negs[i][int(rng.integers(len(negs[i])))] if negs[i] else None for i in idx]
    has = [k for k, p in enumerate(picks) if p is not None]
    m2t = logits
    if has:
        tn = model.embed_text(cond_of([picks[k][1] for k in has], [picks[k][2] for k in has]))
        neg = torch.full((len(idx), len(has)), -1e4)
        rows = torch.as_tensor(has)
        neg[rows, torch.arange(len(has))] = scale * (m[rows] * tn).sum(-1)   # each motion vs its own edit
        m2t = torch.cat([logits, neg], 1)
    t2m = logits.T
    if motion_negatives:   # each text also against every corrupted motion of the batch (its own among them)
        mc = model.embed_motion(torch.from_numpy(corrupt(b["x"], b["lengths"], rng)), lengths)
        t2m = torch.cat([t2m, scale * (t @ mc.T)], 1)
    target = torch.arange(len(idx))
    return 0.5 * (F.cross_entropy(m2t, target) + F.cross_entropy(t2m, target))


@torch.no_grad()
def validate(model: MotionTextRanker, ds: T2MDataset, negs: list, norm: Normalizer, group: int = 32) -> dict:
    """R@1 / R@3 within fixed groups of ``group`` items (first text) and edit accuracy per kind."""
    model.eval()
    n = len(ds) - len(ds) % group
    order = np.random.default_rng(123).permutation(len(ds))[:n]
    r1 = r3 = 0
    hits: dict[str, list[bool]] = {k: [] for k in (*EDIT_KINDS, "motion")}
    crng = np.random.default_rng(7)
    for s in range(0, n, group):
        idx = order[s:s + group]
        feats = [model_input(norm, ds.features[i]) for i in idx]
        lengths = torch.as_tensor([len(f) for f in feats])
        x = torch.zeros(len(idx), int(lengths.max()), feats[0].shape[-1])
        for k, f in enumerate(feats):
            x[k, :len(f)] = torch.from_numpy(f)
        m = model.embed_motion(x, lengths)
        t = model.embed_text(cond_of([ds.tokens[i][0] for i in idx], [ds.slots[i][0] for i in idx]))
        mc = model.embed_motion(torch.from_numpy(corrupt(x.numpy(), lengths.numpy(), crng)), lengths)
        hits["motion"] += ((t * m).sum(-1) > (t * mc).sum(-1)).tolist()
        sim = (t @ m.T).numpy()
        rank = (sim > np.diag(sim)[:, None]).sum(1)
        r1, r3 = r1 + int((rank < 1).sum()), r3 + int((rank < 3).sum())
        for k, i in enumerate(idx):
            if negs[i]:
                kind, tok, sl = negs[i][0]
                tn = model.embed_text(cond_of([tok], [sl]))
                hits[kind].append(bool(float(m[k] @ t[k]) > float(m[k] @ tn[0])))
    out = {"R@1": r1 / n, "R@3": r3 / n}
    out.update({f"edit_{k}": (float(np.mean(v)) if v else float("nan")) for k, v in hits.items()})
    out["edit_n"] = {k: len(v) for k, v in hits.items()}
    model.train()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=str(CACHE_DIR / "train_s35_ctx.npz"))
    ap.add_argument("--val-cache", default=str(CACHE_DIR / "val_s35.npz"))
    ap.add_argument("--normalizer", default=str(ROOT / "models" / "atom" / "normalizer.npz"))
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", default=None, help="also write the best checkpoint here (e.g. models/ranker)")
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop after this long (0: no limit)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--motion-negatives", action="store_true",
                    help="texts also contrast with damped / cut-short versions of the batch's motions")
    ap.add_argument("--original-share", type=float, default=0.5, help="share of batches reading an own text")
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--every", type=float, default=4.0, help="minutes between resumable states")
    ap.add_argument("--overfit", type=int, default=0, help="train and validate on the first N items only")
    ap.add_argument("--evaluate", action="store_true", help="print the val figures of RUN/best and stop")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    norm = Normalizer.load(args.normalizer)
    if args.evaluate:
        ds, negs = load_split(Path(args.val_cache), "val", 1)
        print(json.dumps(validate(MotionTextRanker.from_pretrained(run / "best"), ds, negs, norm)))
        return 0
    train, tnegs = load_split(Path(args.cache), "train", args.seed)
    if args.overfit:
        keep = list(range(args.overfit))
        train, tnegs = train.subset(keep, texts_per_item=1), [tnegs[i][:1] for i in keep]
        val, vnegs = train, tnegs
    else:
        val, vnegs = load_split(Path(args.val_cache), "val", 1)
        train.original_share = args.original_share
    torch.manual_seed(args.seed)
    model = MotionTextRanker(RankerConfig())
    model.set_normalizer(norm.mean, norm.std)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = np.random.default_rng(args.seed)
    step, best, elapsed = 0, -1.0, 0.0
    state = run / "state.pt"
    if state.is_file():
        s = torch.load(state, weights_only=False)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, best, elapsed, rng.bit_generator.state = s["step"], s["best"], s["elapsed"], s["rng"]
        log.info("resumed at step %d (best %.4f)", step, best)
    t0, last_save = time.time() - elapsed, time.time()

    def save_state() -> None:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best,
                    "elapsed": time.time() - t0, "rng": rng.bit_generator.state}, state)

    model.train()
    with open(run / "log.jsonl", "a") as logf:
        while step < args.steps:
            if args.max_minutes and time.time() - t0 > args.max_minutes * 60:
                log.info("time budget reached at step %d", step)
                break
            lr = args.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = step_loss(model, train, tnegs, rng, norm, args.batch, args.motion_negatives)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 50 == 0:
                logf.write(json.dumps({"step": step, "loss": round(float(loss.detach()), 4), "lr": lr,
                                       "min": round((time.time() - t0) / 60, 2)}) + "\n")
                logf.flush()
            if step % args.val_every == 0 or step == args.steps:
                v = validate(model, val, vnegs, norm)
                kinds = (*EDIT_KINDS, "motion") if args.motion_negatives else EDIT_KINDS
                edits = [v[f"edit_{k}"] for k in kinds if not math.isnan(v[f"edit_{k}"])]
                score = v["R@1"] + (float(np.mean(edits)) if edits else 0.0)
                log.info("step %d loss %.3f val %s", step, float(loss.detach()), {k: v[k] for k in v if k != "edit_n"})
                logf.write(json.dumps({"step": step, "val": v, "score": score}) + "\n")
                if score > best:
                    best = score
                    model.save(run / "best", {"step": step, "val": v, "cache": str(args.cache)})
                    if args.out:
                        model.save(args.out, {"step": step, "val": v, "cache": Path(args.cache).name})
                save_state()
            if time.time() - last_save > args.every * 60:
                save_state()
                last_save = time.time()
    save_state()
    log.info("done at step %d, best score %.4f", step, best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
