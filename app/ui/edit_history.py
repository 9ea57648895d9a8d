"""Undo / redo of clip edits (Edit menu, Ctrl+Z / Ctrl+Shift+Z).

An edit (today: a span regenerated from new text) replaces the clip shown in the studio with a new one.
:class:`ClipEdit` remembers what was shown before and after as two *views*, callables that show them
again (a generation's sample through the prompt panel's history, or a clip opened from a file), so
undo puts the unedited motion back, with its timeline segments, and redo the edited one. The edits
themselves are never lost: both clips stay in memory while the command is on the stack.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

View = Callable[[], None]

UNDO_LIMIT = 50  # edits kept on the stack (each holds two clips)


class ClipEdit(QUndoCommand):
    """One edit: ``before`` shows the motion as it was, ``after`` the edited one (already shown when
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
