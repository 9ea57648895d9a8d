"""Train the text -> atoms classifier (app/engine/t2m/text_atoms.py) on the training cache's texts.

Data recipe: a text-to-motion cache (``scripts/rebuild_t2m_caches.sh`` builds ``.cache/t2m/train_ctx.npz``: the
corpus's training split, every item's own texts plus synonym / context variants, pooled MiniLM vectors) and the
corpus's atom labels of the same items (``data/corpus``).  Checked on the val cache (its own split), printed.

    .venv/bin/python scripts/train_text_atoms.py --cache .cache/t2m/train_ctx.npz \
        --val-cache .cache/t2m/val_base.npz --out models/atom/text_atoms.npz
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.corpus.dataset import load_corpus  # noqa: E402
from app.engine.corpus.registry import ATOMS  # noqa: E402
from app.engine.t2m.text_atoms import fit  # noqa: E402

log = logging.getLogger("train_text_atoms")


def pairs(cache: Path, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text vectors [N, 384], target distributions [N, A], single-atom flag [N]) of a cache's labelled items."""
    d = np.load(cache, allow_pickle=False)
    split = str(d["split"])
    by_id = {it.id: it for it in load_corpus("data/corpus", split=split, include_real=False)}
    ids, off, emb = json.loads(str(d["ids"])), d["text_offsets"], d["text_emb"]
    rows, targets, single = [], [], []
    for i, id_ in enumerate(ids):
        atoms = sorted(set(by_id[id_].labels)) if id_ in by_id else []
        atoms = [a for a in atoms if a in labels]
        if not atoms:
            continue
        t = np.zeros(len(labels), np.float32)
        t[[labels.index(a) for a in atoms]] = 1.0 / len(atoms)
        for r in range(int(off[i]), int(off[i + 1])):
            rows.append(r)
            targets.append(t)
            single.append(len(atoms) == 1)
    log.info("%s (%s): %d texts of %d items", cache, split, len(rows), len(ids))
    return emb[rows], np.stack(targets), np.array(single)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(".cache/t2m/train_ctx.npz"))
    ap.add_argument("--val-cache", type=Path, default=Path(".cache/t2m/val_base.npz"))
    ap.add_argument("--out", type=Path, default=Path("models/atom/text_atoms.npz"))
    ap.add_argument("--epochs", type=int, default=60)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    labels = sorted(ATOMS)
    x, y, _ = pairs(args.cache, labels)
    clf = fit(x, y, labels, epochs=args.epochs)
    vx, vy, vs = pairs(args.val_cache, labels)
    p = clf.probs(vx)
    top1 = float((p.argmax(1) == vy.argmax(1))[vs].mean())
    in_set = float(np.mean([vy[i, p[i].argmax()] > 0 for i in range(len(p))]))
    nll = float(-(vy * np.log(p + 1e-9)).sum(1).mean())
    print(json.dumps(dict(val_texts=len(vx), val_single_top1=round(top1, 4), val_top1_in_atoms=round(in_set, 4),
                          val_nll=round(nll, 4), train_texts=len(x), atoms=len(labels))))
    clf.save(args.out)
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
