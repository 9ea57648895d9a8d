"""Task: generate a human video and its depth with IDOL (``main.py idol`` and the 2.5D tab's "Generate (IDOL)").

Output folder (like ``render2p5d``): ``rgb.mp4``, ``depth_vis.mp4`` (the generated depth colour
map), ``depth/000000.png`` (uint16 millimetres decoded from the colour map, 0 = nothing),
``mask/000000.png`` (the person in the generated depth, 0/255) and ``meta.json`` (model, seed,
steps, camera, depth range; written last). Progress: body 0-15 %, conditions 15-25 %, denoising
25-90 % (cancellable between steps), writing 90-100 %.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generator

import cv2
import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress, relay
from app.engine.tasks.body_tasks import load_body
from app.engine.tasks.render2p5d import StagedFolder, camera_record
from app.engine.tasks.steps import sub_task

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MODEL_DIR = ROOT / "models" / "idol"


@dataclass
class IdolOptions:
    appearance: str = "medium-denim"
    background: str = "grey"
    frames: int = 16
    size: int | None = None          # None: the model's size
    steps: int | None = None         # None: the sampler's default (the model's 20; DPM-Solver++ 10)
    seed: int = 0
    guidance: float | None = None
    sampler: str | None = None       # None: the model's (DDIM); "dpm": DPM-Solver++, twice as fast
    precision: str | None = None     # None: the model's; "bf16": bf16 autocast where supported, "fp32"
    model_dir: str = str(DEFAULT_MODEL_DIR)


def load_pipeline(options: IdolOptions):
    """The trained pipeline, checked against the requested size (InvalidInputError otherwise)."""
    from app.engine.idol.pipeline import IdolPipeline

    pipe = IdolPipeline.from_pretrained(options.model_dir)
    if options.size is not None and int(options.size) != pipe.config.size:
        raise InvalidInputError(f"size {options.size} is not supported by the IDOL model in {options.model_dir} "
                                f"(it generates {pipe.config.size}x{pipe.config.size})")
    return pipe


def generate_idol(clip: MotionClip, out_dir: str | Path, options: IdolOptions = IdolOptions(), pipeline: Any = None,
                  body: Any = None) -> Generator[Progress, None, Path]:
    """Generate and write the clip into ``out_dir`` (see the module notes); returns the folder."""
    from app.engine.idol.conditions import decode, depth_person_mask, environment_depth, iou, rgb_person_mask
    from app.engine.idol.inputs import check_request, conditions, make_inputs, to_model_rate
    from app.engine.idol.pipeline import Conditions
    from app.engine.idol.render_data import ClipRenderer
    from app.viewers.depth import write_depth_png
    from app.viewers.video import VideoWriter

    check_request(options.frames, 1 if options.steps is None else options.steps, options.size)
    if clip.num_frames == 0:
        raise InvalidInputError("the clip has no frames")
    clip.validate()
    inputs = make_inputs(options.appearance, options.background)
    pipe = pipeline if pipeline is not None else load_pipeline(options)
    size = pipe.config.size
    stage = StagedFolder(out_dir)
    writers: list = []
    renderer = None
    try:
        if body is None:
            body = yield from sub_task(load_body("anny"), 0.0, 0.15)
        renderer = ClipRenderer(body, size)
        short = to_model_rate(clip, int(options.frames))
        cond = conditions(renderer, inputs, short, size)
        yield Progress(0.25, "conditions ready")
        sampler, steps = pipe.sampling(options.sampler, options.steps)
        gen = pipe.iterate(Conditions(cond["pose"], cond["background"], cond["reference"]), steps=steps,
                           guidance=options.guidance, seed=options.seed, sampler=sampler,
                           precision=options.precision)
        rgb, depth_vis = yield from relay(gen, 0.25, 0.9,
                                          lambda f: f"denoising step {round((f or 0.0) * steps)} of {steps}")
        near, far = cond["near_far"]
        depth = decode(depth_vis, near, far)
        env = np.stack([environment_depth(c, size) for c in cond["cameras"]]) if inputs.spec.bg_kind == "scene" \
            else None
        mask = depth_person_mask(depth, env)
        (stage.path / "depth").mkdir()
        (stage.path / "mask").mkdir()
        writers = [VideoWriter(stage.path / "rgb.mp4", short.fps), VideoWriter(stage.path / "depth_vis.mp4", short.fps)]
        for i in range(len(rgb)):
            writers[0].append(rgb[i])
            writers[1].append(depth_vis[i])
            write_depth_png(stage.path / "depth" / f"{i:06d}.png", depth[i])
            cv2.imwrite(str(stage.path / "mask" / f"{i:06d}.png"), mask[i].astype(np.uint8) * 255)
        for w in writers:
            w.close()
        record = camera_record(cond["cameras"], size, size, short.fps, near, far)
        agree = iou(mask, rgb_person_mask(rgb, cond["background"]))
        record.update({"model": str(options.model_dir), "model_info": pipe.info, "variant": pipe.config.variant,
                       "seed": options.seed, "steps": steps,
                       "guidance": pipe.config.guidance if options.guidance is None else options.guidance,
                       "sampler": sampler, "precision": options.precision or pipe.config.precision,
                       "frames": len(rgb),
                       "appearance": options.appearance, "background": options.background,
                       "rgb_depth_person_iou": round(agree, 4), "options": asdict(options)})
        (stage.path / "meta.json").write_text(json.dumps(record, indent=1))
        out = stage.commit(last="meta.json")
    except BaseException:
        for w in writers:
            w.abort()
        stage.abort()
        raise
    finally:
        if renderer is not None:
            renderer.close()
    yield Progress(1.0, "IDOL clip written")
    log.info("IDOL clip written to %s", out)
    return out
