"""What the text-to-motion model has learned to read: the words of its training texts.

``models/atom/vocabulary.json`` (written by ``scripts/build_vocabulary.py`` from the training
split of the corpus) holds every content word with the number of training items whose texts use
it, the atoms (name, family, short description, words of its templates) and, per known word,
its closest atoms.  :meth:`Vocabulary.notes` reads a prompt and names what the model has not
learned ("not learned: backflip; closest learned action: jump"): content words used by fewer
than ``MIN_ITEMS`` training items.  Function words, subjects ("a girl", "my character"),
numbers, sides, directions and speeds are never flagged (the model reads the last four through
its prompt slots).  The closest atom is found by MiniLM sentence similarity between the unknown
words and the atoms' descriptions.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

log = logging.getLogger(__name__)

VOCAB_FILE = Path(__file__).resolve().parents[3] / "models" / "atom" / "vocabulary.json"
MIN_ITEMS = 3  # a word used by fewer training items is not learned
# MiniLM cosine below which no atom is suggested for unknown words: context words ("yellow raincoat garden",
# "office", "footage tracksuit") score 0.33-0.48 against their closest atom, action words ("backflip",
# "moonwalk", "yoga", "jab") 0.52-0.86 (session 31)
CLOSE_ACTION = 0.5
FORMAT = "action-studio-vocabulary/1"

FUNCTION_WORDS = set("""a an the this that these those some any each every all both either neither no not and or but
nor so yet if then than as of in on at to into onto from with without by for about over under up down out off
through across along around after before while during until again also very really just still too quite then
is are was were be been being am do does did doing done has have had having will would shall should can could
may might must it its itself he she they them their theirs his her hers him himself herself themselves
we us our you your i me my mine one's who whom which what where when how there here like than once more most
much many few little bit lot lots way ways time times something someone somebody thing things while""".split())
SUBJECT_WORDS = set("""person people man men woman women girl girls boy boys guy guys lady ladies kid kids child
children character characters figure dancer dancers athlete athletes actor actress human humans individual
player players avatar model subject performer someone somebody everyone he she they adult teenager teen baby
toddler gentleman gentlemen elderly old young tall short""".split())
NUMBER_WORDS = set("""zero one two three four five six seven eight nine ten eleven twelve twenty hundred once twice
thrice first second third fourth fifth single double triple couple pair several few half quarter""".split())
SIDE_WORDS = set("left right both either other opposite side sides".split())
DIRECTION_WORDS = set("""forward forwards backward backwards back ahead straight sideways around up down upward
upwards downward downwards overhead above below front behind away toward towards north south east west clockwise
counterclockwise anticlockwise reverse place spot""".split())
SPEED_WORDS = set("""slow slowly fast quick quickly rapid rapidly brisk briskly gentle gently calm calmly careful
carefully leisurely hurried hurriedly sudden suddenly speed pace steady steadily normal normally""".split())
ASPECT_WORDS = set("""start starts started starting begin begins began beginning continue continues continued
continuing proceed proceeds proceeded proceeding try tries tried trying attempt attempts attempted attempting
decide decides decided deciding""".split())  # verbs that frame an action without naming one
NEVER_FLAGGED = (FUNCTION_WORDS | SUBJECT_WORDS | NUMBER_WORDS | SIDE_WORDS | DIRECTION_WORDS | SPEED_WORDS
                 | ASPECT_WORDS)

_WORD = re.compile(r"[a-z]+")
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (hyphenated words split, digits dropped)."""
    return _WORD.findall(str(text).lower())


def stem(word: str) -> str:
    """A crude stem so 'jumps', 'jumping', 'jumped' and 'jump' meet ('flips' -> 'flip')."""
    w = word.lower()
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "ls":  # 'hopp' -> 'hop', 'runn' -> 'run'
        w = w[:-1]
    return w.rstrip("e") if len(w) > 3 else w


def content_words(text: str) -> list[str]:
    """Words of `text` that name an action or an object (never function words, subjects, numbers,
    sides, directions, speeds or framing verbs such as "starts to"), in order, without repeats."""
    out: list[str] = []
    for w in tokens(text):
        if len(w) > 1 and w not in NEVER_FLAGGED and w not in out:
            out.append(w)
    return out


@dataclass
class Vocabulary:
    """Words known to the model (with their training item counts) and the atoms they belong to."""

    words: dict[str, int]
    atoms: dict[str, dict] = field(default_factory=dict)  # name -> {family, description, words}
    word_atoms: dict[str, list[str]] = field(default_factory=dict)  # known word -> closest atoms
    min_items: int = MIN_ITEMS
    encoder: Callable[[list[str]], np.ndarray] | None = None  # MiniLM by default

    def __post_init__(self) -> None:
        self._stems: dict[str, int] = {}
        for w, n in self.words.items():
            s = stem(w)
            self._stems[s] = self._stems.get(s, 0) + int(n)
        self._atom_vecs: np.ndarray | None = None
        self._lock = threading.Lock()

    # --- files -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path = VOCAB_FILE, **kw) -> "Vocabulary":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a vocabulary file ({FORMAT})")
        return cls({w: int(n) for w, n in data["words"].items()}, data.get("atoms", {}),
                   data.get("word_atoms", {}), int(data.get("min_items", MIN_ITEMS)), **kw)

    def save(self, path: str | Path, **extra) -> Path:
        path = Path(path)
        data = dict(format=FORMAT, min_items=self.min_items, **extra,
                    words=dict(sorted(self.words.items())), atoms=self.atoms,
                    word_atoms=dict(sorted(self.word_atoms.items())))
        path.write_text(json.dumps(data, indent=0, sort_keys=False) + "\n", encoding="utf-8")
        return path

    # --- queries ---------------------------------------------------------------------------
    def count(self, word: str) -> int:
        """Training items using `word` (or another form of it)."""
        return max(int(self.words.get(word.lower(), 0)), self._stems.get(stem(word), 0))

    def known(self, word: str) -> bool:
        return word.lower() in NEVER_FLAGGED or self.count(word) >= self.min_items

    def unknown_words(self, text: str) -> list[str]:
        """Content words of `text` the model has not learned, in order."""
        return [w for w in content_words(text) if self.count(w) < self.min_items]

    def known_words(self) -> list[tuple[str, int, list[str]]]:
        """(word, training items, closest atoms) of every learned content word, most used first."""
        rows = [(w, n, list(self.word_atoms.get(w, []))) for w, n in self.words.items()
                if n >= self.min_items and w not in NEVER_FLAGGED]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    def closest_atoms(self, phrase: str, k: int = 1) -> list[tuple[str, float]]:
        """The `k` atoms most similar to `phrase`: MiniLM cosine between 'a person <phrase>' and
        the atom's phrasings (its description and template phrases), best phrasing per atom."""
        if not self.atoms:
            return []
        with self._lock:
            if self._atom_vecs is None:
                owners, sentences = [], []
                for name, a in self.atoms.items():
                    for text in [a.get("description", name)] + list(a.get("phrases", [])):
                        owners.append(name)
                        sentences.append(text)
                self._owners = np.array(owners)
                self._atom_vecs = _unit(self._encode(sentences))
            vecs, owners = self._atom_vecs, self._owners
        q = _unit(self._encode([f"a person {phrase}".strip()]))[0]
        sims = vecs @ q
        best: dict[str, float] = {}
        for name, v in zip(owners.tolist(), sims.tolist()):
            best[name] = max(best.get(name, -1.0), float(v))
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]

    def notes(self, texts: Iterable[str]) -> list[str]:
        """One note per prompt span that names something not learned, e.g.
        'not learned: backflip; closest learned action: jump'."""
        out = []
        for text in texts:
            unknown = self.unknown_words(text)
            if not unknown:
                continue
            note = "not learned: " + ", ".join(unknown)
            try:
                best = self.closest_atoms(" ".join(unknown))
            except Exception as exc:  # noqa: BLE001 - the note is still useful without a suggestion
                log.warning("closest atom unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
                best = []
            if best and best[0][1] >= CLOSE_ACTION:
                note += f"; closest learned action: {self.atom_label(best[0][0])}"
            elif best:   # a place, a garment, a mood: suggesting an action for it would mislead
                note += "; no learned action is close"
            out.append(note)
        return out

    def atom_label(self, name: str) -> str:
        return name.replace("_", " ")

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.encoder is None:
            from app.engine.text_encoder import TextEncoder
            self.encoder = TextEncoder.get().encode
        out = self.encoder(texts)
        return np.asarray(out["pooled"] if isinstance(out, dict) else out, dtype=np.float64)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


_CACHE: dict[str, Vocabulary] = {}


def load_vocabulary(model_dir: str | Path | None = None) -> Vocabulary | None:
    """The vocabulary beside a model (``<dir>/vocabulary.json``; for the committed models under
    models/, else ATOM's: they share the corpus), cached; None when there is none (no notes)."""
    candidates = [Path(model_dir) / "vocabulary.json"] if model_dir else []
    if model_dir is None or Path(model_dir).resolve().parent == VOCAB_FILE.parent.parent:
        candidates.append(VOCAB_FILE)
    for path in candidates:
        if path.is_file():
            key = str(path.resolve())
            if key not in _CACHE:
                try:
                    _CACHE[key] = Vocabulary.load(path)
                except (OSError, ValueError, KeyError) as exc:
                    log.warning("vocabulary %s unreadable: %s", path, exc)
                    continue
            return _CACHE[key]
    return None
