"""Composing task generators: run a sub-task inside a slice of the parent's progress."""
from __future__ import annotations

from typing import Any, Generator

from app.engine.jobs import Progress, _as_progress


def sub_task(gen: Generator[Any, None, Any], lo: float, hi: float) -> Generator[Progress, None, Any]:
    """`result = yield from sub_task(child(), 0.2, 0.6)`: child progress mapped into [lo, hi]."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            yield Progress(hi)
            return stop.value
        p = _as_progress(item)
        fraction = None if p.fraction is None else lo + (hi - lo) * p.fraction
        yield Progress(fraction, p.message)
