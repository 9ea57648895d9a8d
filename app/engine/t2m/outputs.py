"""Writing generated motion: our npz plus the generation's metadata (model, seed, prompt, spans,
foot-skate ratios, notes, ATOM codebook attention), shared by ``main.py generate`` and batch jobs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from app.core.motion import MotionClip


def generation_extras(result: Any, i: int, model: str, seed: int, prompt: str) -> dict[str, np.ndarray]:
    """Metadata arrays of sample ``i`` of a ``T2MOutput`` (the npz keys beside the motion)."""
    notes = list(getattr(result, "notes", []))
    extra = {"model": np.array(model), "seed": np.array(seed), "sample": np.array(i + 1),
             "prompt": np.array(prompt), "spans": np.array(json.dumps(result.spans)),
             "skate_before": np.array(result.skate_before[i]), "skate_after": np.array(result.skate_after[i]),
             "notes": np.array(json.dumps(notes))}
    if i < len(result.attention) and result.attention[i] is not None:
        extra["codebook_attention"] = result.attention[i].astype(np.float16)
    return extra


def write_npz_with_extras(clip: MotionClip, path: str | Path, extra: dict[str, np.ndarray]) -> Path:
    """Our npz (``save_motion``) with ``extra`` arrays added."""
    from app.core.motion_io import save_motion

    path = Path(path)
    save_motion(clip, path)
    with np.load(path, allow_pickle=False) as d:
        arrays = {k: d[k] for k in d.files}
    arrays.update(extra)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path
