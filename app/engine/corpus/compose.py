"""Sequences of atoms: placement at the previous end pose, blended transitions, labels and text.

Each atom is generated in its own frame (standing at the origin, facing +Z) and is
rotated/translated so its first root position and heading match the previous atom's
last ones. The pose difference at the joint is faded out over `blend` seconds
(offset inertialisation, C1). Segments label every frame with exactly one atom.
"""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment
from app.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion, quaternion_to_matrix, slerp

from .describe import SUBJECTS, phrase, repeat_phrase
from .pose_kit import smooth
from .registry import ATOMS, generate, resolve_params, sample_params


def _heading(clip: MotionClip, frame: int) -> float:
    return clip.facing_angle(frame)


def _place(clip: MotionClip, pos: np.ndarray, yaw: float) -> MotionClip:
    """Rotate about Y and translate so frame 0's root xz is `pos` and its heading is `yaw`."""
    out = clip.rotated_about_y(yaw - _heading(clip, 0))
    out.trans[:, [0, 2]] += pos[[0, 2]] - out.trans[0, [0, 2]]
    return out


def _blend_in(prev_last_rot: np.ndarray, prev_last_trans: np.ndarray, clip: MotionClip, blend_s: float) -> None:
    """Fade the pose offset between the previous last frame and this clip's first frame."""
    n = min(clip.num_frames, max(2, int(round(blend_s * clip.fps))))
    w = 1.0 - smooth(np.arange(n) / (n - 1))  # 1 -> 0, zero slope at both ends
    r_prev = axis_angle_to_matrix(prev_last_rot)
    r_next = axis_angle_to_matrix(clip.rotations[0])
    q_off = matrix_to_quaternion(r_prev @ np.swapaxes(r_next, -1, -2))  # [J, 4]
    ident = np.zeros_like(q_off)
    ident[:, 0] = 1.0
    qs = slerp(np.broadcast_to(ident, (n,) + q_off.shape), np.broadcast_to(q_off, (n,) + q_off.shape),
               np.broadcast_to(w[:, None, None], (n, q_off.shape[0], 1)))
    rots = axis_angle_to_matrix(clip.rotations[:n])
    clip.rotations[:n] = matrix_to_axis_angle(quaternion_to_matrix(qs) @ rots)
    dy = prev_last_trans[1] - clip.trans[0, 1]
    clip.trans[:n, 1] += dy * w


def _join_text(parts: list[tuple[tuple[str, list[dict]], str]], rng: np.random.Generator) -> str:
    phrases = [p if len(ps) == 1 else repeat_phrase(name, ps, p) for (p, ps), name in parts]
    subj = str(rng.choice(SUBJECTS))
    if len(phrases) == 1:
        return f"{subj} {phrases[0]}"
    style = int(rng.integers(3))
    if style == 0:
        body = ", then ".join(phrases[:-1]) + (" and then " if len(phrases) > 2 else ", then ") + phrases[-1]
    elif style == 1:
        body = ", ".join(phrases[:-1]) + (", and finally " if len(phrases) > 2 else " and then ") + phrases[-1]
    else:
        body = phrases[0] + "".join(f", after that {p}" if i % 2 else f", then {p}" for i, p in enumerate(phrases[1:]))
    return f"{subj} {body}"


def compose(atoms: list[tuple[str, dict | None]], rng: np.random.Generator | None = None, fps: float = 20.0,
            blend: float = 0.3) -> MotionClip:
    """Concatenate atoms (name, params) with placement, blending, exact segments and composed text."""
    if not atoms:
        raise ValueError("compose needs at least one atom")
    rng = rng or np.random.default_rng()
    clips: list[MotionClip] = []
    texts: list[tuple[str, dict]] = []
    for i, (name, params) in enumerate(atoms):
        p = resolve_params(name, params)
        clip = generate(name, p, rng, fps)
        if clips:
            prev = clips[-1]
            clip = _place(clip, prev.trans[-1], _heading(prev, prev.num_frames - 1))
            _blend_in(prev.rotations[-1], prev.trans[-1], clip, blend)
            clip = clip.slice(1, clip.num_frames)  # the first frame duplicates the previous last one
        clips.append(clip)
        texts.append((name, p))
    trans = np.concatenate([c.trans for c in clips])
    rots = np.concatenate([c.rotations for c in clips])
    segs, f0 = [], 0
    for c, (name, p) in zip(clips, texts):
        f1 = f0 + c.num_frames
        segs.append(Segment(f0 / fps, f1 / fps, phrase(name, p, rng), name))
        f0 = f1
    # merge consecutive repeats for the text ("jumps twice")
    parts: list[tuple[tuple[str, list[dict]], str]] = []
    for seg, (_, p) in zip(segs, texts):
        if parts and parts[-1][1] == seg.label:
            parts[-1][0][1].append(p)
        else:
            parts.append(((seg.text, [p]), seg.label))
    text = _join_text(parts, rng)
    out = MotionClip(float(fps), trans, rots, clips[0].skeleton, segments=segs, name="+".join(a for a, _ in atoms),
                     text=text)

    return out


def frame_labels(clip: MotionClip) -> np.ndarray:
    """Index of the segment (atom) covering each frame, [T] int; -1 where none does."""
    t = np.arange(clip.num_frames) / clip.fps + 0.5 / clip.fps
    out = np.full(clip.num_frames, -1, dtype=int)
    for i, seg in enumerate(clip.segments):
        out[(t >= seg.start) & (t < seg.end)] = i
    return out


def random_composition(rng: np.random.Generator | None = None, n_atoms: tuple[int, int] = (1, 5), fps: float = 20.0,
                       repeat_prob: float = 0.15) -> MotionClip:
    """A random, pose-consistent sequence of 1-5 atoms with random parameters."""
    rng = rng or np.random.default_rng()
    n = int(rng.integers(n_atoms[0], n_atoms[1] + 1))
    state, seq = "stand", []
    for _ in range(n):
        if seq and rng.random() < repeat_prob and ATOMS[seq[-1][0]].start == ATOMS[seq[-1][0]].end:
            seq.append(seq[-1])
            continue
        names = [k for k, s in ATOMS.items() if s.start == state]
        name = str(rng.choice(names))
        seq.append((name, sample_params(name, rng)))
        state = ATOMS[name].end
    return compose(seq, rng, fps)
