"""`main.py generate "PROMPT" --seconds S --seed N --out FILE`: text to motion, headless.

FILE ends in .npz (our format via save_motion, plus keys model, seed, prompt, spans,
codebook_attention [T, K] for ATOM, skate_before/skate_after), .bvh, .mp4 (rendered on the
body), .glb/.gltf or .fbx (skeleton, animation and the skinned Anny body when prepared;
FBX through Blender's `bpy` module).
--samples K writes FILE_1 .. FILE_K.  Prompts split into spans on ';' and 'then'.
--candidates K: each sample is the best of K draws by the candidate ranker (models/ranker; default 4 when it
ships, 1 = draw once).
Rejected input (empty prompt, duration outside 0.5..120 s, bad sample count, unknown model or
output type) exits with status 2 and one line; prompts over 1,000 characters are truncated
with a warning; any other text (emoji, other languages, unknown words) gives a motion.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable

from app.core.errors import InvalidInputError

log = logging.getLogger(__name__)
OUT_TYPES = (".npz", ".bvh", ".mp4", ".glb", ".gltf", ".fbx")
MODELS = ("atom", "mdm")


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("generate", help="generate a motion from text (ATOM, or the MDM baseline)")
    p.add_argument("prompt", help="what the person does; ';' or 'then' separate consecutive actions")
    p.add_argument("--seconds", type=float, default=None,
                   help="total duration, max 120 (default: each action as long as its text suggests, by the "
                        "length estimator in models/length; 4 s per action without it)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output file (.npz, .bvh, .mp4, .glb, .gltf or .fbx)")
    p.add_argument("--samples", type=int, default=1, help="number of samples (files FILE_1..FILE_K)")
    p.add_argument("--candidates", type=int, default=None,
                   help="draws per sample, the ranker keeps the best (default 4 with models/ranker; 1 = no ranking)")
    p.add_argument("--model", default="atom", help="atom, mdm, or a model directory")
    p.add_argument("--no-foot-lock", action="store_true", help="keep the raw model output (no foot locking)")
    return {"generate": cmd_generate}


def _paths(out: Path, k: int) -> list[Path]:
    if k == 1:
        return [out]
    return [out.with_name(f"{out.stem}_{i + 1}{out.suffix}") for i in range(k)]


def cmd_generate(args: argparse.Namespace) -> int:
    from app.engine.t2m.pipeline import MODELS_DIR, TextToMotionPipeline, clean_prompt

    out = Path(args.out)
    ext = check_output(out)
    if not 1 <= args.samples <= 16:
        raise InvalidInputError(f"--samples must be between 1 and 16, got {args.samples}")
    if args.candidates is not None and not 1 <= args.candidates <= 16:
        raise InvalidInputError(f"--candidates must be between 1 and 16, got {args.candidates}")
    if args.model not in MODELS and not Path(args.model).is_dir():
        raise InvalidInputError(f"unknown model {args.model!r} (use {' or '.join(MODELS)}, or a model directory)")
    if args.prompt and len(" ".join(args.prompt.split())) > 1000:
        print("warning: the prompt is longer than 1000 characters and was truncated", file=sys.stderr)
    prompt = clean_prompt(args.prompt)
    pipe = TextToMotionPipeline.from_pretrained(MODELS_DIR / args.model if args.model in MODELS else args.model)
    pipe.use_ranker(candidates=args.candidates)
    if args.candidates not in (None, 1) and pipe.ranker is None:
        print("warning: no candidate ranker (models/ranker): --candidates is ignored, one draw per sample",
              file=sys.stderr)
    result = pipe.generate(prompt, args.seconds, seed=args.seed, num_samples=args.samples,
                           foot_lock=not args.no_foot_lock)
    notes = list(getattr(result, "notes", []))
    for note in notes:  # what the prompt names that the model has not learned
        print(f"note: {note}")
    for i, (clip, path) in enumerate(zip(result, _paths(out, args.samples))):
        extras = None
        if ext == ".npz":
            from app.engine.t2m.outputs import generation_extras
            extras = generation_extras(result, i, pipe.name, args.seed, prompt)
        write_clip(clip, path, extras)
        print(f"wrote {path} ({clip.num_frames} frames at {clip.fps:g} fps, foot skate "
              f"{result.skate_before[i]:.3f} -> {result.skate_after[i]:.3f})")
    return 0


def check_output(out: Path) -> str:
    """The output's type (its suffix) after the checks made before any work: a known type, FBX export
    installed for .fbx, an existing folder."""
    ext = out.suffix.lower()
    if ext not in OUT_TYPES:
        raise InvalidInputError(f"{out.name}: output must end in .npz, .bvh, .mp4, .glb, .gltf or .fbx")
    if ext == ".fbx":  # fail before generating, not after
        from app.engine.export.fbx import FbxUnavailableError, bpy_available
        if not bpy_available():
            raise FbxUnavailableError()
    if not out.parent.exists():
        raise InvalidInputError(f"{out.parent}: output folder does not exist")
    return ext


def write_clip(clip, path: Path, npz_extras: dict | None = None) -> None:
    """Write a motion by its file type: npz (with ``npz_extras``), BVH, glTF / GLB, FBX, or an MP4 / GIF
    rendered on the body (progress on the console)."""
    ext = path.suffix.lower()
    if ext == ".npz":
        from app.engine.t2m.outputs import write_npz_with_extras
        write_npz_with_extras(clip, path, npz_extras or {})
    elif ext == ".bvh":
        from app.core.motion_io import save_motion
        save_motion(clip, path)
    elif ext in (".glb", ".gltf"):
        from app.cli.motion_commands import write_gltf_file
        write_gltf_file(clip, path)
    elif ext == ".fbx":
        from app.cli.motion_commands import write_fbx_file
        write_fbx_file(clip, path)
    else:
        from app.cli.progress import ConsoleProgress
        from app.engine.jobs import run_task
        from app.engine.tasks.render_video import render_clip_video
        progress = ConsoleProgress("render")
        try:
            run_task(render_clip_video, clip, path, on_progress=progress)
        finally:
            progress.close()
