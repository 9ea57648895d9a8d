"""Batch workers of the built-in tasks: each wraps the single-item engine function, loads its
models once in ``__init__`` (inside a Ray worker process), and returns a flat summary per item.

Outputs go under the batch folder: ``reports/`` (inspect JSON), ``motions/`` (generate),
``render2p5d/<item>/`` and ``recognize/`` (JSON), named ``<input stem>_<key prefix>``.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from app.core.errors import InvalidInputError
from app.engine.batch.items import BatchItem
from app.engine.jobs import drain

log = logging.getLogger(__name__)


def _outdir(root: Path, name: str) -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    return d


class InspectWorker:
    """Forensic analysis (``forensics.pipeline.inspect_video``) with the calibrated model and
    mediapipe loaded once; writes ``reports/<item>.json``."""

    def __init__(self, options: dict[str, Any], out_dir: Path) -> None:
        from app.engine.forensics import calibration
        from app.engine.forensics import report_json  # noqa: F401 - import cost paid once, here

        self.options = options
        self.out = _outdir(Path(out_dir), "reports")
        self.model = calibration.load_model(None)
        try:
            import mediapipe  # noqa: F401 - BlazePose etc.: the slowest import of the pipeline
        except ImportError:
            log.warning("mediapipe is not installed: pose and appearance cues will be missing")

    @staticmethod
    def check(options: dict[str, Any]) -> None:
        crop = options.get("crop")
        if crop is not None and (len(crop) != 4 or not all(isinstance(v, int) for v in crop)):
            raise InvalidInputError("crop: expected four integers X0,Y0,X1,Y1")
        ref = options.get("reference")
        if ref and not Path(ref).is_file():
            raise InvalidInputError(f"{ref}: no such reference table")

    def run(self, item: BatchItem) -> dict[str, Any]:
        from app.engine.forensics import report_json
        from app.engine.forensics.pipeline import inspect_video

        o = self.options
        crop = tuple(o["crop"]) if o.get("crop") else None
        rep = drain(inspect_video(item.input, reference=o.get("reference"), use_colmap=o.get("use_colmap", True),
                                  crop_box=crop, calibrated=self.model or False))
        path = report_json.write_json(rep, self.out / f"{item.out_stem()}.json")
        row = report_json.csv_row(rep, item.label)
        out = {k: row[k] for k in row if k not in ("file", "error", "seconds")}
        out["report"] = str(path)
        return out


GENERATE_FORMATS = ("npz", "bvh", "glb", "gltf", "mp4")


class GenerateWorker:
    """Text to motion (``TextToMotionPipeline``, loaded once); one sample per prompt line, written
    as ``motions/<prompt>_<key>.<format>``. The k-th repeat of a prompt uses seed + k - 1."""

    def __init__(self, options: dict[str, Any], out_dir: Path) -> None:
        from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline

        self.options = options
        self.out = _outdir(Path(out_dir), "motions")
        model = options.get("model", "atom")
        self.pipe = TextToMotionPipeline.from_pretrained(MODELS_DIR / model if model in ("atom", "mdm") else model)

    @staticmethod
    def check(options: dict[str, Any]) -> None:
        from app.engine.t2m.pipeline import check_seconds

        fmt = options.get("format", "npz")
        if fmt not in GENERATE_FORMATS:
            raise InvalidInputError(f"format {fmt!r}: use one of {', '.join(GENERATE_FORMATS)}")
        model = options.get("model", "atom")
        if model not in ("atom", "mdm") and not Path(model).is_dir():
            raise InvalidInputError(f"unknown model {model!r} (use atom, mdm, or a model directory)")
        if options.get("seconds") is not None:
            check_seconds(options["seconds"])

    def run(self, item: BatchItem) -> dict[str, Any]:
        from app.engine.t2m.outputs import generation_extras, write_npz_with_extras
        from app.engine.t2m.pipeline import clean_prompt

        o = self.options
        prompt = clean_prompt(item.input)
        seed = int(o.get("seed", 0)) + int(item.extra.get("repeat", 1)) - 1
        result = self.pipe.generate(prompt, o.get("seconds"), seed=seed, num_samples=1,
                                    foot_lock=o.get("foot_lock", True))
        clip = result[0]
        fmt = o.get("format", "npz")
        path = self.out / f"{item.out_stem()}.{fmt}"
        if fmt == "npz":
            write_npz_with_extras(clip, path, generation_extras(result, 0, self.pipe.name, seed, prompt))
        elif fmt == "bvh":
            from app.core.motion_io import save_motion
            save_motion(clip, path)
        elif fmt in ("glb", "gltf"):
            from app.engine.body.gltf_export import export_gltf_task
            drain(export_gltf_task(clip, path, None, "anny"))
        else:
            from app.engine.tasks.render_video import render_clip_video
            drain(render_clip_video(clip, path))
        return {"prompt": prompt, "frames": clip.num_frames, "fps": clip.fps,
                "skate_after": round(float(result.skate_after[0]), 4), "notes": "; ".join(result.notes),
                "output": str(path)}


class Render2p5dWorker:
    """2.5D clips (``tasks.render2p5d.render_2p5d``) with the body model loaded once; one folder
    ``render2p5d/<item>/`` per motion."""

    def __init__(self, options: dict[str, Any], out_dir: Path) -> None:
        from app.engine.tasks.body_tasks import load_body
        from app.engine.tasks.render2p5d import Render2p5dOptions

        self.opts = Render2p5dOptions(**options)
        self.out = _outdir(Path(out_dir), "render2p5d")
        self.body = drain(load_body("anny"))

    @staticmethod
    def check(options: dict[str, Any]) -> None:
        from app.engine.tasks.render2p5d import Render2p5dOptions, check_size, parse_background

        opts = Render2p5dOptions(**options)
        check_size(opts.width, opts.height)
        parse_background(opts.background)

    def run(self, item: BatchItem) -> dict[str, Any]:
        from app.core.motion_io import load_motion
        from app.engine.tasks.render2p5d import render_2p5d

        clip = load_motion(item.input)
        out = drain(render_2p5d(clip, self.out / item.out_stem(), self.opts, body=self.body))
        return {"frames": clip.num_frames, "fps": self.opts.fps or clip.fps, "output": str(out)}


class RecognizeWorker:
    """Action recognition (``tasks.recognize_task``) with the recogniser loaded once; writes
    ``recognize/<item>.json``."""

    def __init__(self, options: dict[str, Any], out_dir: Path) -> None:
        from app.engine.tasks.recognize_task import get_pipeline

        self.options = options
        self.out = _outdir(Path(out_dir), "recognize")
        self.pipe = get_pipeline(options.get("model_dir"))

    @staticmethod
    def check(options: dict[str, Any]) -> None:
        from app.engine.recognition.pipeline import DEFAULT_DIR

        d = Path(options.get("model_dir") or DEFAULT_DIR)
        if not (d / "config.json").is_file():
            raise InvalidInputError(f"no recognition model in {d}")

    def run(self, item: BatchItem) -> dict[str, Any]:
        from app.engine.tasks.recognize_task import recognize_task

        result = drain(recognize_task(item.input, route=self.options.get("route", "skeleton"), pipeline=self.pipe))
        d = {"input": item.input, **result.to_dict()}
        path = self.out / f"{item.out_stem()}.json"
        path.write_text(json.dumps(d, indent=1), encoding="utf-8")
        top = d["clip"][0] if d.get("clip") else {}
        acts = "; ".join(f"{a.get('label')} {a.get('start_s', 0):.1f}-{a.get('end_s', 0):.1f}s" for a in d.get("actions", []))
        return {"top_label": top.get("label", ""), "top_probability": top.get("probability"),
                "uncertainty": d.get("uncertainty"), "actions": acts, "output": str(path)}
