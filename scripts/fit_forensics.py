"""Fit the calibrated forensics combination on the labelled development clips.

    .venv/bin/python scripts/fit_forensics.py                      # extract (cached) + fit + write model and report
    .venv/bin/python scripts/fit_forensics.py --extract-only       # only fill the feature cache
    .venv/bin/python scripts/fit_forensics.py --dev ../shared/data/videos/dev --out models/forensics/calibrated.json
    .venv/bin/python scripts/fit_forensics.py --refresh-crowds     # re-extract clips where 2+ people are found
    .venv/bin/python scripts/fit_forensics.py --refresh-crowds --force   # recount every clip (tracker changed);
                                                                   # re-extract those that are or were crowds

Every cue of every clip in ``SOURCES.tsv`` is extracted once (the generated panel only, for
side-by-side composites; pycolmap SfM off, its cues are never scored) and cached under
``.cache/forensics/features/``; the sensor-noise cues (native crops around the person in the first 48
analysed frames, found by a BlazePose pass over them) have their own cache (``<clip>.residual.json``). The model is judged
under leave-one-source-out cross-validation (a source repository is never in the training and
the test fold; the model kind and its setting are chosen by an inner leave-one-source-out loop
on the training fold only, :mod:`app.engine.forensics.calib_fit`), the
verdict thresholds are chosen on the out-of-fold probabilities, and the final model is fitted
on all clips. Writes the model json and a markdown report (``--report``).
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("fit_forensics")
FEATURE_VERSION = "v3"   # v2: face identity cues (session 17); v3: blur_speed_coupling (session 21)
DEFAULT_CACHE = ROOT / ".cache" / "forensics" / "features"


def read_sources(dev: Path) -> list[dict]:
    with open(dev / "SOURCES.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        box = (r.get("composite_box") or "").strip()
        r["box"] = tuple(int(v) for v in box.split(",")) if box else None
    return rows


def extract_one(path: Path, box: tuple | None) -> dict:
    from app.engine.forensics.pipeline import run_inspection

    t0 = time.monotonic()
    rep = run_inspection(path, crop_box=box, use_colmap=False, calibrated=False)
    return {"version": FEATURE_VERSION, "file": path.name, "frames": rep.num_frames, "fps": rep.analysis_fps,
            "seconds": round(time.monotonic() - t0, 1), "people": None if rep.people is None else rep.people.max_people,
            "values": {k: c.value for k, c in rep.cues.items()},
            "reasons": {k: c.reason for k, c in rep.cues.items() if not c.measured}}


def extract_all(dev: Path, rows: list[dict], cached_only: bool = False,
                cache_dir: Path = DEFAULT_CACHE) -> dict[str, dict]:
    import cv2
    cv2.setNumThreads(1)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    cache_dir.mkdir(parents=True, exist_ok=True)
    feats = {}
    # cheapest first (analysed frames x panel pixels), so a starved machine still covers most clips
    def cost(r: dict) -> float:
        w, h = ((r["box"][2] - r["box"][0], r["box"][3] - r["box"][1]) if r["box"]
                else (int(r.get("width") or 640), int(r.get("height") or 480)))
        return min(int(r.get("frames") or 300), 300) * (w * h) ** 0.5
    for i, r in enumerate(sorted(rows, key=cost)):
        cache = cache_dir / (Path(r["file"]).name + ".json")
        if cache.is_file():
            d = json.loads(cache.read_text())
            if d.get("version") == FEATURE_VERSION:
                feats[r["file"]] = d
                continue
        if cached_only:
            continue
        log.info("[%d/%d] extracting %s", i + 1, len(rows), r["file"])
        try:
            d = extract_one(dev / r["file"], r["box"])
        except Exception as exc:  # noqa: BLE001 - a clip that fails is reported, not fatal
            log.warning("%s failed: %s", r["file"], exc)
            d = {"version": FEATURE_VERSION, "file": r["file"], "values": {}, "error": str(exc)}
        cache.write_text(json.dumps(d, indent=1))
        log.info("   %s: %s s", r["file"], d.get("seconds"))
        feats[r["file"]] = d
    return feats


RESIDUAL_VERSION = "r4"   # r4: crops centred on the person (session 21)


def count_people(path: Path, box: tuple | None) -> int:
    """Most people seen at once (BlazePose search-and-grey-out, ``people.track_people``) on the
    analysis frames, as the inspector finds them."""
    from app.engine.forensics import people as ppl
    from app.engine.forensics.video_io import probe_video, sample_frames
    from app.engine.jobs import drain

    sample = drain(sample_frames(probe_video(path, box)))
    return drain(ppl.track_people(sample.frames, sample.fps)).max_people


def refresh_crowds(dev: Path, rows: list[dict], feats: dict[str, dict], force: bool = False,
                   cache_dir: Path = DEFAULT_CACHE) -> None:
    """Features cached before the inspector followed the main person of a crowd: count the
    people in each such clip and re-extract the clips with two or more. With `force` (after a
    change to the person tracker) every cached clip is recounted, and re-extracted when the body
    stage crops on it now or did when it was cached (two or more people then or now); the others
    only get their new count."""
    for r in rows:
        d = feats.get(r["file"])
        if not d or ("people" in d and not force):
            continue
        cache = cache_dir / (Path(r["file"]).name + ".json")
        was = d.get("people") or 0
        try:
            n = count_people(dev / r["file"], r["box"])
            log.info("%s: %d people at once (cached: %s)", r["file"], n, d.get("people"))
            if n >= 2 or was >= 2:
                d = extract_one(dev / r["file"], r["box"])
                log.info("   re-extracted (main person followed): %s s", d.get("seconds"))
            else:
                d["people"] = n
        except Exception as exc:  # noqa: BLE001 - reported; the cache stays as it was, so a rerun retries
            log.warning("%s: people count / re-extraction failed: %s", r["file"], exc)
            continue
        cache.write_text(json.dumps(d, indent=1))
        feats[r["file"]] = d


def extract_residual(dev: Path, rows: list[dict], feats: dict[str, dict], cached_only: bool = False,
                     cache_dir: Path = DEFAULT_CACHE) -> None:
    """Add the noise-residual cues (native crops of the first frames around the person, found by a
    BlazePose pass over those frames) to ``feats``; cached per clip as ``<name>.residual.json``,
    versioned on their own."""
    import cv2

    from app.engine.forensics.residual_cues import person_centre, residual_cues
    from app.engine.jobs import drain
    from app.engine.forensics.video_io import analysis_stride, native_sequence, probe_video

    cv2.setNumThreads(1)
    for r in rows:
        cache = cache_dir / (Path(r["file"]).name + ".residual.json")
        d = json.loads(cache.read_text()) if cache.is_file() else {}
        if d.get("version") != RESIDUAL_VERSION:
            if cached_only:
                continue
            t0 = time.monotonic()
            try:
                info = probe_video(dev / r["file"], r["box"])
                seq, frames = native_sequence(info, with_frames=True)
                centre = drain(person_centre(frames))          # as the inspector: crops on the person
                if centre is not None:
                    seq = native_sequence(info, centre=centre)
                vals = {k: v for k, (v, _, _) in residual_cues(seq, info.fps / analysis_stride(info)).items()}
            except Exception as exc:  # noqa: BLE001 - reported, not fatal
                log.warning("%s residual cues failed: %s", r["file"], exc)
                vals = {}
            d = {"version": RESIDUAL_VERSION, "file": r["file"], "values": vals,
                 "seconds": round(time.monotonic() - t0, 2)}
            cache.write_text(json.dumps(d, indent=1))
            log.info("residual cues %s: %s s", r["file"], d["seconds"])
        if r["file"] in feats and feats[r["file"]].get("values"):
            feats[r["file"]]["values"].update(d.get("values", {}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", default=str(ROOT.parent / "shared" / "data" / "videos" / "dev"))
    ap.add_argument("--out", default=str(ROOT / "models" / "forensics" / "calibrated.json"))
    ap.add_argument("--report", default=str(ROOT / ".cache" / "forensics" / "fit_report.md"))
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--cached-only", action="store_true", help="fit on the clips already in the cache (no extraction)")
    ap.add_argument("--refresh-crowds", action="store_true",
                    help="count people in clips cached without a count; re-extract those with two or more")
    ap.add_argument("--force", action="store_true",
                    help="with --refresh-crowds: recount every cached clip (after a tracker change) and re-extract "
                         "those with two or more people now or when cached")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE),
                    help="per-clip feature cache (data/forensics/dev_features holds a committed copy)")
    ap.add_argument("--without", action="append", default=[], metavar="CUE",
                    help="fit as if CUE had never been measured (an ablation row; repeatable)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cache_dir = Path(args.cache)
    dev = Path(args.dev)
    if not (dev / "SOURCES.tsv").is_file():
        log.error("%s: no SOURCES.tsv (the development set lives in ../shared/data/videos/dev)", dev)
        return 2
    rows = read_sources(dev)
    feats = extract_all(dev, rows, args.cached_only, cache_dir)
    if args.refresh_crowds:
        refresh_crowds(dev, rows, feats, args.force, cache_dir)
    extract_residual(dev, rows, feats, args.cached_only, cache_dir)
    if args.extract_only:
        return 0
    from app.engine.forensics import calib_fit

    for f in feats.values():
        for cue in args.without:
            f.get("values", {}).pop(cue, None)
    result = calib_fit.run(rows, feats)
    Path(args.out).write_text(json.dumps(result["model"], indent=1))
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(result["report"])
    log.info("wrote %s and %s", args.out, args.report)
    print(result["summary"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
