"""Composing task generators: run a sub-task inside a slice of the parent's progress."""
from __future__ import annotations

from typing import Any, Generator

from app.engine.jobs import Progress, relay


def sub_task(gen: Generator[Any, None, Any], lo: float, hi: float) -> Generator[Progress, None, Any]:
    """`result = yield from sub_task(child(), 0.2, 0.6)`: child progress mapped into [lo, hi],
    ending at ``hi``."""
    value = yield from relay(gen, lo, hi)
    yield Progress(hi)
    return value
