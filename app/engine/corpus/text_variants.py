"""The same description in the grammatical forms people type: commands and participle captions.

The corpus describes every motion in the third person ("a man waves with the left hand, then jumps
twice"). People also type commands ("wave with the left hand, then jump twice") and captions
("a man waving with the left hand, then jumping twice", "a man is waving ..."). :func:`variant`
rewrites a corpus description into those forms by inflecting the verbs that start its clauses;
the wording is the corpus's own (no new phrase is added, nothing is taken from any benchmark).

A clause starts the text (after the subject) or follows "then", "and", "finally", "that" or a
comma / semicolon; only words known as third-person verbs of the corpus templates are inflected,
so "does star jumps" keeps its noun and "both arms and legs" is left alone.
"""
from __future__ import annotations

import re
from functools import lru_cache

from app.engine.corpus.describe import SHORT, SUBJECTS, T

# more people than the corpus's nine subjects (the issue names "someone / a girl / the man / a dancer")
EXTRA_SUBJECTS = ("a girl", "a boy", "a child", "a kid", "an athlete", "a dancer", "an old man", "a young woman",
                  "the actor", "a character", "the player", "a performer", "he", "she", "the guy", "a lady")
FORMS = ("command", "participle", "progressive", "third")
_PRONOUNS = ("he", "she")
_CLAUSE_AFTER = {"then", "and", "finally", "that"}
_BASE_EXCEPT = {"does": "do", "goes": "go", "has": "have", "is": "be"}
_ING_EXCEPT = {"be": "being", "lie": "lying", "die": "dying", "tie": "tying", "squat": "squatting",
               "tiptoe": "tiptoeing", "see": "seeing", "free": "freeing"}
_WORD = re.compile(r"^([a-z-]+)([,;.]*)$")


def base_form(verb3: str) -> str:
    """'waves' -> 'wave', 'punches' -> 'punch', 'carries' -> 'carry', 'side-steps' -> 'side-step'."""
    head, _, last = verb3.rpartition("-")
    prefix = head + "-" if head else ""
    if last in _BASE_EXCEPT:
        return prefix + _BASE_EXCEPT[last]
    if re.search(r"(ch|sh|ss|x|z)es$", last):
        return prefix + last[:-2]
    if last.endswith("ies") and len(last) > 4:
        return prefix + last[:-3] + "y"
    return prefix + (last[:-1] if last.endswith("s") and not last.endswith("ss") else last)


def ing_form(base: str) -> str:
    """'wave' -> 'waving', 'jog' -> 'jogging', 'kneel' -> 'kneeling', 'tiptoe' -> 'tiptoeing'."""
    head, _, last = base.rpartition("-")
    prefix = head + "-" if head else ""
    if last in _ING_EXCEPT:
        return prefix + _ING_EXCEPT[last]
    if last.endswith("ie"):
        return prefix + last[:-2] + "ying"
    if last.endswith("e") and not last.endswith(("ee", "ye", "oe")) and len(last) > 2:
        return prefix + last[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", last):   # one syllable, one vowel, one final consonant
        return prefix + last + last[-1] + "ing"
    return prefix + last + "ing"


@lru_cache(maxsize=1)
def corpus_verbs() -> frozenset[str]:
    """Third-person verbs that start a corpus template or a clause inside one ('... and stands up')."""
    out = set()
    for phrase in [t for ts in T.values() for t in ts] + list(SHORT.values()):
        words = [w for w in re.split(r"[\s,]+", re.sub(r"\{[^}]*\}", " ", phrase)) if w]
        for i, w in enumerate(words):
            if (i == 0 or words[i - 1] in _CLAUSE_AFTER) and w.endswith("s") and not w.endswith("ss"):
                out.add(w)
    return frozenset(out)


def split_subject(text: str) -> tuple[str, str]:
    """(subject, rest) for a corpus sentence; subject '' when it starts with none of the known ones."""
    low = text.strip()
    for s in sorted(SUBJECTS + EXTRA_SUBJECTS, key=len, reverse=True):
        if low.lower().startswith(s + " "):
            return low[:len(s)], low[len(s) + 1:]
    return "", low


def inflect(rest: str, form: str) -> str:
    """The clause-initial corpus verbs of ``rest`` as base forms ("base") or participles ("ing")."""
    verbs = corpus_verbs()
    words = rest.split()
    out = []
    clause_start = True
    for w in words:
        m = _WORD.match(w)
        if m and clause_start and m.group(1) in verbs:
            base = base_form(m.group(1))
            w = (base if form == "base" else ing_form(base)) + m.group(2)
        out.append(w)
        clause_start = bool(m and (m.group(1) in _CLAUSE_AFTER or m.group(2) in (",", ";")))
    return " ".join(out)


def variant(text: str, form: str, subject: str | None = None) -> str | None:
    """One form of a corpus sentence, or None when it does not start with a subject and a corpus verb.

    form: "command" (no subject, base verbs), "participle" (subject + -ing; never after a pronoun),
    "progressive" (subject + "is" + -ing), "third" (the sentence as it is); ``subject`` replaces the
    sentence's own."""
    subj, rest = split_subject(text)
    first = rest.split()[0].rstrip(",;") if rest.split() else ""
    if not subj or first not in corpus_verbs():
        return None
    subj = subject or subj
    if form == "command":
        return inflect(rest, "base")
    if form == "participle":
        return None if subj in _PRONOUNS else f"{subj} {inflect(rest, 'ing')}"
    if form == "progressive":
        return f"{subj} is {inflect(rest, 'ing')}"
    if form == "third":
        return f"{subj} {rest}"
    raise ValueError(f"unknown form {form!r}; choose from {', '.join(FORMS)}")


def overlapping_fragments(texts: list[str], min_words: int = 3) -> set[str]:
    """Inflected template fragments (the words between fields, ``min_words`` or more) that occur in ``texts``.

    The prompt-following suite must stay out of training (issue 11): the corpus templates share no
    3-word piece with it (tests/engine/test_predicates.py), but their command and participle forms can
    ("kick with the" in "kick with the left leg, then ..."). Variants holding such a piece are dropped."""
    low = [t.lower() for t in texts]
    out = set()
    for tpl in (t for ts in T.values() for t in ts):
        for kind in ("base", "ing"):
            for frag in re.split(r"\{[^}]*\}", inflect(tpl.replace("{adv_pre}", ""), kind)):
                frag = " ".join(frag.split())
                if len(frag.split()) >= min_words and any(frag in t for t in low):
                    out.add(frag)
    return out


__all__ = ["EXTRA_SUBJECTS", "FORMS", "base_form", "ing_form", "corpus_verbs", "split_subject", "inflect",
           "variant", "overlapping_fragments"]
