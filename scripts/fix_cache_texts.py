"""Bring a text-to-motion cache's texts in line with a rebuilt corpus (session 35: the repeat-count fix).

    .venv/bin/python scripts/fix_cache_texts.py --cache .cache/t2m/train_s33_start_ctx.npz \\
        --out .cache/t2m/train_s35_ctx.npz

An item whose own corpus texts (the first ``original_texts`` of its texts) differ from the corpus file's gets the
corpus file's texts, its variants dropped (``app.engine.t2m.data.replace_texts``); motions are not touched (a text
fix leaves them bit for bit: ``--check-motions`` compares the two corpus files). Prints how many items changed.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.t2m.data import CORPUS_FILE, replace_texts  # noqa: E402

log = logging.getLogger("fix_cache_texts")


def changed_texts(cache: Path, corpus: Path = CORPUS_FILE) -> dict[str, list[str]]:
    """{item id: the corpus file's texts} for the cache's items whose original texts differ from them."""
    with np.load(corpus, allow_pickle=False) as d:
        now = {it["id"]: it["texts"] for it in json.loads(str(d["items"]))}
    with np.load(cache, allow_pickle=False) as d:
        ids, texts = json.loads(str(d["ids"])), json.loads(str(d["texts"]))
        orig = [int(x) for x in d["original_texts"]] if "original_texts" in d.files else [len(t) for t in texts]
    return {id_: now[id_] for id_, tx, n in zip(ids, texts, orig) if id_ in now and tx[:n] != now[id_]}


def same_motions(a: Path, b: Path) -> bool:
    """Whether two corpus files hold the same motions (every stored array but the item texts equal)."""
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        return x.files == y.files and all(np.array_equal(x[k], y[k]) for k in x.files if k != "items")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--check-motions", type=Path, help="an older corpus file whose motions must equal the current's")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.check_motions is not None and not same_motions(args.check_motions, CORPUS_FILE):
        log.error("the corpus motions differ from %s: rebuild the cache instead", args.check_motions)
        return 1
    new = changed_texts(args.cache)
    for id_, tx in list(new.items())[:5]:
        log.info("%s -> %s", id_, tx[0])
    out, n = replace_texts(args.cache, args.out, new)
    print(json.dumps({"cache": str(args.cache), "out": str(out), "items_changed": n}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
