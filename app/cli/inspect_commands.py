"""`inspect`: forensic authenticity report of a video, or a CSV over a folder of videos.

    python main.py inspect VIDEO --report out.html --json out.json [--pdf out.pdf]
    python main.py inspect DIR --csv out.csv        (one row per video; bad files get an error row)
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable

from app.core.errors import ActionStudioError, InvalidInputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("inspect", help="forensic report: is a video of people real or generated?")
    p.add_argument("path", help="a video file, or a folder of videos")
    p.add_argument("--report", default=None, metavar="OUT.html", help="write the self-contained HTML report")
    p.add_argument("--json", default=None, metavar="OUT.json", help="write the JSON report")
    p.add_argument("--pdf", default=None, metavar="OUT.pdf", help="write a PDF report")
    p.add_argument("--csv", default=None, metavar="OUT.csv", help="folder mode: one row per video")
    p.add_argument("--no-sfm", action="store_true", help="skip incremental SfM (two-view geometry only)")
    p.add_argument("--crop", default=None, metavar="X0,Y0,X1,Y1",
                   help="analyse only this panel of a side-by-side composite (source pixels)")
    p.add_argument("--reference", default=None, help="reference table (default models/forensics/reference.json)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return {"inspect": cmd_inspect}


def _run(path: Path, args: argparse.Namespace):
    from app.cli.progress import ConsoleProgress
    from app.engine.forensics.pipeline import inspect_video
    from app.engine.jobs import run_task

    progress = ConsoleProgress(path.name[:24], quiet=args.quiet)
    try:
        return run_task(inspect_video, path, reference=args.reference, use_colmap=not args.no_sfm,
                        crop_box=_crop(args.crop), on_progress=progress)
    finally:
        progress.close()


def _crop(text: str | None) -> tuple[int, int, int, int] | None:
    if not text:
        return None
    try:
        x0, y0, x1, y1 = (int(v) for v in text.split(","))
    except ValueError:
        raise InvalidInputError(f"--crop {text}: expected four integers X0,Y0,X1,Y1") from None
    return x0, y0, x1, y1


def _verdict_text(v) -> str:
    p = "" if v.probability is None else f"P(generated) {v.probability:.2f}, "
    return f"{v.verdict} ({p}authenticity {v.authenticity:.2f}, confidence {v.confidence:.2f})"


def _check_out(path: str | None) -> None:
    if path and not Path(path).resolve().parent.is_dir():
        raise InvalidInputError(f"{path}: folder does not exist")


def cmd_inspect(args: argparse.Namespace) -> int:
    from app.engine.forensics import report_html, report_json
    from app.engine.forensics.video_io import list_videos

    src = Path(args.path)
    for out in (args.report, args.json, args.pdf, args.csv):
        _check_out(out)
    if src.is_dir():
        if not args.csv:
            raise InvalidInputError(f"{src}: a folder needs --csv OUT.csv")
        videos = list_videos(src)
        if not videos:
            raise InvalidInputError(f"{src}: no video files")
        rows = []
        for v in videos:
            try:
                rep = _run(v, args)
                rows.append(report_json.csv_row(rep, v.name))
                print(f"{v.name}: {_verdict_text(rep.verdict)}")
            except ActionStudioError as exc:
                rows.append(report_json.csv_row(None, v.name, str(exc)))
                print(f"{v.name}: skipped: {exc}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the folder
                log.debug("inspect %s failed", v, exc_info=True)
                rows.append(report_json.csv_row(None, v.name, f"{type(exc).__name__}: {exc}".splitlines()[0]))
                print(f"{v.name}: failed: {type(exc).__name__}", file=sys.stderr)
            report_json.write_csv(rows, args.csv)  # rewritten after each file: partial results survive
        print(f"wrote {args.csv} ({len(rows)} videos)")
        return 0
    if not src.exists():
        raise InvalidInputError(f"{src}: no such file")
    rep = _run(src, args)
    v = rep.verdict
    print(f"{src.name}: {_verdict_text(v)}")
    for r in v.reasons:
        print(f"  - {r}")
    if args.report:
        report_html.write_html(rep, args.report)
    if args.json:
        report_json.write_json(rep, args.json)
    if args.pdf:
        report_html.write_pdf(rep, args.pdf)
    if args.csv:
        report_json.write_csv([report_json.csv_row(rep, src.name)], args.csv)
    return 0
