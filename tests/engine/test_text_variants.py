"""Grammatical forms of corpus descriptions (commands, participle captions) for training ATOM's text path."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from app.engine.corpus.describe import T
from app.engine.corpus.text_variants import (FORMS, base_form, corpus_verbs, ing_form, inflect, overlapping_fragments,
                                             split_subject, variant)
from app.engine.t2m.text_forms import draw_forms

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


@pytest.mark.parametrize("verb3,base,ing", [
    ("waves", "wave", "waving"), ("jogs", "jog", "jogging"), ("punches", "punch", "punching"),
    ("hurries", "hurry", "hurrying"), ("kneels", "kneel", "kneeling"), ("tiptoes", "tiptoe", "tiptoeing"),
    ("side-steps", "side-step", "side-stepping"), ("does", "do", "doing"), ("squats", "squat", "squatting"),
    ("pivots", "pivot", "pivoting"), ("boxes", "box", "boxing"), ("crosses", "cross", "crossing"),
])
def test_verb_forms(verb3, base, ing):
    assert base_form(verb3) == base
    assert ing_form(base) == ing


def test_only_clause_initial_verbs_change():
    assert inflect("does star jumps, then waves twice", "base") == "do star jumps, then wave twice"
    assert inflect("squats down and stands back up", "ing") == "squatting down and standing back up"
    assert inflect("circles both arms and jumps", "base") == "circle both arms and jump"
    assert inflect("raises the left arm and points forward", "ing") == "raising the left arm and pointing forward"


def test_every_template_starts_with_a_known_verb():
    for name, tpls in T.items():
        for tpl in tpls:
            first = re.split(r"[\s,{]", tpl.replace("{adv_pre}", ""))[0]
            assert first in corpus_verbs(), (name, tpl)


def test_variant_forms():
    text = "a man turns to the left, then jumps twice"
    assert variant(text, "command") == "turn to the left, then jump twice"
    assert variant(text, "participle") == "a man turning to the left, then jumping twice"
    assert variant(text, "progressive", "she") == "she is turning to the left, then jumping twice"
    assert variant(text, "third", "a dancer") == "a dancer turns to the left, then jumps twice"
    assert variant(text, "participle", "he") is None       # "he turning" is not how anyone writes
    assert variant("walk forward", "command") is None       # no subject: not a corpus sentence
    assert split_subject("the woman waves") == ("the woman", "waves")


def test_every_form_of_a_sentence():
    text = "someone claps three times"
    out = [variant(text, f) for f in FORMS]
    assert out == ["clap three times", "someone clapping three times", "someone is clapping three times", text]


def test_variants_leave_out_the_suite_phrasings():
    """A command or participle form can meet the prompt-following suite's wording ("kick with the" in
    "kick with the left leg, then ..."); with the suite's overlapping pieces banned no variant holds one,
    and no suite prompt is ever a variant."""
    from prompt_suite import SUITE
    suite = [p.text.lower() for p in SUITE]
    banned = overlapping_fragments(suite)
    assert "kick with the" in banned and "waves with the" not in banned
    text = "a man kicks with the left leg, then punches with the right hand"
    for seed in range(8):
        drawn = draw_forms([[text]], np.random.default_rng(seed), banned)[0]
        assert drawn and not any("kick with the" in v for v in drawn)   # another form is drawn instead
    for tpls in T.values():
        for tpl in tpls:
            for kind in ("base", "ing"):
                for frag in re.split(r"\{[^}]*\}", inflect(tpl.replace("{adv_pre}", ""), kind)):
                    frag = " ".join(frag.split())
                    if len(frag.split()) >= 3 and frag not in banned:
                        assert not any(frag in t for t in suite), (kind, frag)
