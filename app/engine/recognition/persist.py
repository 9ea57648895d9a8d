"""``save_pretrained`` / ``from_pretrained`` shared by the recognition models (skeleton and RGB routes):
weights in ``model.safetensors``, config and meta in ``config.json`` (diffusers-style)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch


def pick_device(device: str | None = None) -> torch.device:
    """``device`` when given, else CUDA when present, else CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


class Pretrained:
    """Mixin for an ``nn.Module`` built as ``cls(cfg)``; subclasses set ``_save_config(cfg, path, **meta)``
    and ``_load_config(path) -> (cfg, meta)`` as staticmethods."""

    cfg: Any
    _save_config: Callable
    _load_config: Callable

    def save_pretrained(self, directory: str | Path, **meta) -> Path:
        """Write ``model.safetensors`` and ``config.json`` (``meta`` goes into the config's "meta")."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(directory / "model.safetensors"))
        self._save_config(self.cfg, directory / "config.json", **meta)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | None = None):
        """Load a saved model onto ``device`` (default: CUDA when present), in eval mode."""
        from safetensors.torch import load_file

        directory = Path(directory)
        cfg, meta = cls._load_config(directory / "config.json")
        model = cls(cfg)
        model.load_state_dict(load_file(str(directory / "model.safetensors")))
        model.meta = meta
        return model.to(pick_device(device)).eval()
