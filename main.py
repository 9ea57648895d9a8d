#!/usr/bin/env python3
"""Action Studio entry point: the studio window by default, subcommands for headless use.

    python main.py                 # open the studio
    python main.py FILE            # open the studio with a motion file (an existing one)
    python main.py info FILE       # headless subcommands: see `python main.py --help`
"""
from __future__ import annotations

import sys

from app.cli.main import SUBCOMMANDS, main as cli_main
from app.cli.routing import report, route


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = route(argv, SUBCOMMANDS)  # a mistyped command says so (exit 2) instead of opening the studio
    if chosen.kind == "cli":
        return cli_main(argv)
    if chosen.kind == "error":
        return report(chosen)
    from app.ui.app import run_studio  # Qt is imported only for the GUI

    return run_studio(argv)


if __name__ == "__main__":
    sys.exit(main())
