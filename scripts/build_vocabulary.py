"""Write models/atom/vocabulary.json: the words the text-to-motion model was trained on.

Words: content words of the training split's texts (procedural items from data/corpus/corpus.npz
and the real mocap windows, as the trainer reads them), each with the number of training items
whose texts use it.  Atoms: every corpus atom's family, short description and template words
(app/engine/corpus/describe.py).  Closest atoms per known word: the atoms whose templates use it,
else the most similar atom description by MiniLM.

    .venv/bin/python scripts/build_vocabulary.py [--out models/atom/vocabulary.json]
    .venv/bin/python scripts/build_vocabulary.py --cache .cache/t2m/train_s28_syn.npz   # a cache with text variants

``--cache``: read the texts from the training cache the model was trained on (its command / caption forms
and WordNet-synonym variants included, session 28) instead of the corpus.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.t2m.vocabulary import VOCAB_FILE, Vocabulary, content_words, stem  # noqa: E402

log = logging.getLogger("build_vocabulary")
CORPUS = ROOT / "data" / "corpus" / "corpus.npz"


def training_texts() -> list[list[str]]:
    """The texts of each training item (procedural items, then real windows of the train split)."""
    import numpy as np

    from app.engine.corpus import splits as S
    from app.engine.corpus.real_mocap import DEFAULT_PATH, load_real_corpus

    items: list[list[str]] = []
    with np.load(CORPUS, allow_pickle=False) as data:
        seed = int(data["seed"])
        items += [list(r["texts"]) for r in json.loads(str(data["items"])) if r["split"] == "train"]
    if DEFAULT_PATH.is_file():
        items += [list(w.texts) for w in load_real_corpus(DEFAULT_PATH)
                  if S.group_split(w.meta.get("group", w.clip.name), seed) == "train"]
    return items


def cache_texts(path: Path) -> list[list[str]]:
    """The texts of each item of a training cache (``app.engine.t2m.data.write_cache``)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return [list(t) for t in json.loads(str(data["texts"]))]


def atom_table() -> dict[str, dict]:
    from app.engine.corpus.describe import SHORT, T
    from app.engine.corpus.registry import ATOMS

    out = {}
    for name, spec in sorted(ATOMS.items()):
        words: list[str] = []
        for tpl in T.get(name, [name.replace("_", " ")]):
            for w in content_words(tpl.replace("{", " {").replace("}", "} ")):
                if not w.startswith("{") and w not in words and w not in ("side", "hand", "arm", "leg", "times", "adv",
                                                                          "deg", "dir", "updir", "pdir", "them", "turns", "pre"):
                    words.append(w)
        short = SHORT.get(name, name.replace("_", " "))
        phrases = [" ".join(("a person " + re.sub(r"\{[a-z_]+\}", " ", t)).split()) for t in T.get(name, [])]
        out[name] = dict(family=spec.family, description=f"a person {short}", words=words, phrases=phrases)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=VOCAB_FILE)
    ap.add_argument("--cache", type=Path, help="a training cache (.npz) whose texts the model read")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    items = cache_texts(args.cache) if args.cache else training_texts()
    source = (f"training cache {args.cache.name} (corpus train texts + variants)" if args.cache
              else "data/corpus/corpus.npz train split + real mocap train windows")
    counts: Counter[str] = Counter()
    for texts in items:
        counts.update(set(w for t in texts for w in content_words(t)))
    atoms = atom_table()
    vocab = Vocabulary(dict(counts), atoms)
    by_stem: dict[str, list[str]] = {}
    for name, a in atoms.items():
        for w in a["words"]:
            by_stem.setdefault(stem(w), []).append(name)
    word_atoms = {}
    for w, n in counts.items():
        if n < vocab.min_items:
            continue
        named = by_stem.get(stem(w))
        word_atoms[w] = sorted(set(named))[:4] if named else [a for a, _ in vocab.closest_atoms(w, k=2)]
    vocab.word_atoms = word_atoms
    path = vocab.save(args.out, training_items=len(items), source=source)
    log.info("%d training items, %d words (%d learned, >= %d items), %d atoms -> %s", len(items), len(counts),
             len(word_atoms), vocab.min_items, len(atoms), path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
