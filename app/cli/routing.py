"""What `python main.py ARGS...` starts: a headless subcommand, the studio, or neither.

Only no arguments, studio options (``--no-body``, Qt's ``-platform ...``) or an existing file
path open the studio window. A word that is neither a subcommand nor a file is a mistyped
command: :func:`route` says so with the closest subcommand (``difflib``), and the caller exits 2
instead of opening a window. The subcommands come from the caller (``app.cli.main.SUBCOMMANDS``),
so new ones are routed without changes here.
"""
from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

CLI_OPTIONS = ("-h", "--help", "--version", "-v", "--verbose")  # the headless parser's own options
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Route:
    """``kind`` is "cli", "studio" or "error" (then ``message`` is the one line to print)."""

    kind: str
    message: str = ""


def closest_command(word: str, subcommands: Iterable[str]) -> str | None:
    """The subcommand nearest to `word` (typos, swapped letters, prefixes), or None if none is close."""
    commands = list(subcommands)
    matches = difflib.get_close_matches(word.lower(), commands, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    prefixed = [c for c in commands if len(word) >= 3 and (c.startswith(word.lower()) or word.lower().startswith(c))]
    return prefixed[0] if prefixed else None


def _looks_like_path(word: str) -> bool:
    return "/" in word or "\\" in word or bool(Path(word).suffix)


def route(argv: list[str], subcommands: Iterable[str]) -> Route:
    """Decide what `argv` (without the program name) asks for."""
    commands = tuple(subcommands)
    if not argv:
        return Route("studio")
    first = argv[0]
    if first in commands or first in CLI_OPTIONS:
        return Route("cli")
    if first.startswith("-"):
        return Route("studio")  # studio or Qt options (the studio's own parser checks them)
    if Path(first).is_file():
        return Route("studio")
    if Path(first).exists():
        return Route("error", f"error: {first} is a folder, not a motion file (open a .bvh or .npz file)")
    if _looks_like_path(first) and closest_command(first, commands) is None:
        return Route("error", f"error: no such file: {first}")
    hint = closest_command(first, commands)
    suggestion = f"; did you mean '{hint}'?" if hint else f"; commands: {', '.join(commands)}"
    return Route("error", f"error: unknown command '{first}'{suggestion} (see `main.py --help`)")


def report(r: Route) -> int:
    """Print a routing error as one line on stderr; the exit status for it."""
    print(r.message, file=sys.stderr)
    return EXIT_BAD_INPUT
