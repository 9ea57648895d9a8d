"""IDOL: one diffusion model that generates a human video and its aligned depth together.

Modules: ``config`` (CPU/GPU configurations, ablation variants), ``conditions`` (pose images,
depth colour maps, masks), ``render_data`` (training clips from the 2.5D renderer), ``data``
(shards and batches), ``blocks`` / ``unet`` (the dual-modal U-Net from diffusers layers, and the
two-stage baseline's depth estimator), ``losses`` (denoising + motion and attention-map
consistency, the whole training objective), ``pipeline`` (sampling, save/load), ``train``,
``inputs`` (generation-time conditions) and ``metrics`` (the benchmark's measures). This package
file stays free of torch imports.
"""
from __future__ import annotations

from pathlib import Path

from app.core.errors import InvalidInputError

NOT_TRAINED = "IDOL model not trained yet: run scripts/train_idol.py (see models/idol/README.md)"


class ModelNotTrainedError(InvalidInputError):
    """The model folder holds no trained IDOL weights."""


def check_model_dir(folder: str | Path) -> Path:
    """``folder`` if it holds a saved IDOL pipeline, else :class:`ModelNotTrainedError`."""
    folder = Path(folder)
    if not (folder / "idol.json").is_file() or not (folder / "unet").is_dir():
        raise ModelNotTrainedError(NOT_TRAINED)
    return folder
