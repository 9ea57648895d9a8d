"""SMPL / SMPL-X bodies through the `smplx` package, when the user supplies the model files.

The SMPL model files are licensed (https://smpl.is.tue.mpg.de) and never shipped:
the user places them under ``models/smpl/`` (``SMPL_NEUTRAL.npz`` preferred;
``SMPL_NEUTRAL.pkl`` or ``smplx/SMPLX_NEUTRAL.npz`` also work; ``$ACTION_STUDIO_MODELS``
moves the ``models`` folder). SMPL's frame is ours already (Y up, facing +Z) and its
rest pose is the T-pose of the SMPL-22 skeleton, so no rest alignment is needed.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.core.motion import MotionClip
from app.core.skeleton import FOOT_JOINTS, SMPL22_NAMES, SMPL22_PARENTS, Skeleton, offsets_from_positions
from app.engine.body.base import BodyModel, FrameSelection, body_root_trajectory, frame_indices

log = logging.getLogger(__name__)

NOT_FOUND = "SMPL model files not found in models/smpl/ (licensed; place SMPL_NEUTRAL.npz there)"
NUM_BETAS = 10
CHUNK_FRAMES = 128
_CANDIDATES = ("SMPL_NEUTRAL.npz", "SMPL_NEUTRAL.pkl", "smplx/SMPLX_NEUTRAL.npz", "smplx/SMPLX_NEUTRAL.pkl")
_EXTRA_POSES = ("jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose", "expression")


def models_dir() -> Path:
    """The folder of user-supplied model files: $ACTION_STUDIO_MODELS or <repo>/models."""
    env = os.environ.get("ACTION_STUDIO_MODELS")
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[3] / "models"


def find_smpl_file(folder: str | Path | None = None) -> Path | None:
    """The first SMPL/SMPL-X neutral model file under models/smpl/, if any."""
    base = Path(folder) if folder is not None else models_dir() / "smpl"
    for name in _CANDIDATES:
        path = base / name
        if path.is_file():
            return path
    return None


def smpl_available(folder: str | Path | None = None) -> tuple[bool, str]:
    """(True, path) when a model file is present and `smplx` imports, else (False, reason)."""
    path = find_smpl_file(folder)
    if path is None:
        return False, NOT_FOUND
    try:
        import smplx  # noqa: F401
    except ImportError as exc:  # pragma: no cover - smplx is a requirement
        return False, f"the smplx package is missing ({exc})"
    return True, str(path)


def _load_smplx_model(path: Path) -> Any:
    import smplx
    from smplx.utils import Struct

    if path.parent.name == "smplx":
        return smplx.create(str(path.parent.parent), model_type="smplx", gender="neutral", ext=path.suffix[1:],
                            use_pca=False, flat_hand_mean=True, num_betas=NUM_BETAS)
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:  # plain arrays only: no pickle for .npz
                struct = Struct(**{k: data[k] for k in data.files})
        except ValueError as exc:
            raise ValueError(f"{path.name}: holds pickled objects; re-save it with plain arrays ({exc})") from exc
        return smplx.SMPL(str(path), data_struct=struct, num_betas=NUM_BETAS)
    # .pkl: smplx unpickles it; acceptable for a licensed model file the user placed themselves
    return smplx.SMPL(str(path), num_betas=NUM_BETAS)


class SmplBody(BodyModel):
    """SMPL (or SMPL-X) posed from SMPL-22 clips; phenotype = betas ``beta_0`` .. ``beta_9``."""

    name = "smpl"

    def __init__(self, folder: str | Path | None = None) -> None:
        ok, where = smpl_available(folder)
        if not ok:
            raise FileNotFoundError(where)
        self.path = Path(where)
        self.model = _load_smplx_model(self.path).eval()
        self.body_joints = int(self.model.NUM_BODY_JOINTS)
        self._faces = np.asarray(self.model.faces, dtype=np.int32)
        self._betas = np.zeros(NUM_BETAS)
        self._lock = threading.RLock()
        self._rest: tuple[np.ndarray, Skeleton, float] | None = None

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def phenotype(self) -> dict[str, float]:
        return {f"beta_{i}": float(b) for i, b in enumerate(self._betas)}

    def set_phenotype(self, **values: float) -> None:
        names = {f"beta_{i}": i for i in range(NUM_BETAS)}
        unknown = set(values) - set(names)
        if unknown:
            raise ValueError(f"unknown phenotype {sorted(unknown)}; known: beta_0 .. beta_{NUM_BETAS - 1}")
        with self._lock:
            for k, v in values.items():
                self._betas[names[k]] = float(np.clip(float(v), -5.0, 5.0))
            self._rest = None

    @torch.no_grad()
    def _forward(self, rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis-relative vertices [N, V, 3] and SMPL-22 joints [N, 22, 3] for local rotations [N, 22, 3]."""
        n = rotations.shape[0]
        rot = torch.as_tensor(rotations, dtype=torch.float32)
        body = torch.zeros((n, self.body_joints, 3))
        body[:, :21] = rot[:, 1:22]
        kwargs = {"betas": torch.as_tensor(self._betas, dtype=torch.float32)[None].expand(n, -1),
                  "global_orient": rot[:, 0], "body_pose": body.reshape(n, -1), "transl": torch.zeros((n, 3))}
        for name in _EXTRA_POSES:
            param = getattr(self.model, name, None)
            if isinstance(param, torch.Tensor):
                kwargs[name] = torch.zeros((n, param.shape[-1]))
        out = self.model(**kwargs)
        root = out.joints[:, :1]
        return (out.vertices - root).numpy(), (out.joints[:, :22] - root).numpy()

    def _rest_state(self) -> tuple[np.ndarray, Skeleton, float]:
        with self._lock:
            if self._rest is None:
                verts, joints = self._forward(np.zeros((1, 22, 3)))
                lift = np.array([0.0, -float(verts[0, :, 1].min()), 0.0])
                pos = joints[0].astype(np.float64) + lift
                skel = Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets_from_positions(pos, SMPL22_PARENTS))
                self._rest = ((verts[0] + lift).astype(np.float32), skel, float(pos[list(FOOT_JOINTS), 1].min()))
            return self._rest

    def rest_vertices(self) -> np.ndarray:
        return self._rest_state()[0].copy()

    def skeleton_smpl22(self) -> Skeleton:
        return self._rest_state()[1]

    def _run(self, clip: MotionClip, frames: FrameSelection) -> tuple[np.ndarray, np.ndarray]:
        _, skel, clearance = self._rest_state()
        idx = frame_indices(clip.num_frames, frames)
        root = body_root_trajectory(clip, skel, clearance, idx).astype(np.float32)
        verts, joints = [np.zeros((0, len(self._rest_state()[0]), 3), np.float32)], [np.zeros((0, 22, 3), np.float32)]
        for s in range(0, len(idx), CHUNK_FRAMES):
            v, j = self._forward(clip.rotations[idx[s:s + CHUNK_FRAMES]])
            r = root[s:s + CHUNK_FRAMES, None]
            verts.append((v + r).astype(np.float32))
            joints.append((j + r).astype(np.float32))
        return np.concatenate(verts), np.concatenate(joints)

    def pose(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        return self._run(clip, frames)[0]

    def joints_smpl22(self, clip: MotionClip, frames: FrameSelection = None) -> np.ndarray:
        return self._run(clip, frames)[1]
