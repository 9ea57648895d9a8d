"""Saved prompts: the parameters of past generations, kept in QSettings so the history survives a restart.

A generation is deterministic for (text, seconds, seed, samples, model, foot locking), so the
parameters are all that needs keeping: picking a saved entry regenerates the same motion. The
motions themselves stay in memory only (they can be large); span edits are not saved (they
depend on the motion they edited).
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields

from PySide6.QtCore import QSettings

from app.engine.tasks.generate_task import MODELS, GenerationRequest, GenerationResult

log = logging.getLogger(__name__)

KEY = "prompt/history"
MAX_SAVED = 30
EXAMPLES = (
    "a person walks forward",
    "walk forward; then jump twice; then wave",
    "a person jogs in a circle",
    "a person jumps up and down",
    "a person waves with the right hand",
    "a person sits down on a chair and stands up",
    "a person kicks with the left leg",
    "a person turns around and walks back",
    "a person dances, swinging the arms",
)
MAX_HISTORY = 20
SEED_MAX = 2**31 - 1


@dataclass
class HistoryEntry:
    """A generation (or span edit) shown in the panel's history, with the sample last picked."""

    label: str
    result: GenerationResult
    selected: int = 0


def request_label(r: GenerationRequest, samples: int | None = None) -> str:
    """One line for the history list."""
    n = r.num_samples if samples is None else samples
    length = "auto" if r.seconds is None else f"{r.seconds:g}s"
    return f"{r.text.strip()[:50]}  · {MODELS.get(r.model, r.model)} · seed {r.seed} · {length} · x{n}"


class SavedPrompts:
    """A most-recent-first list of generation requests persisted in QSettings (as JSON)."""

    def __init__(self, settings: QSettings, limit: int = MAX_SAVED) -> None:
        self.settings = settings
        self.limit = limit

    def load(self) -> list[GenerationRequest]:
        """The saved requests; unreadable entries are skipped (a damaged setting never stops the studio)."""
        raw = self.settings.value(KEY, "[]")
        try:
            items = json.loads(raw if isinstance(raw, str) else "[]")
        except ValueError:
            log.warning("prompt history in the settings is not valid JSON: ignored")
            return []
        names = {f.name for f in fields(GenerationRequest)}
        out = []
        for item in items if isinstance(items, list) else []:
            try:
                req = GenerationRequest(**{k: v for k, v in item.items() if k in names})
            except (TypeError, AttributeError):
                continue
            if isinstance(req.text, str) and req.text.strip() and req.model in MODELS:
                out.append(req)
        return out[: self.limit]

    def add(self, req: GenerationRequest) -> None:
        """Put `req` first (an identical earlier entry moves up instead of repeating)."""
        items = [req] + [r for r in self.load() if r != req]
        self.settings.setValue(KEY, json.dumps([asdict(r) for r in items[: self.limit]]))

    def remove(self, req: GenerationRequest) -> None:
        self.settings.setValue(KEY, json.dumps([asdict(r) for r in self.load() if r != req]))
