"""WordNet synonym variants of training texts (issue 11, session 28): meaning and slots kept."""
import numpy as np

from app.engine.corpus.synonyms import PROTECTED, add_s, form_of, inflect, substitute, table
from app.engine.t2m.text_cond import parse_slots
from app.engine.t2m.text_forms import draw_synonyms

TEXTS = ["a man waves with the right hand twice", "someone walks forward slowly, then sits down",
         "a person throws a ball overhand with the left arm", "a woman jumps forward three times",
         "the figure squats down and stands up again", "somebody spins around to the left once",
         "a person walks backward quickly", "a man hops on the left foot four times"]


def test_inflection_follows_the_word():
    assert add_s("punch") == "punches" and add_s("hunker down") == "hunkers down"
    assert add_s("pelvic girdle", head_first=False) == "pelvic girdles"
    assert form_of("waves", "wave") == "s" and form_of("walking", "walk") == "ing" and form_of("walked", "walk") is None
    assert inflect("limp", "ing") == "limping" and inflect("hunker down", "s") == "hunkers down"


def test_table_holds_inflected_synonyms_and_no_protected_word():
    words = table()
    assert len(words) > 100
    assert "limps" in words["walks"] and "limping" in words["walking"]
    for key, cands in words.items():
        assert key not in PROTECTED
        assert all(not ({"left", "right", "forward", "backward", "twice"} & set(c.split())) for c in cands)


def test_substitute_changes_words_but_never_sides_counts_or_directions():
    rng = np.random.default_rng(0)
    changed = 0
    for _ in range(20):
        for t in TEXTS:
            v = substitute(t, rng)
            if v is None:
                continue
            changed += v != t
            assert (parse_slots(v) == parse_slots(t)).all(), (t, v)
    assert changed > 50
    assert substitute("left and right, twice", rng) is None


def test_draw_synonyms_gives_new_texts_that_avoid_banned_pieces():
    out = draw_synonyms([TEXTS], np.random.default_rng(1), banned={"beckons"})
    assert out[0] and all(v not in TEXTS for v in out[0])
    assert not any("beckons" in v for v in out[0])
