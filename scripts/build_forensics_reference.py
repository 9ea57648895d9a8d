#!/usr/bin/env python
"""Build models/forensics/reference.json: the reference ranges of the forensic cues.

* Body-motion cues: every window of the committed real mocap corpus
  (app/engine/corpus/real_mocap.load_real_corpus, 345 SMPL-22 windows at 20 fps),
  resampled to several analysis rates, seen by random plausible cameras (fixed or
  panning, 3-8 m, fov 35-60 deg) with BlazePose-like landmark noise
  (app/engine/forensics/reference.simulate_landmarks), measured by the same
  landmark_cues() the videos go through.
* Scene-geometry and pixel cues: rigid textured rooms rendered with a moving camera and a
  sensor-noise model (app/engine/forensics/synth); no real footage is used. Their ranges
  are widened towards documented physical priors (PRIORS below), because synthetic renders
  are cleaner than real footage.

Usage: python scripts/build_forensics_reference.py [--out models/forensics/reference.json] [--quick]
Takes about 3-4 minutes on 2 cores (--quick: < 1 minute, for checks).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.corpus.real_mocap import load_real_corpus  # noqa: E402
from app.engine.forensics import pixel_cues, pose_cues, sfm_cues, synth  # noqa: E402
from app.engine.forensics.reference import DEFAULT_PATH, distribution, simulate_landmarks  # noqa: E402

log = logging.getLogger("build_forensics_reference")
RATES = (8.0, 10.0, 15.0, 20.0)
DIRECTIONS = {"bone_length_cv": "high", "joint_angle_violations": "high", "jerk": "high", "motion_hf_ratio": "high",
              "lr_asymmetry": "high", "foot_sliding": "high", "swap_rate": "high",
              "registered_share": "low", "reprojection_error": "high", "epipolar_residual": "high",
              "background_rigidity": "low", "track_length": "low", "camera_path_jerk": "high",
              "focal_consistency": "high", "warp_residual": "high", "flicker": "high", "noise_instability": "high",
              "upsampling_peaks": "high"}
# Physical priors that bound the synthetic ranges (real cameras are noisier than renders):
# SIFT + COLMAP on real rigid scenes typically reprojects within ~0.5-1.5 px; real epipolar
# residuals of inlier-dominated matches stay around 1 px at 480p; real handheld paths and
# zooms vary more than a dolly.
PRIORS = {"reprojection_error": ("hi", 1.5), "epipolar_residual": ("hi", 1.0), "background_rigidity": ("lo", 0.6),
          "registered_share": ("lo", 0.6), "track_length": ("lo", 2.5), "camera_path_jerk": ("hi", 1.5),
          "focal_consistency": ("hi", 0.15), "warp_residual": ("hi", 6.0), "flicker": ("hi", 1.5),
          "noise_instability": ("hi", 0.08), "upsampling_peaks": ("hi", 0.35)}


def pose_reference(quick: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    windows = load_real_corpus()
    if quick:
        windows = windows[::20]
    out: dict = {}
    for rate in RATES:
        vals: dict[str, list] = {k: [] for k in pose_cues.POSE_CUES}
        pf: dict[str, list] = {k: [] for k in pose_cues.POSE_CUES}
        for w in windows:
            j = w.clip.joints()
            if rate != w.clip.fps:
                j = synth.resample_joints(j, w.clip.fps, rate)
            world, image, present, bg = simulate_landmarks(j, rng)
            for name, (v, curve, _) in pose_cues.landmark_cues(world, image, present, rate, bg).items():
                vals[name].append(v)
                if curve is not None:
                    c = curve[np.isfinite(curve)]
                    pf[name].extend(rng.choice(c, min(20, c.size), replace=False).tolist() if c.size else [])
        out[str(rate)] = {}
        for name in vals:
            d = distribution(vals[name], f"real mocap corpus ({len(windows)} windows) via simulated BlazePose at {rate:g} fps",
                             DIRECTIONS[name])
            d["per_frame"] = distribution(pf[name], "per-frame values, same simulation", DIRECTIONS[name])
            out[str(rate)][name] = d
        log.info("pose reference at %g fps done", rate)
    return {name: {"by_fps": {r: out[r][name] for r in out}} for name in pose_cues.POSE_CUES}


def scene_reference(quick: bool) -> dict:
    windows = [w for w in load_real_corpus() if w.clip.num_frames >= 40]
    n = 3 if quick else 10
    vals: dict[str, list] = {}
    for k in range(n):
        w = windows[(k * 37) % len(windows)]
        j = w.clip.joints()[:36]
        spec = synth.SceneSpec(width=240, height=180, seed=k, noise=float(1.5 + k % 3) / 255)
        cams = synth.camera_path(len(j), j, move=0.6 + 0.15 * k)
        frames, masks = synth.render_video(j, spec, cams=cams)
        m8 = (masks * 255).astype(np.uint8)
        gen = sfm_cues.sfm_cues(frames, m8)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                cues, _ = stop.value
                break
        gen = pixel_cues.flow_stats(frames, m8)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                stats = stop.value
                break
        cues.update(pixel_cues.pixel_cues(stats, 20.0, [f.mean(-1).astype(np.uint8) for f in frames[::5]]))
        for name, (v, _, _) in cues.items():
            vals.setdefault(name, []).append(v)
        log.info("synthetic scene %d/%d", k + 1, n)
    out = {}
    for name, v in vals.items():
        d = distribution(v, f"{n} rigid synthetic scenes (real geometry, moving camera, sensor noise)", DIRECTIONS[name])
        if name in PRIORS and d.get("n"):
            side, bound = PRIORS[name]
            if side == "hi":
                d["hi"] = max(d["hi"], bound)
                d["p99"] = max(d["p99"], d["hi"] * 1.3)
            else:
                d["lo"] = min(d["lo"], bound)
                d["p1"] = min(d["p1"], d["lo"] * 0.7)
            d["source"] += f"; widened to the physical prior {side}={bound}"
        out[name] = d
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_PATH))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.time()
    cues = pose_reference(args.quick)
    cues.update(scene_reference(args.quick))
    doc = {"format": "action-studio-forensics-reference", "version": 1, "quick": bool(args.quick),
           "note": "lo/hi = p5/p95 of the cue over real material (see each source); built by "
                   "scripts/build_forensics_reference.py", "cues": cues}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=True))
    log.info("wrote %s (%d cues) in %.0f s", out, len(cues), time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
