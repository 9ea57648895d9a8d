"""A one-line progress display on stderr for long headless commands."""
from __future__ import annotations

import sys
import time

from app.engine.jobs import Progress


class ConsoleProgress:
    """Callable for `run_task(on_progress=...)`: redraws a bar on a TTY, logs sparsely otherwise."""

    def __init__(self, label: str = "", stream=None, quiet: bool = False) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._last = 0.0
        self._fraction = 0.0
        self._message = ""

    def __call__(self, p: Progress) -> None:
        if p.fraction is not None:
            self._fraction = p.fraction
        if p.message:
            self._message = p.message
        now = time.monotonic()
        tty = getattr(self.stream, "isatty", lambda: False)()
        if self.quiet or (now - self._last < (0.1 if tty else 5.0)):
            return
        self._last = now
        bar = "#" * int(self._fraction * 30)
        line = f"{self.label} [{bar:<30}] {self._fraction * 100:5.1f}% {self._message[:60]}"
        if tty:
            self.stream.write("\r" + line.ljust(110))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if not self.quiet and getattr(self.stream, "isatty", lambda: False)():
            self.stream.write("\n")
            self.stream.flush()
