"""The processed real motion-capture corpus: CMU (two rigs + aclstm dances) and DeepMimic
retargeted to SMPL-22 at 20 fps, cut into 2-10 s windows with text, stored in one npz.

Building (``scripts/build_real_corpus.py``) needs ../shared; loading
(:func:`load_real_corpus`) needs only ``data/real/real_mocap.npz``. Each window is on the
ground, faces +Z at its first frame with the root above the origin, and its ``meta`` names
the source file, rig, trial, subject, start frame, licence and the ``group`` that must not
be split between train and test (a trial; salsa partners share one).
"""
from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.deepmimic import load_deepmimic, loop_cycles, read_deepmimic_frames
from app.core.motion import MotionClip
from app.core.motion_io import load_motion
from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS, Skeleton

from .paraphrase import cmu_texts, label_texts
from .timebase import fix_time_base

log = logging.getLogger(__name__)

FPS = 20.0
MIN_S, MAX_S, WINDOW_S, HOP_S = 2.0, 10.0, 8.0, 6.0
FORMAT_NAME, FORMAT_VERSION = "action-studio-real-mocap", 1
DEFAULT_PATH = Path(__file__).resolve().parents[3] / "data" / "real" / "real_mocap.npz"
LICENCES = {"cmu": "CMU Graphics Lab Motion Capture Database terms (free use, no resale of the data)",
            "aclstm": "CMU data (see CMU terms) as converted by the acLSTM repository (MIT)",
            "deepmimic": "DeepMimic motion data (MIT, Xue Bin Peng)"}
RIG_PREFERENCE = ("przestr", "iclone")  # a trial in both rigs is taken from the first


@dataclass
class RealWindow:
    """One window of real motion with its texts (canonical first) and provenance."""

    clip: MotionClip
    texts: list[str]
    meta: dict = field(default_factory=dict)


@dataclass
class Take:
    """One source take at 20 fps before windowing."""

    clip: MotionClip
    texts: list[str]
    meta: dict


# ----------------------------------------------------------------------------- sources
def trim_glitches(clip: MotionClip, edge_s: float = 0.5, min_speed: float = 8.0) -> MotionClip:
    """Cut broken frames at either end of a take (e.g. a stray reference pose in frame 0):
    frames within ``edge_s`` of an end that jump faster than ``min_speed`` m/s and 4x the
    take's median peak joint speed."""
    j = clip.joints()
    speed = np.linalg.norm(np.diff(j, axis=0), axis=-1).max(axis=1) * clip.fps
    if speed.size < 4:
        return clip
    bad = speed > max(min_speed, 4.0 * float(np.median(speed)))
    edge = max(1, int(edge_s * clip.fps))
    start = max([i + 1 for i in np.flatnonzero(bad[:edge])], default=0)
    stop = min([i + 1 for i in np.flatnonzero(bad[-edge:]) + len(bad) - edge], default=clip.num_frames)
    if start or stop < clip.num_frames:
        log.info("%s: trimmed glitch frames, keeping [%d:%d] of %d", clip.name, start, stop, clip.num_frames)
        return clip.slice(start, stop)
    return clip


def _load_bvh(path: Path) -> MotionClip:
    clip = load_motion(path, face_forward=False, on_ground=False)
    return fix_time_base(trim_glitches(clip)).resample(FPS)


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def cmu_trials(cmu_root: Path) -> list[tuple[str, str, Path]]:
    """(trial id, rig, file) for the przestr and iclone folders, each trial once (RIG_PREFERENCE)."""
    found: dict[str, tuple[str, str, Path]] = {}
    for rig in RIG_PREFERENCE:
        folder = cmu_root / rig
        files = {}
        if rig == "iclone":
            files = {r["clip_id"]: folder / r["file"] for r in _read_tsv(folder / "labels.tsv")}
        else:
            files = {p.stem: p for p in sorted(folder.glob("*.bvh"))}
        for trial, path in sorted(files.items()):
            if trial in found:
                log.info("trial %s is in %s and %s: keeping %s", trial, found[trial][1], rig, found[trial][1])
                continue
            found[trial] = (trial, rig, path)
    return [found[k] for k in sorted(found)]


def cmu_takes(shared: Path) -> list[Take]:
    cmu = shared / "data" / "motion" / "cmu"
    desc = {r["clip_id"]: r for r in _read_tsv(cmu / "descriptions.tsv")}
    takes = []
    for trial, rig, path in cmu_trials(cmu):
        row = desc.get(trial, {})
        text = row.get("description") or "motion"
        clip = _load_bvh(path)
        takes.append(Take(clip, cmu_texts(text, key=trial), {
            "source": f"cmu-{rig}", "file": str(path.relative_to(shared)), "rig": rig, "trial_id": trial,
            "subject": row.get("subject") or trial.split("_")[0], "group": f"cmu:{trial}",
            "description": text, "label": text, "licence": LICENCES["cmu"]}))
    return takes


def aclstm_takes(shared: Path) -> list[Take]:
    folder = shared / "data" / "motion" / "cmu" / "aclstm"
    takes = []
    for row in _read_tsv(folder / "labels.tsv"):
        clip_id, label = row["clip_id"], row["label"]
        num = int(clip_id.split("_")[1])
        if label == "salsa":  # 01-15 and 16-30 are the two partners (CMU subjects 60/61) of the same dances
            subject, group = ("60" if num <= 15 else "61"), f"aclstm:salsa_pair_{(num - 1) % 15 + 1:02d}"
        else:
            subject, group = ("94" if label == "indian" else "unknown-martial"), f"aclstm:{clip_id}"
        path = folder / row["file"]
        clip = _load_bvh(path)
        takes.append(Take(clip, label_texts(label, key=clip_id), {
            "source": "cmu-aclstm", "file": str(path.relative_to(shared)), "rig": "aclstm", "trial_id": clip_id,
            "subject": subject, "group": group, "description": row.get("description", label), "label": label,
            "licence": LICENCES["aclstm"]}))
    return takes


def _dominant_side(clip: MotionClip, label: str) -> str:
    """Which leg kicks (highest foot) or which hand punches (farthest from the chest)."""
    j = clip.joints()
    idx = {n: i for i, n in enumerate(SMPL22_NAMES)}
    if label == "punch":
        reach = {s: np.linalg.norm(j[:, idx[f"{s}_wrist"]] - j[:, idx["spine3"]], axis=-1).max() for s in ("left", "right")}
    else:
        reach = {s: j[:, idx[f"{s}_ankle"], 1].max() for s in ("left", "right")}
    return max(reach, key=reach.get)


def _pad_to(clip: MotionClip, seconds: float) -> MotionClip:
    """Hold the first and last poses so a short one-shot clip lasts ``seconds``."""
    missing = int(np.ceil(seconds * clip.fps)) - clip.num_frames
    if missing <= 0:
        return clip
    before, after = missing // 3, missing - missing // 3
    out = clip.copy()
    out.trans = np.concatenate([np.repeat(clip.trans[:1], before, 0), clip.trans, np.repeat(clip.trans[-1:], after, 0)])
    out.rotations = np.concatenate([np.repeat(clip.rotations[:1], before, 0), clip.rotations,
                                    np.repeat(clip.rotations[-1:], after, 0)])
    return out


def deepmimic_takes(shared: Path, min_duration: float = 4.0) -> list[Take]:
    folder = shared / "data" / "motion" / "deepmimic"
    takes = []
    for row in _read_tsv(folder / "labels.tsv"):
        path, label = folder / row["clip"], row["label"]
        frames, loop, _ = read_deepmimic_frames(path)
        cycles = loop_cycles(frames, loop, min_duration)
        clip = _pad_to(load_deepmimic(path, fps=FPS, min_duration=min_duration, face_forward=False,
                                      on_ground=False), MIN_S + 0.4)
        side = _dominant_side(clip, label) if label in ("kick", "punch") else "right"
        takes.append(Take(clip, label_texts(label, key=f"deepmimic:{label}", cycles=cycles, side=side), {
            "source": "deepmimic", "file": str(path.relative_to(shared)), "rig": "deepmimic-humanoid3d",
            "trial_id": f"deepmimic:{label}", "subject": "deepmimic", "group": f"deepmimic:{label}",
            "description": label.replace("_", " "), "label": label, "cycles": cycles, "loop": loop,
            "licence": LICENCES["deepmimic"]}))
    return takes


# ----------------------------------------------------------------------------- windows
def window_spans(num_frames: int, fps: float = FPS) -> list[tuple[int, int]]:
    """[start, stop) spans: the whole take if it lasts 2-10 s, else 8 s windows spread evenly
    with at least 2 s overlap; nothing for takes shorter than 2 s."""
    n_min, n_max, n_win = (int(round(s * fps)) for s in (MIN_S, MAX_S, WINDOW_S))
    if num_frames < n_min:
        return []
    if num_frames <= n_max:
        return [(0, num_frames)]
    count = int(np.ceil((num_frames - n_win) / (HOP_S * fps))) + 1
    starts = np.round(np.linspace(0, num_frames - n_win, count)).astype(int)
    return [(int(s), int(s) + n_win) for s in starts]


def normalise_window(clip: MotionClip) -> MotionClip:
    """Face +Z at frame 0, root above the origin at frame 0, lowest joint on y = 0."""
    out = clip.face_forward(0)
    out.trans[:, [0, 2]] -= out.trans[0, [0, 2]]
    return out.on_ground()


def window_problem(clip: MotionClip, floor: float) -> str | None:
    """Why a window is unusable (NaN, jumps, body under the take's floor), or None."""
    if not (np.isfinite(clip.trans).all() and np.isfinite(clip.rotations).all()):
        return "non-finite values"
    j = clip.joints()
    step = np.linalg.norm(np.diff(j, axis=0), axis=-1) * clip.fps  # m/s
    if step.size and (step[:, 0].max() > 10.0 or step.max() > 16.0):
        return f"jump of {step.max():.1f} m/s"
    if j[..., 1].min() < floor - 0.15:
        return "body under the floor"
    return None


def take_floor(clip: MotionClip) -> float:
    """Robust floor height of a take: a low percentile of the per-frame lowest joint."""
    return float(np.percentile(clip.joints()[..., 1].min(axis=1), 5))


def cut_windows(take: Take) -> tuple[list[RealWindow], int]:
    """Windows of one take and the number of rejected windows."""
    floor = take_floor(take.clip)
    windows, rejected = [], 0
    for start, stop in window_spans(take.clip.num_frames, take.clip.fps):
        piece = take.clip.slice(start, stop)
        problem = window_problem(piece, floor)
        if problem:
            log.warning("%s [%d:%d] dropped: %s", take.meta["trial_id"], start, stop, problem)
            rejected += 1
            continue
        piece = normalise_window(piece)
        piece.name = f"{take.meta['trial_id']}@{start}"
        piece.text = take.texts[0]
        meta = dict(take.meta, start_frame=start, num_frames=stop - start, fps=FPS,
                    take_frames=take.clip.num_frames, covers_take=(stop - start) == take.clip.num_frames)
        windows.append(RealWindow(piece, list(take.texts), meta))
    return windows, rejected


def build_windows(shared: str | Path) -> tuple[list[RealWindow], dict]:
    """All windows from ../shared (deterministic order) and per-source statistics."""
    shared = Path(shared)
    windows: list[RealWindow] = []
    stats: dict[str, dict] = {}
    for name, fn in (("cmu", cmu_takes), ("aclstm", aclstm_takes), ("deepmimic", deepmimic_takes)):
        for take in fn(shared):
            src = take.meta["source"]
            st = stats.setdefault(src, {"files": 0, "takes_too_short": 0, "windows": 0, "rejected": 0,
                                        "minutes_source": 0.0, "minutes_windows": 0.0})
            st["files"] += 1
            st["minutes_source"] += take.clip.duration / 60
            got, rejected = cut_windows(take)
            st["takes_too_short"] += int(not got and not rejected)
            st["rejected"] += rejected
            st["windows"] += len(got)
            st["minutes_windows"] += sum(w.clip.duration for w in got) / 60
            windows.extend(got)
    return windows, stats


# ----------------------------------------------------------------------------- storage
def save_corpus(windows: list[RealWindow], path: str | Path) -> None:
    """One compressed npz: float32 trans, float16 rotations, per-window offsets, unique
    skeletons and a JSON string of texts + meta (no pickles)."""
    skel_keys: dict[bytes, int] = {}
    skeletons, skel_index, lengths, metas = [], [], [], []
    for w in windows:
        offs = w.clip.skeleton.offsets.astype(np.float32)
        k = skel_keys.setdefault(offs.tobytes(), len(skeletons))
        if k == len(skeletons):
            skeletons.append(offs)
        skel_index.append(k)
        lengths.append(w.clip.num_frames)
        metas.append({"texts": w.texts, "meta": w.meta})
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    arrays = {
        "format": np.array(FORMAT_NAME), "format_version": np.array(FORMAT_VERSION), "fps": np.array(FPS),
        "trans": np.concatenate([w.clip.trans for w in windows]).astype(np.float32),
        "rotations": np.concatenate([w.clip.rotations for w in windows]).astype(np.float16),
        "offsets": offsets, "skeletons": np.stack(skeletons), "skeleton_index": np.array(skel_index, dtype=np.int32),
        "joint_names": np.array(SMPL22_NAMES), "windows": np.array(json.dumps(metas, sort_keys=True))}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # a zip with fixed timestamps, so identical data gives an identical file
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(info, buf.getvalue(), compresslevel=9)


def load_real_corpus(path: str | Path = DEFAULT_PATH) -> list[RealWindow]:
    """Load the committed corpus (needs no ../shared)."""
    with np.load(path, allow_pickle=False) as data:
        if str(data["format"]) != FORMAT_NAME:
            raise ValueError(f"{path}: not a real-mocap corpus file")
        fps = float(data["fps"])
        trans, rots = data["trans"].astype(np.float64), data["rotations"].astype(np.float64)
        offsets, skels, skel_index = data["offsets"], data["skeletons"].astype(np.float64), data["skeleton_index"]
        entries = json.loads(str(data["windows"]))
    skeletons = [Skeleton(SMPL22_NAMES, SMPL22_PARENTS, s) for s in skels]
    out = []
    for i, entry in enumerate(entries):
        a, b = int(offsets[i]), int(offsets[i + 1])
        meta = entry["meta"]
        clip = MotionClip(fps, trans[a:b], rots[a:b], skeletons[int(skel_index[i])],
                          name=f"{meta['trial_id']}@{meta['start_frame']}", text=entry["texts"][0])
        out.append(RealWindow(clip, list(entry["texts"]), meta))
    return out


def holdout_split(windows: list[RealWindow], test_fraction: float = 0.1, seed: int = 0,
                  by: str = "group") -> tuple[list[int], list[int]]:
    """(train, test) window indices holding out whole groups (``by='group'``: trials, salsa
    partner pairs) or whole subjects (``by='subject'``); deterministic for a seed."""
    keys = sorted({w.meta[by] for w in windows})
    order = np.random.default_rng(seed).permutation(len(keys))
    target = test_fraction * len(windows)
    test_keys: set[str] = set()
    count = 0
    for k in order:
        if count >= target:
            break
        key = keys[k]
        test_keys.add(key)
        count += sum(w.meta[by] == key for w in windows)
    train = [i for i, w in enumerate(windows) if w.meta[by] not in test_keys]
    test = [i for i, w in enumerate(windows) if w.meta[by] in test_keys]
    return train, test
