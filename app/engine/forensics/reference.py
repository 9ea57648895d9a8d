"""Reference ranges of every cue, and the simulator that derives the body-motion ones
from real motion capture.

``models/forensics/reference.json`` (made by ``scripts/build_forensics_reference.py``)
holds, per cue, the distribution of the cue over real material: percentiles p1/p5/p50/p95/p99
and the range [lo, hi] = [p5, p95] that counts as "looks real", plus where it came from.
Body-motion references (and the motion-likelihood cue's) come from the committed real
mocap corpus rendered on the textured Anny body (:mod:`.calib_render`), encoded as H.264 and
measured through the real BlazePose stage. :func:`simulate_landmarks` (real mocap projected
through a camera with a BlazePose-like noise model) is kept for fast landmark-level tests.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import pose_cues as pc

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "models" / "forensics" / "reference.json"
SMPL_TO_BLAZE = {pc.NOSE: 15, pc.LSH: 16, pc.RSH: 17, pc.LEL: 18, pc.REL: 19, pc.LWR: 20, pc.RWR: 21,
                 pc.LHIP: 1, pc.RHIP: 2, pc.LKN: 4, pc.RKN: 5, pc.LAN: 7, pc.RAN: 8, pc.LFT: 10, pc.RFT: 11}
# BlazePose-like landmark noise (metres / body heights); assumptions, documented in docs/forensics.md
WORLD_WHITE_XY, WORLD_WHITE_Z, WORLD_AR, AR_RHO = 0.010, 0.025, 0.015, 0.85
IMAGE_WHITE, IMAGE_AR = 0.005, 0.006   # fraction of the body's image height

# Fallback ranges when no reference file exists (and for cues the script does not cover).
# Each: (lo, hi, direction) where direction says which side is suspicious.
FALLBACK: dict[str, dict] = {}


def _ar_noise(rng: np.random.Generator, shape: tuple, sigma: float, rho: float = AR_RHO) -> np.ndarray:
    e = rng.normal(0, sigma * np.sqrt(1 - rho ** 2), shape)
    out = np.empty(shape)
    out[0] = rng.normal(0, sigma, shape[1:])
    for i in range(1, shape[0]):
        out[i] = rho * out[i - 1] + e[i]
    return out


def random_camera(rng: np.random.Generator, joints: np.ndarray):
    """A plausible handheld/tripod camera around the motion: 3-8 m away, 0.8-1.8 m high."""
    from app.viewers.camera import Camera

    centre = joints[:, 0].mean(0)
    yaw = rng.uniform(-np.pi, np.pi)
    dist = rng.uniform(3.0, 8.0) + 0.5 * float(np.ptp(joints[:, 0, [0, 2]], axis=0).max())
    eye = centre + np.array([np.sin(yaw) * dist, 0, np.cos(yaw) * dist])
    eye[1] = rng.uniform(0.8, 1.8)
    return Camera(eye=tuple(eye), target=(centre[0], 0.9, centre[2]), fov_y_deg=float(rng.uniform(35, 60)))


def simulate_landmarks(joints: np.ndarray, rng: np.random.Generator, width: int = 480, height: int = 270,
                       tracking: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real SMPL-22 joints [T,22,3] (world, Y up) -> BlazePose-like (world [T,33,3], image
    [T,33,2], present [T], background image shift [T,2]) seen by a random camera that is
    fixed or pans to follow the person."""
    from dataclasses import replace

    t = joints.shape[0]
    cam0 = random_camera(rng, joints)
    tracking = bool(rng.random() < 0.5) if tracking is None else tracking
    pelvis = joints[:, 0].copy()
    if tracking:  # pan/dolly with a smoothed pelvis
        k = np.ones(9) / 9
        sm = np.stack([np.convolve(np.pad(pelvis[:, d], 4, mode="edge"), k, "valid") for d in range(3)], 1)
        off = np.asarray(cam0.eye) - np.asarray(cam0.target)
        cams = [replace(cam0, eye=tuple(np.array([p[0], 0.9, p[2]]) + off), target=(p[0], 0.9, p[2])) for p in sm]
    else:
        cams = [cam0] * t
    world = np.full((t, 33, 3), np.nan)
    image = np.full((t, 33, 2), np.nan)
    bg = np.zeros((t, 2))
    idx_b = np.array(list(SMPL_TO_BLAZE.keys()))
    idx_s = np.array(list(SMPL_TO_BLAZE.values()))
    for i, cam in enumerate(cams):
        r = cam.world_to_camera_cv()[:3, :3]
        j = joints[i, idx_s]
        hip = 0.5 * (joints[i, 1] + joints[i, 2])
        world[i, idx_b] = (j - hip) @ r.T
        uv, _ = cam.project(j, width, height)
        image[i, idx_b] = uv
        if i > 0:  # image motion of a ground point under the feet (what background flow measures)
            g = 0.5 * (joints[i, 7] + joints[i, 8])
            g[1] = 0.0
            a, _ = cams[i - 1].project(g, width, height)
            b, _ = cam.project(g, width, height)
            bg[i] = b - a
    sub = world[:, idx_b]
    sub[..., :2] += rng.normal(0, WORLD_WHITE_XY, sub[..., :2].shape)
    sub[..., 2] += rng.normal(0, WORLD_WHITE_Z, sub[..., 2].shape)
    sub += _ar_noise(rng, sub.shape, WORLD_AR)
    world[:, idx_b] = sub
    hpx = np.nanmedian(np.linalg.norm(image[:, pc.LSH] - image[:, pc.LAN], axis=-1)) * 1.15
    img = image[:, idx_b]
    img += rng.normal(0, IMAGE_WHITE * hpx, img.shape) + _ar_noise(rng, img.shape, IMAGE_AR * hpx)
    image[:, idx_b] = img
    present = np.all(np.isfinite(image[:, idx_b]).reshape(t, -1), axis=1)
    return world, image, present, bg


def distribution(values: list[float] | np.ndarray, source: str, direction: str = "high") -> dict:
    """Summary of a reference sample: percentiles, the real range [p5, p95], its source."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return {"n": 0, "source": source, "direction": direction}
    p = np.percentile(v, [1, 5, 50, 95, 99])
    return {"n": int(v.size), "p1": float(p[0]), "p5": float(p[1]), "p50": float(p[2]), "p95": float(p[3]),
            "p99": float(p[4]), "lo": float(p[1]), "hi": float(p[3]), "source": source, "direction": direction}


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_reference(path: str | Path | None = None) -> dict:
    """The reference table {cue: distribution}; an empty dict (with a logged warning) if
    the file is missing, so the caller can report every cue as 'no reference'."""
    p = Path(path) if path else DEFAULT_PATH
    if not p.is_file():
        log.warning("no forensics reference at %s", p)
        return {}
    return dict(_load(str(p)).get("cues", {}))


def reference_for(name: str, table: dict, fps: float | None = None) -> dict | None:
    """The distribution of cue `name`; fps-dependent cues pick the closest tabulated rate."""
    entry = table.get(name)
    if entry is None:
        return None
    if "by_fps" in entry:
        rates = sorted(float(r) for r in entry["by_fps"])
        r = min(rates, key=lambda x: abs(x - (fps or 20.0)))
        key = next(k for k in entry["by_fps"] if float(k) == r)
        return dict(entry["by_fps"][key], fps=r)
    return entry
