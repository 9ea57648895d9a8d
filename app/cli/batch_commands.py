"""`batch`: run inspect / generate / render2p5d / recognize over many inputs on Ray.

    python main.py batch inspect VIDEOS_OR_FOLDERS... --out DIR --workers N [--address ADDR]
    python main.py batch generate prompts.txt --out DIR --workers 2 --seconds 6 --format npz
    python main.py batch render2p5d motions/ --out DIR
    python main.py batch recognize motions/ videos/ --out DIR

Results stream to DIR/results.jsonl and DIR/results.csv as each item finishes; rerunning the
same command skips what is done (``--retry-errors`` reruns the failed items too). Exit status 0
when the batch ran to its end (failed items are rows with their reason), 130 on Ctrl+C.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from app.core.errors import InvalidInputError

log = logging.getLogger(__name__)


def _inspect_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-sfm", action="store_true", help="skip incremental SfM (two-view geometry only)")
    p.add_argument("--crop", default=None, metavar="X0,Y0,X1,Y1", help="analyse only this panel of each video")
    p.add_argument("--reference", default=None, help="reference table (default models/forensics/reference.json)")


def _inspect_options(a: argparse.Namespace) -> dict[str, Any]:
    from app.cli.inspect_commands import _crop

    crop = _crop(a.crop)
    return {"use_colmap": not a.no_sfm, "crop": list(crop) if crop else None,
            "reference": str(Path(a.reference).resolve()) if a.reference else None}


def _generate_args(p: argparse.ArgumentParser) -> None:
    from app.engine.batch.workers import GENERATE_FORMATS

    p.add_argument("--seconds", type=float, default=None,
                   help="duration of each motion (default: from its text, by the length estimator; 4 s per action "
                        "without it)")
    p.add_argument("--seed", type=int, default=0, help="seed (the k-th repeat of a prompt uses seed + k - 1)")
    p.add_argument("--model", default="atom", help="atom, mdm, or a model directory")
    p.add_argument("--format", default="npz", choices=GENERATE_FORMATS, help="output file type")
    p.add_argument("--no-foot-lock", action="store_true", help="keep the raw model output")


def _generate_options(a: argparse.Namespace) -> dict[str, Any]:
    model = a.model if a.model in ("atom", "mdm") else str(Path(a.model).resolve())
    return {"seconds": a.seconds, "seed": a.seed, "model": model, "format": a.format, "foot_lock": not a.no_foot_lock}


def _render_args(p: argparse.ArgumentParser) -> None:
    from app.engine.tasks.render2p5d import CAMERAS

    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--background", default="grey", help="'scene', a colour or an image")
    p.add_argument("--camera", default="follow", choices=list(CAMERAS))
    p.add_argument("--skin", default="medium")
    p.add_argument("--clothing", default="denim")
    p.add_argument("--lights", default="studio", choices=["studio", "soft", "bright"])
    p.add_argument("--fps", type=float, default=None)


def _render_options(a: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(a, k) for k in ("width", "height", "background", "camera", "skin", "clothing", "lights", "fps")}


def _recognize_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-dir", default=None, help="recognition model (default models/recognition)")
    p.add_argument("--route", default="skeleton", help="skeleton (default)")


def _recognize_options(a: argparse.Namespace) -> dict[str, Any]:
    return {"model_dir": str(Path(a.model_dir).resolve()) if a.model_dir else None, "route": a.route}


# task name -> (add its options to the parser, options dict from the parsed arguments)
TASK_ARGS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], dict]]] = {
    "inspect": (_inspect_args, _inspect_options),
    "generate": (_generate_args, _generate_options),
    "render2p5d": (_render_args, _render_options),
    "recognize": (_recognize_args, _recognize_options),
}


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.engine.batch.registry import TASKS

    p = sub.add_parser("batch", help="run a task over many files or prompts on Ray (local or a cluster)",
                       description="Fan items out over Ray workers; results stream to OUT/results.jsonl and "
                                   "OUT/results.csv; a rerun skips what is done.")
    tasks = p.add_subparsers(dest="task", metavar="TASK", parser_class=type(p), required=True)
    for name, (add_args, _) in TASK_ARGS.items():
        t = tasks.add_parser(name, help=TASKS[name].help)
        t.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="text files of prompts, one a line" if TASKS[name].kind == "prompts"
                       else "files, or folders (searched recursively)")
        t.add_argument("--out", required=True, help="output folder (results.jsonl, results.csv, outputs)")
        t.add_argument("--workers", type=int, default=2, help="worker processes (local Ray) or actors (cluster)")
        t.add_argument("--address", default=None, help="an existing Ray cluster, e.g. 'auto' or ray://HOST:10001")
        t.add_argument("--timeout", type=float, default=1800.0, help="seconds per item before it counts as failed")
        t.add_argument("--retry-errors", action="store_true", help="also rerun items that failed in earlier runs")
        t.add_argument("--quiet", action="store_true", help="no progress display")
        add_args(t)
    return {"batch": cmd_batch}


def cmd_batch(args: argparse.Namespace) -> int:
    from app.cli.progress import ConsoleProgress
    from app.engine.batch.registry import get_task
    from app.engine.batch.runner import run_batch
    from app.engine.jobs import drain

    task = get_task(args.task)
    reason = task.missing()
    if reason:
        raise InvalidInputError(reason)
    if args.workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {args.workers}")
    if args.timeout is not None and args.timeout <= 0:
        raise InvalidInputError(f"--timeout must be positive, got {args.timeout}")
    options = TASK_ARGS[task.name][1](args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"{out}: not a folder")
    progress = ConsoleProgress(f"batch {task.name}", quiet=args.quiet)
    tty = getattr(sys.stderr, "isatty", lambda: False)()

    def on_row(row: dict) -> None:
        if row["status"] == "error" or (row["status"] == "ok" and not tty and not args.quiet):
            note = f": {row['error']}" if row["error"] else ""
            print(f"{chr(13) if tty else ''}{row['item']}: {row['status']}{note}", file=sys.stderr)

    gen = run_batch(task, args.inputs, out, workers=args.workers, address=args.address, options=options,
                    timeout=args.timeout, retry_errors=args.retry_errors, on_row=on_row)
    summary = None
    try:
        summary = drain(gen, progress)
    except KeyboardInterrupt:
        pass
    finally:
        gen.close()   # stops the workers (and a Ray started here); rows already written stay
        progress.close()
    if summary is None:
        print(f"interrupted: finished items are kept in {out / 'results.jsonl'}; rerun the same command to go on",
              file=sys.stderr)
        return 130
    done_before = f", {summary.skipped} already done" if summary.skipped else ""
    print(f"batch {task.name}: {summary.ok} ok, {summary.errors} failed ({summary.retried} retried){done_before}; "
          f"{summary.items_per_min:.1f} items/min; results in {out / 'results.jsonl'} and {out / 'results.csv'}")
    return 0
