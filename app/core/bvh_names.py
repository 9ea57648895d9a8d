"""Match a humanoid BVH's joint names to SMPL-22 and guess its units (used by ``retarget``).

Tables for the CMU Daz-style, CMU ASF-style, iClone CC_Base_* and Mixamo rigs plus left/right
heuristics; the spine is split along the source path pelvis -> neck, the joint holding both
collars being spine3.  Units come from the body size of a ~1.7 m human.
"""
from __future__ import annotations

import logging
import re

import numpy as np

from .bvh import BvhData
from .errors import MotionFileError

log = logging.getLogger(__name__)

UNIT_SCALES = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "cmu": 0.0254 / 0.45}

# side-free base names (normalised: lowercase alphanumerics), best first
_SIDED = {
    "hip": ["upleg", "thigh", "femur", "upperleg", "hip", "legupper"],
    "knee": ["leg", "shin", "tibia", "calf", "knee", "lowerleg", "leglower", "crus"],
    "ankle": ["foot", "ankle"],
    "foot": ["toebase", "toe", "toes", "ball", "toe0", "footend"],
    "shoulder": ["arm", "upperarm", "shldr", "humerus", "shoulder", "armupper"],
    "elbow": ["forearm", "lowerarm", "radius", "elbow", "armlower"],
    "wrist": ["wrist", "hand"],
    "collar": ["collar", "clavicle", "shoulder"],
}
_CENTRE = {
    "pelvis": ["hips", "hip", "pelvis", "root"],
    "neck": ["neck", "lowerneck", "neck1", "necktwist01", "neck01", "neckbase"],
    "head": ["head"],
}
_KNOWN_CMU_BASES = {"femur", "tibia", "foot", "toes", "clavicle", "humerus", "radius", "wrist", "hand",
                    "hipjoint", "fingers", "thumb"}

def _normalise(name: str) -> str:
    name = name.split(":")[-1].split("|")[-1]
    name = re.sub(r"^(cc_base_|rl_|bip0*1[ _]?|def[-_])", "", name, flags=re.I)
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split_side(name: str) -> tuple[str, str]:
    """('left'|'right'|'', base) from a joint name: LeftArm, lShldr, L_Thigh, thigh.R, lfemur ..."""
    raw = name.split(":")[-1].split("|")[-1]
    raw = re.sub(r"^(CC_Base_|RL_|Bip0*1[ _]?|DEF[-_])", "", raw, flags=re.I)
    norm = re.sub(r"[^a-z0-9]", "", raw.lower())
    for side in ("left", "right"):
        if norm.startswith(side):
            return side, norm[len(side):]
        if norm.endswith(side):
            return side, norm[:-len(side)]
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", raw) if t]
    full = {"l": "left", "r": "right"}
    if len(tokens) > 1 and tokens[0].lower() in full:
        return full[tokens[0].lower()], "".join(tokens[1:]).lower()
    if len(tokens) > 1 and tokens[-1].lower() in full:
        return full[tokens[-1].lower()], "".join(tokens[:-1]).lower()
    if len(raw) > 1 and raw[0] in "lrLR" and raw[1].isupper():  # lThigh, rShldr
        return full[raw[0].lower()], norm[1:]
    if norm[:1] in full and norm[1:] in _KNOWN_CMU_BASES:  # lfemur, rhumerus
        return full[norm[0]], norm[1:]
    return "", norm


def map_joints(bvh: BvhData) -> dict[str, int]:
    """SMPL-22 name -> BVH joint index for the joints that could be matched."""
    sided: dict[tuple[str, str], int] = {}
    centre: dict[str, int] = {}
    for j, name in enumerate(bvh.names):
        side, base = split_side(name)
        if side:
            sided.setdefault((side, base), j)
        else:
            centre.setdefault(_normalise(name), j)
    out: dict[str, int] = {}
    used: set[int] = set()

    def take(smpl: str, j: int | None) -> None:
        if j is not None and j not in used:
            out[smpl] = j
            used.add(j)

    for smpl, cands in _CENTRE.items():
        take(smpl, next((centre[c] for c in cands if c in centre and centre[c] not in used), None))
    if "pelvis" not in out:
        take("pelvis", 0)
    for kind in ("hip", "knee", "ankle", "foot", "shoulder", "elbow", "wrist", "collar"):
        for side in ("left", "right"):
            j = next((sided[(side, c)] for c in _SIDED[kind] if (side, c) in sided and sided[(side, c)] not in used),
                     None)
            take(f"{side}_{kind}", j)
    _map_spine(bvh, out)
    return out


def _ancestors(parents: list[int], j: int) -> list[int]:
    chain = []
    while j >= 0:
        chain.append(j)
        j = parents[j]
    return chain[::-1]  # root first


def _map_spine(bvh: BvhData, out: dict[str, int]) -> None:
    """spine1..3 from the source path pelvis -> neck; spine3 holds both collars/shoulders."""
    top = out.get("neck", out.get("head"))
    if top is None or "pelvis" not in out:
        return
    path = _ancestors(bvh.parents, top)
    if out["pelvis"] not in path:
        return
    inner = path[path.index(out["pelvis"]) + 1:-1]
    inner = [j for j in inner if j not in out.values()]
    if not inner:
        return
    arms = [out.get(f"{s}_{k}") for s in ("left", "right") for k in ("collar", "shoulder")]
    arm_paths = [set(_ancestors(bvh.parents, a)) for a in arms if a is not None]
    common = [j for j in inner if arm_paths and all(j in p for p in arm_paths)]
    spine3 = common[-1] if common else inner[-1]
    below = inner[:inner.index(spine3)]
    out["spine3"] = spine3
    if below:
        out["spine1"] = below[0]
    if len(below) >= 2:
        out["spine2"] = below[max(1, len(below) // 2)]


def guess_unit_scale(bvh: BvhData, mapping: dict[str, int]) -> float:
    """Metres per file unit, from the body size (leg + torso lengths) of a ~1.7 m human."""
    rest = bvh.rest_positions()

    def dist(a: str, b: str) -> float:
        return float(np.linalg.norm(rest[mapping[a]] - rest[mapping[b]]))

    size = 0.5 * sum(dist(f"{s}_hip", f"{s}_knee") + dist(f"{s}_knee", f"{s}_ankle") for s in ("left", "right"))
    top = "head" if "head" in mapping else "neck" if "neck" in mapping else None
    size += dist("pelvis", top) if top else size * 0.7
    height = 1.22 * size  # SMPL: leg 0.78 m + torso 0.58 m ~ 1.65 m standing
    if height <= 0:
        raise MotionFileError(bvh.path, "unknown skeleton: zero-length legs")
    best = min(UNIT_SCALES.values(), key=lambda s: abs(np.log(s * height / 1.7)))
    if not 1.2 <= best * height <= 2.3:
        best = 1.7 / height
        log.warning("%s: unusual body size, scaling to 1.7 m", bvh.path)
    return float(best)
