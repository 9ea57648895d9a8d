"""Errors with one-line messages that name the file and the problem."""
from __future__ import annotations

from pathlib import Path


class ActionStudioError(Exception):
    """Base class of user-facing errors (shown as one line, never a traceback)."""


class MotionFileError(ActionStudioError):
    """A motion file could not be read or written."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{Path(self.path).name}: {problem}")


class InvalidInputError(ActionStudioError):
    """User input (a prompt, a duration, a resolution ...) was rejected."""
