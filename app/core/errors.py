"""Errors with one-line messages that name the file and the problem.

:class:`InvalidInputError` is what every reader of user input raises for input it refuses
(a malformed, truncated, too large or absurd file, a bad prompt or option): the command line
prints it as one line and exits with status 2, the studio shows it in a message.
"""
from __future__ import annotations

from pathlib import Path


class ActionStudioError(Exception):
    """Base class of user-facing errors (shown as one line, never a traceback)."""


class InvalidInputError(ActionStudioError):
    """User input (a file, a prompt, a duration, a resolution ...) was rejected."""


class MotionFileError(InvalidInputError):
    """A motion file could not be read or written."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = one_line(problem)
        super().__init__(f"{Path(self.path).name}: {self.problem}")


def one_line(text: str, limit: int = 240) -> str:
    """``text`` on one line, at most ``limit`` characters (long quotes from a file are cut with '…')."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
