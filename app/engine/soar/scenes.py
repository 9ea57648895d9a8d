"""Procedural scenes for the RGB route's rendered clips, and the scene bias by construction.

Five scene types (gym, street, park, beach, office), each a wall/sky above a floor with its own
palette and pattern; every clip draws its own jittered variant (colours, horizon, pattern
phase), so a scene is a group of similar backgrounds, not one image.  Each atom family has
"its" scene (:data:`FAMILY_SCENE`); training clips use it with probability ``p_aligned``
(scene bias), test clips are split into bias-aligned (the family's scene) and
bias-conflicting (one of the other scenes) halves.
"""
from __future__ import annotations

import colorsys

import numpy as np

SCENES = ("gym", "street", "park", "beach", "office")
FAMILY_SCENE = {"jumps": 0, "locomotion": 1, "lower": 2, "whole": 3, "upper": 4}


def _jitter(rgb: tuple, rng: np.random.Generator, hue: float = 0.03, sat: float = 0.12, val: float = 0.12) -> np.ndarray:
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    h = (h + rng.uniform(-hue, hue)) % 1.0
    s = float(np.clip(s + rng.uniform(-sat, sat), 0, 1))
    v = float(np.clip(v + rng.uniform(-val, val), 0, 1))
    return np.asarray(colorsys.hsv_to_rgb(h, s, v), np.float32)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    return y, x


def scene_background(scene: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """One jittered background of scene type ``scene`` as uint8 [size, size, 3]."""
    y, x = _grid(size)
    hz = rng.uniform(0.5, 0.68)
    phase = rng.uniform(0, 1)
    img = np.zeros((size, size, 3), np.float32)
    wall, floor = y < hz, y >= hz
    name = SCENES[scene]
    if name == "gym":            # blue wall with vertical bars, orange wooden floor with boards
        img[wall] = _jitter((0.25, 0.38, 0.62), rng)
        img[wall & (((x * 6 + phase) % 1.0) < 0.12)] *= 0.6
        img[floor] = _jitter((0.78, 0.52, 0.26), rng)
        img[floor & (((x * 10 + phase) % 1.0) < 0.1)] *= 0.8
    elif name == "street":       # red brick wall, grey asphalt with a white lane line
        img[wall] = _jitter((0.62, 0.26, 0.2), rng)
        img[wall & (((y * 12 + phase) % 1.0) < 0.15)] = _jitter((0.8, 0.75, 0.7), rng)
        img[floor] = _jitter((0.38, 0.38, 0.4), rng, sat=0.05)
        lane = floor & (np.abs(y - (hz + 1.0) / 2) < 0.02)
        img[lane] = (0.95, 0.95, 0.9)
    elif name == "park":         # light sky with dark green tree blobs, green grass
        img[wall] = _jitter((0.6, 0.78, 0.95), rng)
        for _ in range(int(rng.integers(2, 5))):
            cx, r = rng.uniform(0, 1), rng.uniform(0.08, 0.16)
            tree = wall & ((x - cx) ** 2 + (y - hz + r * 0.5) ** 2 < r * r)
            img[tree] = _jitter((0.12, 0.4, 0.15), rng)
        img[floor] = _jitter((0.3, 0.62, 0.22), rng)
        img[floor] *= (0.9 + 0.2 * ((x * 23 + y * 17) % 1.0 < 0.5))[floor][:, None]
    elif name == "beach":        # pale sky, turquoise sea band, sand
        img[wall] = _jitter((0.85, 0.9, 0.98), rng, sat=0.05)
        sea = wall & (y > hz - 0.12)
        img[sea] = _jitter((0.1, 0.6, 0.7), rng)
        img[floor] = _jitter((0.93, 0.84, 0.6), rng)
    else:                        # office: beige wall with windows, grey-blue carpet
        img[wall] = _jitter((0.86, 0.8, 0.68), rng)
        for k in range(3):
            x0 = (k + 0.2 + 0.3 * phase) / 3.2
            win = wall & (x > x0) & (x < x0 + 0.18) & (y > 0.12) & (y < hz - 0.15)
            img[win] = _jitter((0.7, 0.85, 0.95), rng, sat=0.05)
        img[floor] = _jitter((0.42, 0.46, 0.55), rng)
    img = np.where(floor[..., None], img * (0.8 + 0.3 * y[..., None]), img)   # floor brightens towards the camera
    return np.rint(np.clip(img, 0, 1) * 255).astype(np.uint8)


def draw_scene(rng: np.random.Generator, family: str, split: str, p_aligned: float, aligned: bool | None = None
               ) -> tuple[int, bool]:
    """(scene id, bias-aligned?) for a clip of an atom of ``family``.

    Train: the family's scene with probability ``p_aligned``, else one of the others.  Test:
    ``aligned`` picks the half (True: the family's scene, False: another one)."""
    own = FAMILY_SCENE[family]
    if aligned is None:
        aligned = bool(rng.uniform() < p_aligned)
    if aligned:
        return own, True
    others = [s for s in range(len(SCENES)) if s != own]
    return int(others[int(rng.integers(len(others)))]), False
