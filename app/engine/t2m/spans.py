"""Prompts to spans, and joining / splicing generated pieces with smooth transitions.

Joining: each piece is generated in its canonical frame (root over the origin, facing +Z).  The
next piece is turned to the previous piece's final heading and moved so its first root position
continues the previous last one by one step of its velocity; the remaining pose difference
(all local rotations, root height) is faded out over ``blend_s`` seconds (offset
inertialisation with a smoothstep, C1).  Splicing (span regeneration) puts the piece on the
clip's floor, does the same at the start, bends heading and root path over the span so they meet
the original trajectory, fades *in* the offset to the following original frame at the end and
corrects the root height so grounded frames stay grounded (:mod:`.seams`); frames outside are
copied untouched, and the span's segment replaces exactly those frames.
"""
from __future__ import annotations

import copy
import re
from typing import Callable

import numpy as np

from app.core.motion import MotionClip, Segment
from app.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion, quaternion_to_matrix, slerp

from . import seams

# No leading ",?\s*" on the separators: the parts are stripped of commas and spaces anyway, and a
# leading "\s*" made re.split quadratic on long runs of spaces (found by bench/fuzz_inputs.py).
_SPLIT = re.compile(r";|\bafter that\b|\bafterwards\b|\bfollowed by\b|\bbefore\b|(?:\band\s+)?\bthen\b",
                    re.IGNORECASE)
_AFTER = re.compile(r"^\s*(?:(?:a|the|my)\s+\w+\s+|someone\s+|somebody\s+)?after\s+([^,;]+),\s*(.+)$", re.IGNORECASE)


def split_prompt(text: str) -> list[str]:
    """'walk forward; then jump twice, then wave' -> ['walk forward', 'jump twice', 'wave'];
    'after jogging a bit, she waves' -> ['jogging a bit', 'she waves']; 'A before B' -> [A, B]."""
    out: list[str] = []
    while True:  # a loop, not recursion: "after a, after b, after c, ..." may be long
        m = _AFTER.match(text)
        if not m:
            break
        out += _split_plain(m.group(1))
        text = m.group(2)
    return out + _split_plain(text)


def _split_plain(text: str) -> list[str]:
    parts = [p.strip(" ,.;\t\n") for p in _SPLIT.split(text)]
    parts = [re.sub(r"^(and|finally)\s+", "", p, flags=re.IGNORECASE).strip() for p in parts]
    return [p for p in parts if p]


def chunk_frames(frames: int, max_frames: int) -> list[int]:
    """Split a frame count into near-equal integer pieces no longer than max_frames (sum exact)."""
    n = max(1, -(-int(frames) // int(max_frames)))
    return [len(a) for a in np.array_split(np.arange(int(frames)), n)]


def span_frames(seconds: list[float], fps: float) -> list[int]:
    """Frame counts of consecutive spans by cumulative rounding (the total is round(sum * fps))."""
    edges = np.round(np.cumsum([0.0] + list(seconds)) * fps).astype(int)
    return [max(2, int(b - a)) for a, b in zip(edges[:-1], edges[1:])]


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _offset_rot(r_from: np.ndarray, r_to: np.ndarray) -> np.ndarray:
    """Quaternions [J, 4] of R_to R_from^T (the offset taking pose r_from to r_to)."""
    return matrix_to_quaternion(axis_angle_to_matrix(r_to) @ np.swapaxes(axis_angle_to_matrix(r_from), -1, -2))


def _apply_offset(rots: np.ndarray, q_off: np.ndarray, w: np.ndarray) -> np.ndarray:
    """rots [n, J, 3] pre-multiplied by the offset scaled by weights w [n] (slerp from identity)."""
    n, j = rots.shape[:2]
    ident = np.zeros_like(q_off)
    ident[:, 0] = 1.0
    q = slerp(np.broadcast_to(ident, (n, j, 4)), np.broadcast_to(q_off, (n, j, 4)),
              np.broadcast_to(w[:, None, None], (n, j, 1)))
    return matrix_to_axis_angle(quaternion_to_matrix(q) @ axis_angle_to_matrix(rots))


def place(clip: MotionClip, pos: np.ndarray, yaw: float) -> MotionClip:
    """Rotate about Y and translate so frame 0's root xz is pos' xz and its heading is yaw."""
    out = clip.rotated_about_y(yaw - clip.facing_angle(0))
    out.trans[:, [0, 2]] += np.asarray(pos)[[0, 2]] - out.trans[0, [0, 2]]
    return out


def continue_from(prev_trans: np.ndarray, prev_rot: np.ndarray, prev_yaw: float, piece: MotionClip,
                  blend_s: float) -> MotionClip:
    """`piece` placed after a frame (trans [k,3] of the last k>=1 frames, rot [J,3]) and blended in."""
    step = prev_trans[-1] - prev_trans[-2] if len(prev_trans) > 1 else np.zeros(3)
    step[1] = 0.0
    out = place(piece, prev_trans[-1] + step, prev_yaw)
    n = min(out.num_frames, max(2, int(round(blend_s * out.fps))))
    w = 1.0 - smoothstep(np.arange(n) / (n - 1))
    out.rotations[:n] = _apply_offset(out.rotations[:n], _offset_rot(out.rotations[0], prev_rot), w)
    out.trans[:n, 1] += (prev_trans[-1, 1] - out.trans[0, 1]) * w
    return out


def join(pieces: list[MotionClip], texts: list[str], blend_s: float = 0.5) -> MotionClip:
    """Concatenate generated pieces with continuous root path and heading, and labelled segments."""
    out = [pieces[0]]
    for p in pieces[1:]:
        prev = out[-1]
        out.append(continue_from(prev.trans[-2:], prev.rotations[-1], prev.facing_angle(prev.num_frames - 1),
                                 p, blend_s))
    fps = pieces[0].fps
    segs, f = [], 0
    for p, t in zip(out, texts):
        segs.append(Segment(f / fps, (f + p.num_frames) / fps, t, "generated"))
        f += p.num_frames
    return MotionClip(fps, np.concatenate([p.trans for p in out]), np.concatenate([p.rotations for p in out]),
                      pieces[0].skeleton, segments=segs)


def splice(clip: MotionClip, f0: int, f1: int, piece: MotionClip, text: str, blend_s: float = 0.4) -> MotionClip:
    """`clip` with frames [f0, f1) replaced by `piece` (f1 - f0 frames); other frames bit-exact.

    The piece is put on the clip's floor, placed to continue from frame f0-1 (pose and root
    height blended in), its heading bent over the span to meet frame f1's (yaw as an angle, so
    the body never tilts at the seam), its root path bent to meet the original, the remaining
    pose offset faded in towards frame f1, and finally its root height corrected so each frame's
    lowest joint is where the generated piece had it (grounded frames on the floor).
    """
    n = f1 - f0
    if piece.num_frames != n:
        raise ValueError(f"piece has {piece.num_frames} frames, span {n}")
    floor = seams.ground_level(clip)
    piece = seams.ground_to(piece, floor)
    piece_low = seams.lowest(piece)
    clip_low = seams.lowest(clip)
    start = end = None
    if f0 > 0:
        new = continue_from(clip.trans[max(0, f0 - 2):f0], clip.rotations[f0 - 1], clip.facing_angle(f0 - 1),
                            piece, blend_s)
        ns = min(n, max(2, int(round(blend_s * clip.fps))))
        w = np.zeros(n)
        w[:ns] = 1.0 - smoothstep(np.arange(ns) / (ns - 1))
        start = (float(clip_low[f0 - 1]), w)
    else:
        new = place(piece, clip.trans[0], clip.facing_angle(0))
    if f1 < clip.num_frames:
        ramp = smoothstep(np.arange(1, n + 1) / n) if f0 > 0 else np.ones(n)
        yaw_next = seams.root_yaw(clip.rotations[f1:f1 + 2])
        yaw_step = seams.wrap(yaw_next[1] - yaw_next[0]) if len(yaw_next) > 1 else 0.0
        yaw_new = seams.root_yaw(new.rotations[-1:])[0]
        new = seams.bend_heading(new, ramp, seams.wrap(yaw_next[0] - yaw_step - yaw_new))
        nb = min(n, max(2, int(round(blend_s * clip.fps))))
        w = smoothstep(np.arange(1, nb + 1) / (nb + 1))
        nxt = clip.rotations[f1]
        new.rotations[n - nb:] = _apply_offset(new.rotations[n - nb:], _offset_rot(new.rotations[-1], nxt), w)
        vel = clip.trans[f1 + 1] - clip.trans[f1] if f1 + 1 < clip.num_frames else np.zeros(3)
        want = clip.trans[f1] - vel
        off = want - new.trans[-1]
        new.trans[:, [0, 2]] += ramp[:, None] * off[[0, 2]]
        new.trans[n - nb:, 1] += w * off[1]
        we = np.zeros(n)
        we[n - nb:] = w
        end = (float(clip_low[f1]), we)
    new.trans[:, 1] += seams.ground_correction(seams.lowest(new), piece_low, floor, start, end, clip_low[f0:f1])
    out = clip.copy()
    out.trans[f0:f1] = new.trans
    out.rotations[f0:f1] = new.rotations
    out.segments = replace_segments(clip.segments, f0, f1, clip.fps, text)
    return out


def replace_segments(segments: list[Segment], f0: int, f1: int, fps: float, text: str) -> list[Segment]:
    """Segments with frames [f0, f1) given to one new 'generated' segment; edges are whole frames
    and remnants of old segments shorter than one frame are dropped (no slivers)."""
    t0, t1 = f0 / fps, f1 / fps
    segs = []
    for s in segments:
        a, b = int(round(s.start * fps)), int(round(s.end * fps))
        if b <= f0 or a >= f1:
            segs.append(Segment(a / fps, b / fps, s.text, s.label))
            continue
        if a < f0:
            segs.append(Segment(a / fps, t0, s.text, s.label))
        if b > f1:
            segs.append(Segment(t1, b / fps, s.text, s.label))
    segs = [s for s in segs if s.end - s.start > 0.5 / fps]
    segs.append(Segment(t0, t1, text, "generated"))
    return sorted(segs, key=lambda s: s.start)


def snap_span(segments: list[Segment], f0: int, f1: int, fps: float, num_frames: int,
              tol: int | None = None) -> tuple[int, int]:
    """[f0, f1) with each end moved onto a segment edge within `tol` frames (default 0.15 s, at
    least 2), so a selection dragged a frame short of a segment's edge replaces all of it."""
    tol = max(2, int(round(0.15 * fps))) if tol is None else int(tol)
    edges = sorted({0, int(num_frames)} | {int(round(t * fps)) for s in segments for t in (s.start, s.end)})

    def snap(f: int) -> int:
        best = min(edges, key=lambda e: abs(e - f))
        return best if abs(best - f) <= tol else f

    a, b = snap(int(f0)), snap(int(f1))
    return (a, b) if b - a >= 2 else (int(f0), int(f1))


def at_other_rate(edit: Callable[..., tuple[MotionClip, np.ndarray | None]], fps: float, clip: MotionClip, f0: int,
                  f1: int, text: str, seed: int, foot_lock: bool, blend_s: float
                  ) -> tuple[MotionClip, np.ndarray | None]:
    """A span edit (``edit``: the pipeline's ``regenerate_span`` at its rate ``fps``) of a clip at another
    frame rate (a 30 or 60 fps BVH): edited at ``fps``, resampled back, and only frames [f0, f1) taken from
    the edit, so frames outside stay bit-exact; the attention rows follow the clip's frames."""
    k = fps / clip.fps
    work = clip.resample(fps)
    g1 = min(max(int(round(f1 * k)), int(round(f0 * k)) + 2), work.num_frames)
    g0 = min(int(round(f0 * k)), g1 - 2)
    edited, att = edit(work, g0, g1, text, seed, foot_lock, blend_s)
    back = edited.resample(clip.fps)
    out = clip.copy()
    f1c = min(f1, back.num_frames)
    out.trans[f0:f1c], out.rotations[f0:f1c] = back.trans[f0:f1c], back.rotations[f0:f1c]
    out.segments = [copy.copy(sg) for sg in back.segments]
    if att is not None:   # the span's rows at the clip's rate (nearest frame at the model's)
        rows = np.clip(np.round(np.arange(f0, f1) * k).astype(int) - g0, 0, len(att) - 1)
        att = att[rows]
    return out, att


def to_ground(clip: MotionClip) -> MotionClip:
    """Shift vertically so the 10th percentile over frames of the lowest joint is at y = 0."""
    low = clip.joints()[..., 1].min(axis=1)
    out = clip.copy()
    out.trans[:, 1] -= float(np.percentile(low, 10))
    return out


def merge_segments(segs: list[Segment]) -> list[Segment]:
    """Merge adjacent segments with the same text (the pieces of one long span)."""
    out = []
    for s in segs:
        if out and out[-1].text == s.text and abs(out[-1].end - s.start) < 1e-9:
            out[-1].end = s.end
        else:
            out.append(s)
    return out
