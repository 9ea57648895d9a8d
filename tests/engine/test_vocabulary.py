"""Unknown words: what a prompt names that the model has not learned, and the closest learned atom."""
from __future__ import annotations

import numpy as np

from app.engine.t2m.vocabulary import VOCAB_FILE, Vocabulary, content_words, load_vocabulary, stem


def _encoder(texts: list[str]) -> np.ndarray:
    """Stand-in for MiniLM: 'flip'/'backflip' sit next to the jump description, all else apart."""
    out = []
    for t in texts:
        v = np.zeros(4)
        v[0 if ("jump" in t or "flip" in t) else 1 if "wave" in t else 2] = 1.0
        out.append(v)
    return np.array(out)


def _vocab() -> Vocabulary:
    atoms = {"jump": dict(family="jumps", description="a person jumps", words=["jumps"]),
             "wave": dict(family="upper", description="a person waves", words=["waves"])}
    return Vocabulary({"jumps": 500, "waves": 300, "walks": 800, "forward": 800, "flips": 1}, atoms,
                      {"jumps": ["jump"], "waves": ["wave"], "walks": ["walk"]}, encoder=_encoder)


def test_subjects_numbers_sides_speeds_are_never_flagged():
    text = "my character quickly jumps three times to the left, then a dancer slowly waves both hands twice"
    assert content_words(text) == ["jumps", "waves", "hands"]
    for subject in ("a girl", "my character", "a dancer", "the old man", "someone"):
        assert content_words(f"{subject} walks forward 3 times fast") == ["walks"]
    assert stem("jumping") == stem("jumps") == stem("jumped") == stem("jump")
    assert stem("hopping") == stem("hops")


def test_framing_verbs_are_not_flagged_as_unlearned_actions():
    """"starts to dance" names dancing; "starts" itself is no action the model should have learned."""
    assert content_words("a woman does jumping jacks and then starts to dance") == ["jumping", "jacks", "dance"]
    assert content_words("he begins walking, tries to jump and continues running") == ["walking", "jump", "running"]
    assert content_words("she starts a backflip") == ["backflip"]


def test_notes_name_unknown_words_and_the_closest_atom():
    v = _vocab()
    assert v.notes(["a person jumps forward", "a girl waves twice"]) == []
    assert v.notes(["a person does a backflip"]) == ["not learned: backflip; closest learned action: jump"]
    assert v.unknown_words("a person flips over") == ["flips"]  # seen once: not learned
    # nothing learned is close to "plays the violin" (cosine 0 here): no action is suggested for it
    assert v.notes(["a girl plays the violin"]) == ["not learned: plays, violin; no learned action is close"]
    assert v.known("jumping") and not v.known("violin")
    assert [w for w, _, _ in v.known_words()] == ["walks", "jumps", "waves"]


def test_vocabulary_round_trip(tmp_path):
    v = _vocab()
    path = v.save(tmp_path / "vocabulary.json", training_items=3)
    w = Vocabulary.load(path, encoder=_encoder)
    assert w.words == v.words and w.atoms == v.atoms and w.word_atoms == v.word_atoms
    assert load_vocabulary(tmp_path) is not None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "vocabulary.json").write_text("{}")
    assert load_vocabulary(tmp_path / "bad") is None  # unreadable and not a committed model: no notes


def test_committed_vocabulary_knows_the_corpus_words():
    v = Vocabulary.load(VOCAB_FILE, encoder=_encoder)
    for word in ("walks", "jumps", "raises", "arms", "squats", "waves", "kicks", "claps", "head"):
        assert v.known(word), word
    for text, unknown in (("a person does a backflip", ["backflip"]), ("a girl plays the violin", ["plays", "violin"]),
                          ("my character walks forward slowly twice", []), ("a dancer spins to the left", [])):
        assert v.unknown_words(text) == unknown, text
    assert len(v.atoms) >= 40 and all(a["family"] and a["description"] for a in v.atoms.values())
    assert all(v.word_atoms.get(w) for w, n, _ in v.known_words())


def test_context_words_get_no_action_suggested_with_minilm():
    """With the real encoder and the committed vocabulary: a garment and a place are not read as an action,
    an unknown action word still gets its closest learned atom. The context words are from the held-out pool of
    app/engine/corpus/context_words.py, which no training text holds (the train pool may be learned)."""
    v = Vocabulary.load(VOCAB_FILE)
    note, = v.notes(["a bald man in a striped shirt waves in the hallway"])
    assert note == "not learned: bald, striped, shirt, hallway; no learned action is close"
    note, = v.notes(["a person does a backflip"])
    assert note.startswith("not learned: backflip; closest learned action: ")
