"""`recognize`: which atomic actions a motion (or a tracked video) shows, where, and what is unknown.

JSON (one input): ``clip`` (top 5 {label, probability}), ``uncertainty`` in [0, 1] (1 = an
action the model does not know), ``actions`` ({label, start_s, end_s, confidence}, label
"unknown" allowed), ``route``, ``model``; a folder gives ``{"results": [...], "failed": [...]}``.
``--csv`` writes one row per action.  ``--labels`` lists the atoms with a line each.
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from app.core.errors import InvalidInputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("recognize", help="recognise and localise actions in a motion file, video or folder")
    p.add_argument("input", nargs="?", default=None, help="BVH, npz, glTF (.glb/.gltf) or video file, or a folder")
    p.add_argument("--json", default=None, metavar="OUT", help="write the result as JSON (default: print it)")
    p.add_argument("--csv", default=None, metavar="OUT.csv", help="also write one row per localised action")
    p.add_argument("--route", default="skeleton", choices=["skeleton", "rgb", "both"],
                   help="skeleton (default: motion files and videos through BlazePose), rgb (videos: the SOAR model, "
                        "trained on 32 px renders only, so real footage is outside what it has seen), or both (fused)")
    p.add_argument("--model", default=None, help="recognition model folder (default models/recognition)")
    p.add_argument("--rgb-model", default=None, help="RGB-route (SOAR) model folder (default models/recognition/rgb)")
    p.add_argument("--labels", action="store_true", help="list the atoms with one-line descriptions and exit")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for the network (default 1: it is small)")
    return {"recognize": cmd_recognize}


def _print_labels(model_dir: str | None) -> int:
    from app.engine.recognition.pipeline import DEFAULT_DIR, atom_descriptions

    known, unknown = None, set()
    cfg_path = Path(model_dir or DEFAULT_DIR) / "config.json"
    if cfg_path.is_file():
        from app.engine.recognition.config import load_config
        cfg, _ = load_config(cfg_path)
        known, unknown = set(cfg.labels), set(cfg.unknown_atoms)
    desc = atom_descriptions()
    width = max(len(n) for n in desc)
    for name, line in desc.items():
        note = "  [held out: reported as unknown]" if name in unknown else ""
        if known is not None and name not in known and not note:
            note = "  [not in this model]"
        print(f"{name:<{width}}  {line}{note}")
    print(f"{len(desc)} atoms" + (f"; {len(unknown)} held out as unknowns by this model" if unknown else ""))
    return 0


def _rows(result: dict) -> list[list]:
    top = result["clip"][0] if result["clip"] else {"label": "", "probability": 0.0}
    base = [result["input"]]
    tail = [top["label"], top["probability"], result["uncertainty"]]
    if not result["actions"]:
        return [base + ["", "", "", ""] + tail]
    return [base + [a["label"], a["start_s"], a["end_s"], a["confidence"]] + tail for a in result["actions"]]


def cmd_recognize(args: argparse.Namespace) -> int:
    from app.engine.recognition.inputs import list_inputs
    from app.engine.tasks.recognize_task import check_route, get_pipeline, get_rgb_pipeline, recognize_file

    if args.labels:
        return _print_labels(args.model)
    if args.input is None:
        raise InvalidInputError("give an INPUT (motion file, video or folder), or --labels")
    src = Path(args.input)
    if not src.exists():
        raise InvalidInputError(f"{src}: no such file or folder")
    check_route(args.route)
    import torch

    torch.set_num_threads(max(1, args.threads))
    pipe = get_pipeline(args.model) if args.route != "rgb" else None
    rgb_pipe = get_rgb_pipeline(args.rgb_model) if args.route != "skeleton" else None
    files = list_inputs(src) if src.is_dir() else [src]
    if src.is_dir() and not files:
        raise InvalidInputError(f"{src}: no motion files or videos")
    results, failed = [], []
    for f in files:
        try:
            results.append(recognize_file(f, route=args.route, pipeline=pipe, rgb_pipeline=rgb_pipe))
        except InvalidInputError as exc:
            if not src.is_dir():
                raise
            failed.append({"input": str(f), "error": str(exc)})
            print(f"skipped {f.name}: {exc}", file=sys.stderr)
    if not results:
        raise InvalidInputError(f"{src}: none of {len(files)} inputs could be recognised")
    doc = {"results": results, "failed": failed} if src.is_dir() else results[0]
    text = json.dumps(doc, indent=1)
    if args.json:
        Path(args.json).write_text(text)
        for r in results:
            top = r["clip"][0]
            acts = ", ".join(f"{a['label']} {a['start_s']:.1f}-{a['end_s']:.1f}s" for a in r["actions"])
            print(f"{Path(r['input']).name}: {top['label']} ({top['probability']:.2f}), "
                  f"uncertainty {r['uncertainty']:.2f}; {acts}")
        print(f"wrote {args.json}")
    else:
        print(text)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["input", "label", "start_s", "end_s", "confidence", "clip_top1", "clip_probability",
                        "uncertainty"])
            for r in results:
                w.writerows(_rows(r))
        print(f"wrote {args.csv}")
    return 0
