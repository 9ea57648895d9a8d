"""Per-dimension feature normaliser (mean / std), saved as a pickle-free .npz beside a checkpoint.

`Normalizer.fit(..., grouping="humanml3d")` follows HumanML3D's `cal_mean_variance`: the std of
each feature part (root rotation velocity, root linear velocity, root height, RIC, 6D rotations,
joint velocities, foot contacts) is replaced by that part's mean std, and the foot-contact std
is divided by `feet_bias` (5 in HumanML3D) so contacts weigh more; every std is then floored.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .humanml3d import (FEATURE_DIM, FOOT_CONTACT, LOCAL_VEL, RIC, ROOT_LIN_VEL, ROOT_ROT_VEL,
                        ROOT_Y, ROT6D)

HUMANML3D_GROUPS = (ROOT_ROT_VEL, ROOT_LIN_VEL, ROOT_Y, RIC, ROT6D, LOCAL_VEL, FOOT_CONTACT)
FORMAT_VERSION = 1


class Normalizer:
    """x_norm = (x - mean) / std, for numpy arrays or torch tensors of shape [..., D]."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, representation: str = "humanml3d") -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise ValueError(f"mean {self.mean.shape} and std {self.std.shape} differ in shape")
        if not (np.isfinite(self.mean).all() and np.isfinite(self.std).all()) or (self.std <= 0).any():
            raise ValueError("normaliser mean/std must be finite and std positive")
        self.representation = representation
        self._torch_cache: dict[tuple[Any, Any], tuple[Any, Any]] = {}

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    # --- fitting -----------------------------------------------------
    @classmethod
    def fit(cls, arrays: Sequence[np.ndarray], grouping: str = "humanml3d", min_std: float = 1e-2,
            feet_bias: float = 5.0) -> "Normalizer":
        """Statistics over the frames of all `arrays` ([T_i, D] each).

        grouping: "humanml3d" (part-averaged std, needs D = 263) or "per_dim".
        min_std: floor of every std (guards near-constant dims such as contacts in a still corpus).
        """
        frames = [np.asarray(a, dtype=np.float64).reshape(-1, np.shape(a)[-1]) for a in arrays if len(a)]
        if not frames:
            raise ValueError("cannot fit a normaliser to no data")
        dims = {f.shape[1] for f in frames}
        if len(dims) != 1:
            raise ValueError(f"feature arrays disagree in width: {sorted(dims)}")
        # streaming sums keep memory flat for big corpora
        n = sum(len(f) for f in frames)
        mean = sum(f.sum(0) for f in frames) / n
        var = sum(((f - mean) ** 2).sum(0) for f in frames) / n
        std = np.sqrt(var)
        if grouping == "humanml3d":
            if std.shape[0] != FEATURE_DIM:
                raise ValueError(f"humanml3d grouping needs {FEATURE_DIM} dims, got {std.shape[0]}")
            for part in HUMANML3D_GROUPS:
                std[part] = std[part].mean()
            std[FOOT_CONTACT] /= feet_bias
        elif grouping != "per_dim":
            raise ValueError(f"unknown grouping {grouping!r}")
        return cls(mean, np.maximum(std, min_std), "humanml3d" if std.shape[0] == FEATURE_DIM else "custom")

    # --- applying ----------------------------------------------------
    def _stats_like(self, x: Any) -> tuple[Any, Any]:
        if isinstance(x, np.ndarray) or np.isscalar(x) or isinstance(x, (list, tuple)):
            return self.mean, self.std
        key = (x.device, x.dtype)  # a torch tensor (duck-typed: torch is optional here)
        if key not in self._torch_cache:
            import torch
            self._torch_cache[key] = (torch.as_tensor(self.mean, device=x.device, dtype=x.dtype),
                                      torch.as_tensor(self.std, device=x.device, dtype=x.dtype))
        return self._torch_cache[key]

    def normalize(self, x: Any) -> Any:
        mean, std = self._stats_like(x)
        if isinstance(x, (list, tuple)):
            x = np.asarray(x, dtype=np.float32)
        return (x - mean) / std

    def denormalize(self, x: Any) -> Any:
        mean, std = self._stats_like(x)
        if isinstance(x, (list, tuple)):
            x = np.asarray(x, dtype=np.float32)
        return x * std + mean

    # --- files -------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write mean/std to an .npz (no pickles); returns the path written."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez(fh, mean=self.mean, std=self.std, representation=np.array(self.representation),
                     version=np.array(FORMAT_VERSION))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Normalizer":
        with np.load(Path(path), allow_pickle=False) as data:
            version = int(data["version"]) if "version" in data else FORMAT_VERSION
            if version > FORMAT_VERSION:
                raise ValueError(f"{Path(path).name}: normaliser format {version} is newer than this app")
            rep = str(data["representation"]) if "representation" in data else "humanml3d"
            return cls(data["mean"], data["std"], rep)

    @staticmethod
    def path_beside(checkpoint: str | Path) -> Path:
        """Conventional location: `<checkpoint stem>.normalizer.npz` next to the checkpoint."""
        ckpt = Path(checkpoint)
        return ckpt.with_name(ckpt.stem + ".normalizer.npz")

    def __repr__(self) -> str:
        return f"Normalizer(dim={self.dim}, representation={self.representation!r})"
