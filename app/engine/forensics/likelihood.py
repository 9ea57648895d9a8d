"""Motion-likelihood cue: how far the tracked 3D motion sits from real motion capture in the
embedding space of the project's text-motion evaluator (``app/engine/evaluator``).

Both sides go through the same lossy path, so the distance measures the motion, not the
representation: 15 core joints (BlazePose landmarks, or the matching SMPL-22 joints of real
mocap) -> hip-centred, root pinned at x = z = 0 (BlazePose world landmarks carry no root
translation), pelvis height from the lowest foot -> an SMPL-22 joint set (spine, neck and
collars interpolated) -> least-twist inverse kinematics onto the standard SMPL-22 skeleton ->
HumanML3D features at 20 fps -> evaluator embedding of 2 s windows (1 s hop).

The cue value is the median over windows of the mean Euclidean distance (unit embeddings)
to the ``K`` nearest real-mocap windows in ``models/forensics/motion_bank.npz`` (built by
``scripts/build_forensics_reference.py``; windows of the same trial are excluded while
calibrating). Torch, the evaluator or the bank missing, or fewer than ``MIN_SECONDS`` of
tracked motion, give "not measured" with the reason.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from app.core.rotations import frame_from_vectors, matrix_to_axis_angle, rotation_between
from app.core.skeleton import smpl22_skeleton

from . import pose_cues as pc

log = logging.getLogger(__name__)

LIKELIHOOD_CUES = {"motion_likelihood": "Distance of the tracked motion from real mocap (evaluator embedding kNN)"}
BANK_PATH = Path(__file__).resolve().parents[3] / "models" / "forensics" / "motion_bank.npz"
FPS = 20.0
WINDOW, HOP = 40, 20        # frames at 20 fps: 2 s windows, 1 s hop
MIN_SECONDS = 1.5
MIN_WINDOW_PRESENT = 0.6
K = 5
# SMPL-22 index of each BlazePose core landmark (same table as the reference simulator)
BLAZE_TO_SMPL = {pc.NOSE: 15, pc.LSH: 16, pc.RSH: 17, pc.LEL: 18, pc.REL: 19, pc.LWR: 20, pc.RWR: 21,
                 pc.LHIP: 1, pc.RHIP: 2, pc.LKN: 4, pc.RKN: 5, pc.LAN: 7, pc.RAN: 8, pc.LFT: 10, pc.RFT: 11}
CORE_SMPL = (15, 16, 17, 18, 19, 20, 21, 1, 2, 4, 5, 7, 8, 10, 11)


# ----------------------------------------------------------------------------- joints -> clip
def core_from_blaze(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks [T,33,3] (x right, y down, z away) -> core SMPL joints
    [T,22,3] in a Y-up right-handed frame (only CORE_SMPL filled, others NaN)."""
    out = np.full(world.shape[:1] + (22, 3), np.nan)
    for b, s in BLAZE_TO_SMPL.items():
        out[:, s] = world[:, b] * np.array([1.0, -1.0, -1.0])
    return out


def core_from_smpl(joints: np.ndarray) -> np.ndarray:
    """Real SMPL-22 joints [T,22,3] -> the same core subset (others NaN)."""
    out = np.full(joints.shape, np.nan)
    out[:, list(CORE_SMPL)] = joints[:, list(CORE_SMPL)]
    return out


def complete_joints(core: np.ndarray) -> np.ndarray:
    """Core joints [T,22,3] -> a full SMPL-22 set: hip-centred with x = z = 0, pelvis height
    from the lowest foot over the clip; spine, neck and collars interpolated."""
    j = core.copy()
    pelvis = 0.5 * (j[:, 1] + j[:, 2])
    j -= pelvis[:, None]
    neck = 0.5 * (j[:, 16] + j[:, 17])
    j[:, 0] = 0.0
    for k, f in ((3, 0.25), (6, 0.5), (9, 0.75)):
        j[:, k] = f * neck
    j[:, 12] = neck
    j[:, 13] = neck + 0.4 * (j[:, 16] - neck)
    j[:, 14] = neck + 0.4 * (j[:, 17] - neck)
    floor = float(np.nanpercentile(j[:, [7, 8, 10, 11], 1], 2))
    j[..., 1] -= floor - 0.05          # the lowest foot joints rest about 5 cm above the floor
    return j


def joints_to_clip(joints: np.ndarray, fps: float = FPS):
    """Least-twist IK of SMPL-22 positions [T,22,3] onto the standard SMPL-22 skeleton."""
    from app.core.motion import MotionClip

    skel = smpl22_skeleton()
    off = np.asarray(skel.offsets, float)
    rest = skel.rest_positions()
    parents = skel.parents
    t = joints.shape[0]
    glob = np.tile(np.eye(3), (t, 22, 1, 1))
    children = {p: [c for c, q in enumerate(parents) if q == p] for p in range(22)}
    two_vec = {0: (3, (1, 2)), 9: (12, (16, 17))}   # joint: (up child, (left, right) for "across")
    for p in range(22):
        kids = children[p]
        parent_g = glob[:, parents[p]] if parents[p] >= 0 else np.tile(np.eye(3), (t, 1, 1))
        if not kids:
            glob[:, p] = parent_g
            continue
        if p in two_vec:
            up, (lft, rgt) = two_vec[p]
            rest_up = off[up]
            rest_across = rest[lft] - rest[rgt]
            obs_up = joints[:, up] - joints[:, p]
            obs_across = joints[:, lft] - joints[:, rgt]
            f_rest = frame_from_vectors(rest_up, rest_across)
            f_obs = frame_from_vectors(obs_up, obs_across)
            glob[:, p] = f_obs @ f_rest.T
            continue
        c = kids[0]
        rest_dir = np.einsum("tij,j->ti", parent_g, off[c])
        glob[:, p] = rotation_between(rest_dir, joints[:, c] - joints[:, p]) @ parent_g
    local = glob.copy()
    for k, p in enumerate(parents):
        if p >= 0:
            local[:, k] = np.swapaxes(glob[:, p], -1, -2) @ glob[:, k]
    return MotionClip(fps=fps, trans=joints[:, 0].copy(), rotations=matrix_to_axis_angle(local), skeleton=skel)


def _resample(x: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    t = x.shape[0]
    n = int(np.floor((t - 1) * dst_fps / src_fps)) + 1
    pos = np.arange(n) * src_fps / dst_fps
    i0 = np.minimum(np.floor(pos).astype(int), t - 1)
    i1 = np.minimum(i0 + 1, t - 1)
    a = (pos - i0).reshape((-1,) + (1,) * (x.ndim - 1))
    return x[i0] * (1 - a) + x[i1] * a


def window_features(core: np.ndarray, present: np.ndarray, fps: float) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """Core joints at `fps` -> HumanML3D features of 2 s windows at 20 fps and each window's
    frame span in the input (windows with < 60 % tracked frames are skipped)."""
    from app.engine.repr.humanml3d import clip_to_features

    filled = pc._fill(np.where(present[:, None, None], core, np.nan))
    ok = np.isfinite(filled[:, list(CORE_SMPL)]).all(axis=(1, 2))
    j20 = _resample(np.where(ok[:, None, None], filled, 0.0), fps, FPS)
    ok20 = _resample(ok.astype(float), fps, FPS) > 0.99
    pres20 = _resample(present.astype(float), fps, FPS)
    n = j20.shape[0]
    if n < MIN_SECONDS * FPS:
        return [], []
    length = min(WINDOW, n)
    starts = list(range(0, n - length + 1, HOP))
    if starts[-1] + length < n:
        starts.append(n - length)
    feats, spans = [], []
    for s in starts:
        sl = slice(s, s + length)
        if pres20[sl].mean() < MIN_WINDOW_PRESENT or not ok20[sl].all():
            continue
        clip = joints_to_clip(complete_joints(j20[sl]))
        feats.append(clip_to_features(clip))
        spans.append((int(s * fps / FPS), int(min(core.shape[0], np.ceil((s + length) * fps / FPS)))))
    return feats, spans


def smpl_window_features(joints: np.ndarray, fps: float) -> list[np.ndarray]:
    """Real SMPL-22 joints -> features of the same 2 s windows (for the bank)."""
    feats, _ = window_features(core_from_smpl(joints), np.ones(len(joints), bool), fps)
    return feats


# ----------------------------------------------------------------------------- evaluator + bank
def evaluator_fingerprint(directory: Path | None = None) -> str:
    from app.engine.evaluator.model import DEFAULT_DIR, WEIGHTS

    p = Path(directory or DEFAULT_DIR) / WEIGHTS
    h = hashlib.sha1()
    with open(p, "rb") as f:
        h.update(f.read(1 << 20))
    return f"{p.stat().st_size}:{h.hexdigest()[:16]}"


def load_evaluator():
    """(evaluator, None) or (None, reason)."""
    try:
        import torch  # noqa: F401
        from app.engine.evaluator.evaluate import get_evaluator
        return get_evaluator(), None
    except Exception as exc:  # noqa: BLE001 - any failure means the cue cannot be measured
        return None, f"motion evaluator unavailable ({type(exc).__name__}: {exc})"


def embed(feats: list[np.ndarray], evaluator) -> np.ndarray:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return evaluator.embed_features(feats)
    finally:
        torch.set_num_threads(threads)


def load_bank(path: Path | str | None = None) -> tuple[dict | None, str | None]:
    p = Path(path or BANK_PATH)
    if not p.is_file():
        return None, f"no real-motion bank ({p.name}; run scripts/build_forensics_reference.py)"
    with np.load(p, allow_pickle=False) as z:
        bank = {k: z[k] for k in z.files}
    bank["embeddings"] = bank["embeddings"].astype(np.float32)
    return bank, None


def knn_distance(emb: np.ndarray, bank: dict, exclude_group: str | None = None, k: int = K) -> np.ndarray:
    """Mean distance of each embedding [N,D] to its k nearest bank windows."""
    ref = bank["embeddings"]
    if exclude_group is not None:
        ref = ref[bank["groups"] != exclude_group]
    d = np.sqrt(np.maximum(((emb[:, None, :] - ref[None]) ** 2).sum(-1), 0.0))
    k = min(k, d.shape[1])
    return np.sort(d, axis=1)[:, :k].mean(1)


def likelihood_cue(world: np.ndarray, present: np.ndarray, fps: float, *, bank: dict | None = None,
                   evaluator=None, exclude_group: str | None = None, core: np.ndarray | None = None
                   ) -> dict[str, tuple[float | None, np.ndarray | None, str]]:
    """{"motion_likelihood": (value or None, per-frame [T] or None, reason)} for BlazePose
    world landmarks [T,33,3] (or ready `core` joints [T,22,3])."""
    name = "motion_likelihood"
    t = world.shape[0] if core is None else core.shape[0]
    if t == 0 or present.sum() < 3:
        return {name: (None, None, "no person detected")}
    if (present.sum() / max(fps, 1e-6)) < MIN_SECONDS:
        return {name: (None, None, f"too few tracked frames ({int(present.sum())}) for the motion model "
                                   f"(needs {MIN_SECONDS:g} s)")}
    if bank is None:
        bank, why = load_bank()
        if bank is None:
            return {name: (None, None, why)}
    if evaluator is None:
        evaluator, why = load_evaluator()
        if evaluator is None:
            return {name: (None, None, why)}
    if "window" in bank and tuple(int(x) for x in bank["window"]) != (WINDOW, HOP):
        return {name: (None, None, "the real-motion bank was built with other window sizes")}
    try:
        fp = evaluator_fingerprint()
        if "fingerprint" in bank and str(bank["fingerprint"]) != fp:
            return {name: (None, None, "the real-motion bank was built with another evaluator checkpoint")}
    except OSError:
        pass
    with np.errstate(all="ignore"):
        c = core_from_blaze(world) if core is None else core
        feats, spans = window_features(c, present.astype(bool), fps)
    if not feats:
        return {name: (None, None, f"no {MIN_SECONDS:g} s stretch with a continuously tracked person for the motion model")}
    dist = knn_distance(embed(feats, evaluator), bank, exclude_group)
    num = np.zeros(t)
    den = np.zeros(t)
    for (a, b), d in zip(spans, dist):
        num[a:b] += d
        den[a:b] += 1
    pf = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    return {name: (float(np.median(dist)), pf, "")}


def build_bank(clips: list[tuple[np.ndarray, float, str]], evaluator) -> dict:
    """Bank of real-motion window embeddings from (SMPL-22 joints [T,22,3], fps, group) items."""
    feats, groups = [], []
    for joints, fps, group in clips:
        f = smpl_window_features(joints, fps)
        feats += f
        groups += [group] * len(f)
    emb = embed(feats, evaluator)
    return {"embeddings": emb.astype(np.float16), "groups": np.array(groups), "fingerprint": np.array(evaluator_fingerprint()),
            "window": np.array([WINDOW, HOP]), "k": np.array(K)}
