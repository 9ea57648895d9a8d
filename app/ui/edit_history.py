"""Undo / redo of the studio's edits (Edit menu, Ctrl+Z / Ctrl+Shift+Z).

An edit changes what the studio shows: a span regenerated from new text replaces the clip (prompt panel),
a slider or Reset changes the body's shape (body panel). :class:`StudioEdit` remembers the state before
and after as two *views*, callables that show them again (a generation's sample through the prompt
panel's history, a clip opened from a file, a phenotype), so undo puts the unedited motion back, with
its timeline segments, and redo the edited one. Edits are never lost: both states stay in memory while
the command is on the stack.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

View = Callable[[], None]

UNDO_LIMIT = 50  # edits kept on the stack (each holds two clips)


class StudioEdit(QUndoCommand):
    """One edit: ``before`` shows the state as it was, ``after`` the edited one (already shown when
    the command is pushed, so the first redo does nothing)."""

    def __init__(self, text: str, before: View, after: View) -> None:
        super().__init__(text)
        self.before, self.after = before, after
        self._shown = True

    def undo(self) -> None:
        self.before()
        self._shown = False

    def redo(self) -> None:
        if not self._shown:
            self.after()
            self._shown = True


def new_stack(parent=None) -> QUndoStack:
    """The studio's undo stack (:data:`UNDO_LIMIT` edits)."""
    stack = QUndoStack(parent)
    stack.setUndoLimit(UNDO_LIMIT)
    return stack
