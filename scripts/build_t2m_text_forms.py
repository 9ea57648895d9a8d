"""Add command and caption forms of every training text to an ATOM training cache (issue 11, session 16).

    .venv/bin/python scripts/build_t2m_text_forms.py --src .cache/t2m/train_s10.npz \
        --out .cache/t2m/train_s16_forms.npz --seed 0

Each text gets one variant (``app/engine/t2m/text_forms.py``): "wave with the left hand twice", "a girl
waving with the left hand twice", "she is waving ...", or the sentence with another subject. The
prompt-following suite (``bench/prompt_suite.py``) is read for decontamination only: a variant holding
one of the suite's 3-word pieces that the inflected templates share with it is dropped, and the build
fails if a whole suite prompt appears in a training text. Only the train cache changes; val and test
keep the corpus's own texts. ``--synonyms`` (session 28) adds one more variant per text with words swapped
for WordNet synonyms the corpus never uses (``app/engine/corpus/synonyms.py``):

    .venv/bin/python scripts/build_t2m_text_forms.py --src .cache/t2m/train_s25.npz \
        --out .cache/t2m/train_s28_syn.npz --seed 0 --synonyms --threads 2

``--context`` (session 31) instead appends, to a cache that already has its variants, one context variant
per original text ("a young man ... in the park", ``app/engine/corpus/context_words.py``), from the
training pool without any word of the suite:

    .venv/bin/python scripts/build_t2m_text_forms.py --src .cache/t2m/train_s28_syn.npz \
        --out .cache/t2m/train_s31_ctx.npz --seed 0 --context --threads 2

``--wide-context`` (session 44) draws that variant from the wide WordNet pool (``context_words.wide_pool``);
session 44 appended one more per original text to the session-31 cache:

    .venv/bin/python scripts/build_t2m_text_forms.py --src .cache/t2m/train_ctx.npz \
        --out .cache/t2m/train_ctxw.npz --seed 1 --context --wide-context --threads 2
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=ROOT / ".cache" / "t2m" / "train_s10.npz")
    ap.add_argument("--out", type=Path, default=ROOT / ".cache" / "t2m" / "train_s16_forms.npz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--synonyms", action="store_true", help="also one WordNet-synonym variant per text (session 28)")
    ap.add_argument("--context", action="store_true",
                    help="only append one context variant per original text (session 31)")
    ap.add_argument("--wide-context", action="store_true", help="with --context: the wide WordNet pool (session 44)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    torch.set_num_threads(args.threads)
    from prompt_suite import SUITE

    from app.engine.corpus.text_variants import overlapping_fragments
    from app.engine.t2m.text_forms import add_context_variants, add_text_forms

    suite = [p.text for p in SUITE]
    banned = overlapping_fragments(suite)
    logging.info("suite pieces banned from the variants: %s", sorted(banned))
    if args.context:
        from app.engine.corpus.context_words import TRAIN, wide_pool, words_of
        words = set().union(*(words_of(t) for t in suite))
        counts = add_context_variants(args.src, args.out, args.seed, words, banned, forbidden=suite,
                                      pool=wide_pool() if args.wide_context else TRAIN)
        print(json.dumps(counts))
        return 0
    counts = add_text_forms(args.src, args.out, args.seed, banned, forbidden=suite, synonyms=args.synonyms)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
