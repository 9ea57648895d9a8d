"""Train the text-motion evaluator (contrastive, CPU) and write models/evaluator/.

    .venv/bin/python scripts/train_evaluator.py --minutes 18            # fresh
    .venv/bin/python scripts/train_evaluator.py --minutes 18 --resume   # continue

Symmetric InfoNCE over (motion, text) pairs with a learned temperature; in-batch pairs that
share the atom sequence (procedural) or the group (real mocap) are not used as negatives.
A random one of each motion's texts is used per step; real windows are drawn 3x per epoch.
The learning rate follows a cosine over the time budget. Resume state lives in
out/evaluator_train/state.pt (not committed); the best checkpoint by validation R@1+R@3
is written to --out after every epoch.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.corpus.dataset import DEFAULT_DIR, load_corpus  # noqa: E402
from app.engine.evaluator.model import MAX_FRAMES, Evaluator, EvaluatorConfig, pad_batch  # noqa: E402
from app.engine.evaluator.metrics import r_precision  # noqa: E402
from app.engine.repr.normalizer import Normalizer  # noqa: E402
from app.engine.text_encoder import TextEncoder  # noqa: E402

log = logging.getLogger("train_evaluator")


def item_key(it) -> str:
    if it.source == "procedural":
        return "|".join(a for a, _ in it.meta["atoms"])
    return "real:" + str(it.meta.get("group", it.id))


def prepare(items, enc: TextEncoder):
    feats = [it.features for it in items]
    texts = [list(it.texts) for it in items]
    flat = [t for ts in texts for t in ts]
    emb = enc.encode(flat)
    out, k = [], 0
    for ts in texts:
        out.append(emb[k:k + len(ts)])
        k += len(ts)
    return feats, out, [item_key(it) for it in items]


def retrieval(model: Evaluator, feats, text_emb) -> dict:
    m = model.embed_features(feats)
    t = model.embed_text_vectors(np.stack([e[0] for e in text_emb]))
    r = r_precision(t, m)
    return {"R@1": round(float(r[0]), 4), "R@2": round(float(r[1]), 4), "R@3": round(float(r[2]), 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DEFAULT_DIR))
    ap.add_argument("--out", default=str(ROOT / "models" / "evaluator"))
    ap.add_argument("--state", default=str(ROOT / "out" / "evaluator_train" / "state.pt"))
    ap.add_argument("--minutes", type=float, default=18.0, help="training time budget (all runs together)")
    ap.add_argument("--batch", type=int, default=96)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    train, val = load_corpus(args.corpus, "train"), load_corpus(args.corpus, "val")
    enc = TextEncoder.get()
    tr_feats, tr_text, tr_keys = prepare(train, enc)
    va_feats, va_text, _ = prepare(val, enc)
    norm = Normalizer.fit(tr_feats)
    tr_norm = [norm.normalize(f).astype(np.float32) for f in tr_feats]
    log.info("data ready in %.0f s: %d train, %d val", time.perf_counter() - t0, len(train), len(val))

    model = Evaluator(EvaluatorConfig(), norm)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    state_path = Path(args.state)
    elapsed, epoch, best, history = 0.0, 0, -1.0, []
    if args.resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        elapsed, epoch, best, history = st["elapsed"], st["epoch"], st["best"], st["history"]
        rng = np.random.default_rng([args.seed, epoch])
        log.info("resumed at epoch %d after %.1f min", epoch, elapsed / 60)
    budget = args.minutes * 60
    real_idx = [i for i, it in enumerate(train) if it.source == "real"]
    key_ids = {k: i for i, k in enumerate(sorted(set(tr_keys)))}
    keys = torch.tensor([key_ids[k] for k in tr_keys])
    step = 0
    while elapsed < budget:
        order = rng.permutation(np.concatenate([np.arange(len(train))] + [np.array(real_idx, int)] * 2))
        batches = []  # length buckets: sort chunks of 16 batches by length, then shuffle the batches
        for c in range(0, len(order), args.batch * 16):
            chunk = sorted(order[c:c + args.batch * 16], key=lambda i: len(tr_norm[i]))
            batches += [np.array(chunk[b:b + args.batch]) for b in range(0, len(chunk) - args.batch + 1, args.batch)]
        model.train()
        losses = []
        for bi in rng.permutation(len(batches)):
            if elapsed >= budget:
                break
            s0 = time.perf_counter()
            idx = batches[bi]
            crops = []
            for i in idx:
                f = tr_norm[i]
                s = int(rng.integers(0, len(f) - MAX_FRAMES + 1)) if len(f) > MAX_FRAMES else 0
                crops.append(f[s:s + MAX_FRAMES])
            x, lengths = pad_batch(crops)
            temb = torch.as_tensor(np.stack([tr_text[i][rng.integers(len(tr_text[i]))] for i in idx]))
            kb = keys[torch.as_tensor(idx)]
            same = (kb[:, None] == kb[None]) | (torch.as_tensor(idx)[:, None] == torch.as_tensor(idx)[None])
            lr = args.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget)))
            for g in opt.param_groups:
                g["lr"] = lr
            loss, _ = model.loss(x, lengths, temb, same)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
            step += 1
            elapsed += time.perf_counter() - s0
        epoch += 1
        val_r = retrieval(model, va_feats, va_text)
        history.append({"epoch": epoch, "minutes": round(elapsed / 60, 2), "loss": round(float(np.mean(losses)), 4),
                        "temperature": round(float(1 / model.logit_scale.exp()), 4), "val": val_r})
        log.info("%s", history[-1])
        score = val_r["R@1"] + val_r["R@3"]
        if score > best:
            best = score
            model.save(args.out, {"trained_epochs": epoch, "val": val_r})
        state_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "elapsed": elapsed, "epoch": epoch,
                    "best": best, "history": history}, state_path)

    best_model = Evaluator.load(args.out)
    test = load_corpus(args.corpus, "test")
    te_feats, te_text, _ = prepare(test, enc)
    results = {"val": retrieval(best_model, va_feats, va_text), "test": retrieval(best_model, te_feats, te_text)}
    for name, sub in (("test_procedural", [i for i, it in enumerate(test) if it.source == "procedural"]),
                      ("test_real", [i for i, it in enumerate(test) if it.source == "real"])):
        if len(sub) >= 2:
            results[name] = retrieval(best_model, [te_feats[i] for i in sub], [te_text[i] for i in sub])
    summary = {"command": "python " + " ".join(sys.argv), "train_minutes": round(elapsed / 60, 1), "epochs": epoch,
               "machine": f"{platform.processor() or platform.machine()}, torch threads {args.threads}",
               "counts": {"train": len(train), "val": len(val), "test": len(test)}, "retrieval": results,
               "history": history}
    (Path(args.out) / "training.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
