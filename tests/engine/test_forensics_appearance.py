"""Appearance cues (face, hands, body surface) on the studio's own manipulations: a face
that changes shape, hands whose bones change length, a texture that boils, a colour that
drifts over the body, a mask that flickers; plus clean "not measured" reasons."""
from __future__ import annotations

import numpy as np

from app.engine.forensics import face_cues as fc
from app.engine.forensics import hand_cues as hc
from app.engine.forensics import surface_cues as sc
from app.engine.forensics import synth


def _rot(yaw: float, pitch: float) -> np.ndarray:
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return ry @ rx


def _faces(n: int, morph: float, seed: int = 0) -> list[np.ndarray]:
    """A rigid face turning its head and moving (morph=0), or one whose shape changes frame to frame."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 40, (468, 3))
    out = []
    for t in range(n):
        shape = base + morph * rng.normal(0, 40, base.shape)
        r = _rot(0.3 * np.sin(t / 6), 0.1 * np.cos(t / 9))
        out.append((shape @ r.T) * (1 + 0.1 * np.sin(t / 5)) + np.array([200 + 3 * t, 150, 0]))
    return out


def test_face_that_changes_shape_raises_jitter_and_spread():
    torso = np.full(30, 300.0)
    rigid = fc.face_cues(_faces(30, 0.0), torso)
    melting = fc.face_cues(_faces(30, 0.05), torso)
    assert rigid["face_shape_jitter"][0] < 1e-6      # head pose and scale are factored out
    assert melting["face_shape_jitter"][0] > 0.01
    assert melting["face_shape_spread"][0] > rigid["face_shape_spread"][0] + 0.01
    assert rigid["face_shape_jitter"][1].shape == (30,)
    assert rigid["face_body_ratio"][0] > 0


def test_face_not_found_is_not_measured_with_a_reason():
    cues = fc.face_cues([None] * 20 + _faces(2, 0.0), np.full(22, 300.0))
    for value, curve, reason in cues.values():
        assert value is None and curve is None
        assert "face was found in only 2 of 22" in reason


def _hand(scale: np.ndarray) -> np.ndarray:
    """21 hand world landmarks along five fingers, bones scaled by `scale` [20]."""
    pts = np.zeros((21, 3))
    for f in range(5):
        base = 1 + 4 * f
        ang = np.radians(-40 + 20 * f)
        d = np.array([np.sin(ang), np.cos(ang), 0.0])
        for k in range(4):
            pts[base + k] = (pts[base + k - 1] if k else 0.04 * d) + 0.025 * d * scale[4 * f + k if 4 * f + k < 20 else 0]
    return pts


def test_hands_whose_bones_change_length_raise_shape_cues():
    rng = np.random.default_rng(1)
    n = 20
    steady = [[(_hand(np.ones(20)), None, 0.95) for _ in range(n)], [None] * n]
    wobbly = [[(_hand(1 + 0.3 * rng.normal(size=20)), None, 0.9) for _ in range(n)], [None] * n]
    vis = np.zeros((2, n), bool)
    vis[0] = True
    a, b = hc.hand_cues(steady, vis), hc.hand_cues(wobbly, vis)
    assert a["hand_shape_jitter"][0] < 1e-9 and b["hand_shape_jitter"][0] > 0.05
    assert b["hand_shape_spread"][0] > a["hand_shape_spread"][0] + 0.1
    assert a["hand_vanish_rate"][0] == 0.0
    flicker = [[h if t % 2 == 0 else None for t, h in enumerate(steady[0])], [None] * n]
    assert hc.hand_cues(flicker, vis)["hand_vanish_rate"][0] > 0.9


def test_no_wrist_visible_reason():
    cues = hc.hand_cues([[None] * 10, [None] * 10], np.zeros((2, 10), bool))
    assert all(v is None and "no wrist" in r for v, _, r in cues.values())


def _person_clip(n: int = 24, h: int = 240, w: int = 160) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """A textured 'person' (torso + limbs) sliding right; masks and BlazePose-style landmarks."""
    tex = synth.make_texture(3, 256)
    frames, masks = [], []
    lms = np.full((n, 33, 2), np.nan)
    vis = np.zeros((n, 33))
    for t in range(n):
        img = np.full((h, w, 3), 90, np.uint8)
        x = 50 + t
        img[60:200, x:x + 60] = tex[60:200, 20:80]
        m = np.zeros((h, w), np.float32)
        m[60:200, x:x + 60] = 1.0
        pts = {11: (x + 10, 70), 12: (x + 50, 70), 23: (x + 15, 130), 24: (x + 45, 130), 13: (x + 8, 100),
               14: (x + 52, 100), 15: (x + 8, 125), 16: (x + 52, 125), 25: (x + 15, 165), 26: (x + 45, 165),
               27: (x + 15, 195), 28: (x + 45, 195)}
        for k, p in pts.items():
            lms[t, k] = p
            vis[t, k] = 0.9
        frames.append(img)
        masks.append(m)
    return np.stack(frames), masks, lms, vis


def test_boiling_texture_and_drifting_colour_raise_surface_cues():
    frames, masks, lms, vis = _person_clip()
    base = sc.surface_cues(list(frames), masks, lms, vis)
    boiled = sc.surface_cues(list(synth.boil_texture(frames, 25.0)), masks, lms, vis)
    assert boiled["texture_boil"][0] > base["texture_boil"][0] + 0.02
    tinted = frames.copy()
    tinted[..., :1] = synth.boil_texture(frames[..., :1].repeat(3, -1), 25.0)[..., :1]   # blotches in red only
    assert sc.surface_cues(list(tinted), masks, lms, vis)["part_colour_jitter"][0] > base["part_colour_jitter"][0] + 0.5
    drift = frames.astype(np.float32)
    drift[..., 0] += np.linspace(0, 60, len(frames))[:, None, None]
    drifted = sc.surface_cues(list(np.clip(drift, 0, 255).astype(np.uint8)), masks, lms, vis)
    assert drifted["part_colour_drift"][0] > base["part_colour_drift"][0] + 5
    assert base["limbs_outside_mask"][0] == 0.0


def test_flickering_mask_and_limbs_outside_it():
    frames, masks, lms, vis = _person_clip()
    flick = [m if t % 2 == 0 else np.roll(m, 12, axis=1) * (np.random.default_rng(t).random(m.shape) > 0.3)
             for t, m in enumerate(masks)]
    base = sc.surface_cues(list(frames), masks, lms, vis)
    bad = sc.surface_cues(list(frames), flick, lms, vis)
    assert bad["mask_flicker"][0] > base["mask_flicker"][0] + 0.2
    assert bad["limbs_outside_mask"][0] > base["limbs_outside_mask"][0]


def test_surface_empty_mask_reason():
    frames, masks, lms, vis = _person_clip(8)
    cues = sc.surface_cues(list(frames), [m * 0 for m in masks], lms, vis)
    assert all(v is None and "mask was empty" in r for v, _, r in cues.values())
