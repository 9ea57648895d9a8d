"""IDOL clip shards on disk and the training batches made from them.

A shard (``.cache/idol/data/{split}_{index:05d}.npz``, written by ``scripts/build_idol_data.py``)
holds N clips stacked along the first axis: ``rgb`` [N, T, S, S, 3] uint8, ``depth`` [N, T, S, S]
float16 metres (0 = nothing), ``mask`` [N, T, S, S] bool, ``keypoints`` [N, T, 22, 3] (pixels, metres),
``reference`` [N, S, S, 3], ``background`` [N, T, S, S, 3], ``near_far`` [N, 2], ``K`` [N, 3, 3],
``world_to_camera`` [N, T, 4, 4] and ``specs`` (one JSON string: the recipes). No pickles.
"""
from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.idol.conditions import draw_pose, encode_depth

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = ROOT / ".cache" / "idol" / "data"
ARRAYS = ("rgb", "depth", "mask", "keypoints", "reference", "background", "near_far", "K", "world_to_camera")


def shard_path(folder: Path, split: str, index: int) -> Path:
    return Path(folder) / f"{split}_{index:05d}.npz"


def write_shard(path: Path, clips: list[dict], specs: list[dict]) -> Path:
    """Stack the clips' arrays and write them atomically (a partial file never looks complete)."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:6]}.partial.npz")
    arrays = {k: np.stack([c[k] for c in clips]) for k in ARRAYS}
    np.savez_compressed(tmp, specs=np.asarray(json.dumps(specs)), **arrays)
    os.replace(tmp, path)
    return path


@dataclass
class Clip:
    """One clip in memory (the arrays of a shard row) with its recipe."""

    arrays: dict
    spec: dict

    @property
    def frames(self) -> int:
        return int(self.arrays["rgb"].shape[0])

    def window(self, start: int, frames: int) -> dict:
        """Model-ready uint8 images of ``frames`` frames from ``start``: rgb, depth_vis, pose, background
        ([T, S, S, 3]), reference [S, S, 3], mask [T, S, S], and the metric depth and its range."""
        a = self.arrays
        sl = slice(start, start + frames)
        near, far = (float(x) for x in a["near_far"])
        depth = a["depth"][sl].astype(np.float32)
        size = a["rgb"].shape[1]
        return {"rgb": a["rgb"][sl], "depth_vis": encode_depth(depth, near, far), "depth": depth,
                "pose": draw_pose(a["keypoints"][sl], size), "background": a["background"][sl],
                "reference": a["reference"], "mask": a["mask"][sl], "near_far": (near, far),
                "keypoints": a["keypoints"][sl]}


def load_clips(folder: str | Path = DATA_DIR, split: str = "train", limit: int = 0) -> list[Clip]:
    """All clips of a split (the first ``limit`` when > 0), in shard order."""
    files = sorted(Path(folder).glob(f"{split}_*.npz"))
    clips: list[Clip] = []
    for f in files:
        with np.load(f, allow_pickle=False) as d:
            specs = json.loads(str(d["specs"]))
            arrays = {k: d[k] for k in ARRAYS}
        for i, spec in enumerate(specs):
            clips.append(Clip({k: v[i] for k, v in arrays.items()}, spec))
            if limit and len(clips) >= limit:
                return clips
    return clips


class BatchSampler:
    """Random training windows: a clip, a start frame, and a horizontal flip now and then."""

    def __init__(self, clips: list[Clip], frames: int, seed: int = 0, flip: bool = False) -> None:
        if not clips:
            raise ValueError("no training clips: build them with scripts/build_idol_data.py")
        if min(c.frames for c in clips) < frames:
            raise ValueError(f"clips have {min(c.frames for c in clips)} frames, the model needs {frames}")
        self.clips, self.frames, self.flip = clips, frames, flip
        self.rng = np.random.default_rng(seed)

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state

    def sample(self, batch: int) -> list[dict]:
        out = []
        for _ in range(batch):
            clip = self.clips[int(self.rng.integers(len(self.clips)))]
            start = int(self.rng.integers(0, clip.frames - self.frames + 1))
            win = clip.window(start, self.frames)
            if self.flip and self.rng.uniform() < 0.5:   # mirrored person, pose colours stay left/right-true
                win = {k: (v[..., ::-1, :].copy() if k in ("rgb", "depth_vis", "background") else
                           v[:, ::-1].copy() if k == "reference" else v) for k, v in win.items()}
                win["pose"] = draw_pose(_mirror(win["keypoints"], clip.arrays["rgb"].shape[1]), win["rgb"].shape[1])
                win["mask"], win["depth"] = win["mask"][..., ::-1].copy(), win["depth"][..., ::-1].copy()
            out.append(win)
        return out


def _mirror(kp: np.ndarray, size: int) -> np.ndarray:
    """Keypoints of the mirrored image: u -> size-1-u and left/right joints swapped."""
    from app.core.skeleton import SMPL22_NAMES

    swap = [SMPL22_NAMES.index(n.replace("left", "#").replace("right", "left").replace("#", "right"))
            for n in SMPL22_NAMES]
    out = kp[:, swap].copy()
    out[..., 0] = size - 1 - out[..., 0]
    return out


def collate(windows: list[dict], device: str = "cpu") -> dict:
    """Windows from :meth:`Clip.window` -> tensors in [-1, 1] ([B, T, 3, S, S]; reference [B, 3, S, S])."""
    import torch

    from app.engine.idol.pipeline import to_tensor

    out = {k: torch.stack([to_tensor(w[k]) for w in windows]).to(device)
           for k in ("rgb", "depth_vis", "pose", "background", "reference")}
    out["mask"] = torch.from_numpy(np.stack([w["mask"] for w in windows])).to(device)
    return out
