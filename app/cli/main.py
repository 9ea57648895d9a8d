"""Argument parsing and dispatch for `python main.py SUBCOMMAND ...`.

Exit status: 0 on success, 2 with a one-line message on stderr for rejected input,
1 for unexpected failures (also one line; details go to the log).
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from app import __version__
from app.core.errors import ActionStudioError

log = logging.getLogger("action_studio")

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and a one-line message (its default is also 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n")


def _register_all(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import (batch_commands, edit_commands, eval_commands, generate_commands, idol_commands,
                         inspect_commands, motion_commands, recognize_commands, view_commands)

    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}
    for module in (motion_commands, eval_commands, inspect_commands, generate_commands, edit_commands,
                   view_commands, idol_commands, recognize_commands, batch_commands):
        handlers.update(module.register(sub))
    return handlers


SUBCOMMANDS = ("info", "convert", "render", "prepare-body", "eval-motion", "inspect", "generate", "edit",
               "render2p5d", "multiview", "idol", "recognize", "batch")


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = _Parser(prog="main.py", description="Action Studio: headless commands (no arguments opens the studio).")
    parser.add_argument("--version", action="version", version=f"Action Studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers = _register_all(sub)
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_OK
    try:
        return handlers[args.command](args)
    except ActionStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, details in the log
        log.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected failure: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return EXIT_FAILURE
