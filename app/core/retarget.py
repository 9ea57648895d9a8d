"""Retarget any humanoid BVH onto the SMPL-22 skeleton by joint names and rest-pose alignment.

1. Joint names are matched to SMPL-22 (`bvh_names`: tables for the CMU Daz-style, CMU ASF-style,
   iClone CC_Base_* and Mixamo rigs plus left/right heuristics); the spine is split
   along the source path pelvis -> neck, the joint holding both collars being spine3.
2. Units are guessed from the body size (or given) and converted to metres.
3. Per mapped SMPL joint j an alignment A_j makes ``G_j(t) = R_src_j(t) @ A_j``:
   A_j takes SMPL's T-pose bone direction (to its chain child) onto the source bone
   direction, with the least twist relative to the parent's alignment; pelvis and
   spine3 use two-vector frames (up + left-right across); leaves reuse their
   parent's A. When the source rest pose (all channels 0) is no T-pose (iClone's
   zero pose has bent limbs), A_j is calibrated on the motion instead: the mean of
   ``R_src^T @ G_pos`` where G_pos are least-twist rotations fitted to the source
   joint positions, then corrected so the bone direction matches exactly.
   Unmapped SMPL joints inherit their parent's rotation (local identity).
4. The clip's skeleton keeps SMPL's bone directions with the source's bone lengths;
   the root follows the source hip joint.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .bvh import BvhData
from .bvh_names import UNIT_SCALES, guess_unit_scale, map_joints, split_side  # noqa: F401 (re-exported)
from .errors import MotionFileError
from .motion import MotionClip
from .rotations import frame_from_vectors, matrix_to_axis_angle, rotation_between
from .skeleton import SMPL22_NAMES, SMPL22_PARENTS, SMPL22_REST_POSITIONS, Skeleton, global_to_local

log = logging.getLogger(__name__)

# chain child used for each joint's bone direction (pelvis and spine3 use two-vector frames)
CHAIN_CHILD = {"spine1": "spine2", "spine2": "spine3", "spine3": "neck", "neck": "head"}
for _s in ("left", "right"):
    CHAIN_CHILD.update({f"{_s}_hip": f"{_s}_knee", f"{_s}_knee": f"{_s}_ankle", f"{_s}_ankle": f"{_s}_foot",
                        f"{_s}_collar": f"{_s}_shoulder", f"{_s}_shoulder": f"{_s}_elbow",
                        f"{_s}_elbow": f"{_s}_wrist"})
_REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def bvh_to_motion(bvh: BvhData, fps: float | None = None, units: str | float | None = None,
                  face_forward: bool = True, on_ground: bool = True, bones: str = "source") -> MotionClip:
    """Retarget a BVH onto SMPL-22 (metres, Y up, facing +Z at frame 0, feet on y=0 by default).

    units: 'm', 'cm', 'in', 'mm', 'cmu' (CMU ASF units, 0.0254/0.45 m), a float (metres per
    unit) or None to guess from the body size. bones: 'source' keeps the source rest
    geometry in SMPL orientation (chain bones have SMPL's directions with the source's
    lengths, branch bones such as pelvis->hip keep the source's direction, so joints
    track the source exactly and feet do not slide); 'smpl' uses SMPL directions for
    every bone with the source's lengths. A BVH that already has the SMPL-22 joints is read
    as it is (no facing or ground normalisation), so our own BVH files round-trip losslessly.
    """
    if bones not in ("source", "smpl"):
        raise ValueError("bones must be 'source' or 'smpl'")
    if sorted(bvh.joint_names) == sorted(SMPL22_NAMES):
        # already our skeleton (e.g. written by write_bvh): read it as it is, so round trips are lossless
        clip = _smpl_direct(bvh, units)
        face_forward = on_ground = False
    else:
        clip = _retarget(bvh, units, bones)
    clip.name = Path(bvh.path).stem if bvh.path != "<memory>" else ""
    if fps is not None and abs(fps - clip.fps) > 1e-9:
        clip = clip.resample(fps)
    if face_forward:
        clip = clip.face_forward(0)
    if on_ground:
        clip = clip.on_ground()
    return clip


def _resolve_units(units: str | float | None, path: str) -> float | None:
    if units is None or isinstance(units, (int, float)):
        return None if units is None else float(units)
    if units not in UNIT_SCALES:
        raise MotionFileError(path, f"unknown units {units!r} (use one of {', '.join(UNIT_SCALES)})")
    return UNIT_SCALES[units]


def _smpl_direct(bvh: BvhData, units: str | float | None) -> MotionClip:
    """A file that already uses the SMPL-22 tree (e.g. written by write_bvh): no retargeting."""
    real = [bvh.index(n) for n in SMPL22_NAMES]
    parents = tuple(real.index(bvh.parents[j]) if bvh.parents[j] in real else -1 for j in real)
    if parents != SMPL22_PARENTS:
        raise MotionFileError(bvh.path, "SMPL-22 joint names but a different hierarchy")
    scale = _resolve_units(units, bvh.path)
    if scale is None:
        scale = guess_unit_scale(bvh, {n: real[i] for i, n in enumerate(SMPL22_NAMES)})
    lrot, ltrans = bvh.local_transforms()
    offsets = bvh.offsets[real] * scale
    skel = Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets)
    rots = matrix_to_axis_angle(lrot[:, real])
    return MotionClip(bvh.fps, ltrans[:, real[0]] * scale, rots, skel)


def _retarget(bvh: BvhData, units: str | float | None, bones: str = "source") -> MotionClip:
    mapping = map_joints(bvh)
    missing = [n for n in _REQUIRED if n not in mapping]
    if missing:
        raise MotionFileError(bvh.path, "unknown skeleton: could not find hips/legs (" + ", ".join(missing) + ")")
    if not any(n in mapping for n in ("neck", "head", "spine3")):
        raise MotionFileError(bvh.path, "unknown skeleton: could not find spine, neck or head")
    scale = _resolve_units(units, bvh.path) or guess_unit_scale(bvh, mapping)
    gpos, grot = bvh.global_transforms()
    gpos *= scale
    rest = bvh.rest_positions() * scale
    align = _alignments(bvh, mapping, rest, gpos, grot)
    n_frames = bvh.num_frames
    glob = np.empty((n_frames, 22, 3, 3))
    for j, name in enumerate(SMPL22_NAMES):
        if name in mapping:
            glob[:, j] = grot[:, mapping[name]] @ align[name]
        else:
            glob[:, j] = glob[:, SMPL22_PARENTS[j]]
    local = global_to_local(glob, SMPL22_PARENTS)
    offsets = _bone_offsets(mapping, rest, align, smpl_dirs=bones == "smpl")
    skel = Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets)
    trans = gpos[:, mapping["pelvis"]]
    log.info("%s: retargeted %d frames, %d/22 joints mapped, %.4f m/unit", bvh.path, n_frames, len(mapping), scale)
    return MotionClip(bvh.fps, trans, matrix_to_axis_angle(local), skel)


# Joints whose rest alignment is their parent's: rigs place spine, neck and head joints differently
# (SMPL's head joint sits 38 degrees forward of its neck, most mocap rigs' straight above), so matching
# those bone directions would tilt a neutral head or chest. Positions are unaffected with bones="source".
_NEUTRAL_CHAIN = frozenset({"spine1", "spine2", "neck", "head"})


def _smpl_index(name: str) -> int:
    return SMPL22_NAMES.index(name)


def _mapped_ancestor(name: str, mapped) -> str | None:
    """Nearest SMPL ancestor of ``name`` that is in ``mapped`` (a mapping or a set of names)."""
    p = SMPL22_PARENTS[_smpl_index(name)]
    while p >= 0 and SMPL22_NAMES[p] not in mapped:
        p = SMPL22_PARENTS[p]
    return SMPL22_NAMES[p] if p >= 0 else None


def _chain_target(name: str, mapping: dict[str, int]) -> str | None:
    """The first mapped joint down the chain from ``name``."""
    c = CHAIN_CHILD.get(name)
    while c is not None and c not in mapping:
        c = CHAIN_CHILD.get(c)
    return c


def _frame_vectors(name: str, mapping: dict[str, int], pos: np.ndarray, smpl: bool) -> tuple[np.ndarray, np.ndarray]:
    """(up, across) of pelvis or spine3 from joint positions (source indices unless smpl)."""
    def p(n: str) -> np.ndarray:
        return pos[..., _smpl_index(n), :] if smpl else pos[..., mapping[n], :]

    top = next(n for n in ("neck", "head", "spine3") if n in mapping and n != name)
    if name == "spine3":
        top = "head" if "head" in mapping else top
    up = p(top) - p(name)
    pair = ("shoulder", "collar", "hip") if name == "spine3" else ("hip",)
    kind = next(k for k in pair if f"left_{k}" in mapping and f"right_{k}" in mapping)
    return up, p(f"left_{kind}") - p(f"right_{kind}")


def _alignments(bvh: BvhData, mapping: dict[str, int], rest: np.ndarray, gpos: np.ndarray,
                grot: np.ndarray) -> dict[str, np.ndarray]:
    """A_j for every mapped SMPL joint (see the module docstring)."""
    smpl = SMPL22_REST_POSITIONS
    rest_a = _fit_frames(mapping, smpl, rest[None], np.broadcast_to(np.eye(3), (1,) + grot.shape[1:]))
    if _rest_is_tpose(mapping, smpl, rest, rest_a):
        return rest_a
    log.info("%s: rest pose is not a T-pose; calibrating the alignment on the motion", bvh.path)
    step = max(1, len(gpos) // 300)
    return _fit_frames(mapping, smpl, gpos[::step], grot[::step], rest=rest)


def _fit_frames(mapping: dict[str, int], smpl: np.ndarray, pos: np.ndarray, rot: np.ndarray,
                rest: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Least-twist SMPL global rotations G fitted to source positions ``pos`` [T, J, 3],
    then A_j = mean_t R_src_j^T G_j (projected to a rotation). With ``rest`` (zero-pose
    positions) each A_j is corrected so that it maps SMPL's bone direction exactly onto
    the source bone's rest direction."""
    fitted: dict[str, np.ndarray] = {}  # SMPL global rotations [T, 3, 3]
    align: dict[str, np.ndarray] = {}
    for name in SMPL22_NAMES:
        if name not in mapping:
            continue
        r_src = rot[:, mapping[name]]
        anc = _mapped_ancestor(name, mapping)
        child = _chain_target(name, mapping)
        if name in ("pelvis", "spine3"):
            up_s, across_s = _frame_vectors(name, mapping, smpl, True)
            up_t, across_t = _frame_vectors(name, mapping, pos, False)
            g = frame_from_vectors(up_t, across_t) @ frame_from_vectors(up_s, across_s).T
        else:
            g_par = fitted[anc] if anc else np.broadcast_to(np.eye(3), r_src.shape)
            d_src = pos[:, mapping[child]] - pos[:, mapping[name]] if child else None
            if child is None or name in _NEUTRAL_CHAIN or np.linalg.norm(d_src, axis=-1).min() < 1e-6:
                g = g_par.copy()  # leaf or torso chain: keep the parent's frame
            else:
                d_smpl = smpl[_smpl_index(child)] - smpl[_smpl_index(name)]
                g = rotation_between(np.einsum("tij,j->ti", g_par, d_smpl), d_src) @ g_par
        a = _mean_rotation(np.swapaxes(r_src, -1, -2) @ g)
        if rest is not None and child and name not in ("pelvis", "spine3") and name not in _NEUTRAL_CHAIN:
            rest_dir = rest[mapping[child]] - rest[mapping[name]]
            if np.linalg.norm(rest_dir) > 1e-9:
                d_smpl = smpl[_smpl_index(child)] - smpl[_smpl_index(name)]
                a = rotation_between(a @ d_smpl, rest_dir) @ a
        align[name] = a
        fitted[name] = r_src @ a
    return align


def _mean_rotation(mats: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(mats.mean(axis=0))
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def _rest_is_tpose(mapping: dict[str, int], smpl: np.ndarray, rest: np.ndarray,
                   align: dict[str, np.ndarray], max_deg: float = 50.0) -> bool:
    """True when every mapped limb of the zero pose points roughly where SMPL's T-pose limb does."""
    body = align["pelvis"]
    for name in ("left_hip", "right_hip", "left_knee", "right_knee", "left_shoulder", "right_shoulder",
                 "left_elbow", "right_elbow", "spine1", "neck"):
        child = _chain_target(name, mapping)
        if name not in mapping or child is None:
            continue
        d_src = rest[mapping[child]] - rest[mapping[name]]
        if np.linalg.norm(d_src) < 1e-9:
            continue
        d_smpl = body @ (smpl[_smpl_index(child)] - smpl[_smpl_index(name)])
        cos = d_src @ d_smpl / (np.linalg.norm(d_src) * np.linalg.norm(d_smpl))
        if cos < np.cos(np.radians(max_deg)):
            return False
    return True


def _bone_offsets(mapping: dict[str, int], rest: np.ndarray, align: dict[str, np.ndarray],
                 smpl_dirs: bool = False) -> np.ndarray:
    """SMPL-22 rest offsets from the source rest pose.

    Each anchored bone (from the nearest anchored ancestor a to joint j) gets the source
    vector in SMPL orientation, A_a^T @ (P_j - P_a), or with ``smpl_dirs`` SMPL's
    direction with the source length. Unmapped joints and degenerate source bones
    (shorter than 15 % of the size-scaled SMPL bone, e.g. CMU's zero-length lowerback)
    are not anchors: the anchored vector is split between the pieces in proportion to
    SMPL's bone lengths. Joints with no anchored descendant keep SMPL's scaled offset.
    """
    smpl = SMPL22_REST_POSITIONS
    size = lambda pos, idx: np.linalg.norm(pos[idx("left_hip")] - pos[idx("left_ankle")])  # noqa: E731
    ratio = size(rest, lambda n: mapping[n]) / size(smpl, _smpl_index)
    anchor = {"pelvis"}
    offs = np.full((22, 3), np.nan)
    offs[0] = smpl[0] * ratio
    for j, name in enumerate(SMPL22_NAMES[1:], start=1):
        a = _mapped_ancestor(name, anchor)
        if name not in mapping or a is None:
            continue
        d_src = rest[mapping[name]] - rest[mapping[a]]
        d_smpl = smpl[j] - smpl[_smpl_index(a)]
        if np.linalg.norm(d_src) < 0.15 * ratio * np.linalg.norm(d_smpl):
            continue
        anchor.add(name)
        chain = [j]
        while SMPL22_PARENTS[chain[-1]] != _smpl_index(a):
            chain.append(SMPL22_PARENTS[chain[-1]])
        chain = chain[::-1]  # intermediates first, j last
        if smpl_dirs:
            vec = d_smpl / np.linalg.norm(d_smpl) * np.linalg.norm(d_src)
        else:
            vec = align[a].T @ d_src
        lengths = np.array([np.linalg.norm(smpl[c] - smpl[SMPL22_PARENTS[c]]) for c in chain])
        w = lengths / max(lengths.sum(), 1e-9)
        for c, wc in zip(chain[:-1], w[:-1]):
            if np.isnan(offs[c, 0]):
                offs[c] = wc * vec
        offs[j] = vec - offs[chain[:-1]].sum(axis=0)
    for j in range(1, 22):  # joints with no anchored descendant (unmapped limbs, leaves)
        if np.isnan(offs[j, 0]):
            offs[j] = (smpl[j] - smpl[SMPL22_PARENTS[j]]) * ratio
    return offs
