#!/usr/bin/env python
"""Build models/forensics/reference.json (reference ranges of the forensic cues) and
models/forensics/motion_bank.npz (real-motion embeddings for the motion-likelihood cue).

1. **render** (resumable, cached per shot in ``--cache``): a subsample of windows of the
   committed real mocap corpus (app/engine/corpus/real_mocap.load_real_corpus), 4 s each,
   resampled to 10/15/20/30 fps, on the studio's textured Anny body composited into a
   textured room (app/engine/forensics/calib_render), seen by fixed / handheld / panning /
   dolly cameras at 480x270, 320x180, 480x360 and 270x480, with sensor noise, encoded as
   H.264 and then decoded, tracked (BlazePose) and flow-analysed by the very functions the
   inspector runs. The cache keeps the landmarks and flow statistics, so step 2 can be
   rerun without BlazePose.
2. **table**: every body cue, the motion-likelihood cue (kNN distance to the bank, leaving
   out windows of the shot's own trial) and the pixel cues of those shots; the scene cues
   (and more pixel samples) come from rigid textured rooms rendered by
   app/engine/forensics/synth with a moving camera (no real footage is available here), widened
   towards documented physical priors (PRIORS).

Usage: python scripts/build_forensics_reference.py [--shots 96] [--quick] [--cache DIR] [--out FILE]
About 15-20 minutes on 2 busy cores for the default 96 shots (rerun to resume); --quick: 8 shots.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.corpus.real_mocap import load_real_corpus  # noqa: E402
from app.engine.forensics import likelihood, pixel_cues, pose_cues, sfm_cues, synth  # noqa: E402
from app.engine.forensics.pipeline import FPS_DEPENDENT  # noqa: E402
from app.engine.forensics.reference import DEFAULT_PATH, distribution  # noqa: E402

log = logging.getLogger("build_forensics_reference")
ROOT = Path(__file__).resolve().parents[1]
RATES = (10.0, 15.0, 20.0, 30.0)
SIZES = ((480, 270), (320, 180), (480, 360), (270, 480))
DIRECTIONS = {"bone_length_cv": "high", "joint_angle_violations": "high", "jerk": "high", "motion_hf_ratio": "high",
              "lr_asymmetry": "high", "foot_sliding": "high", "swap_rate": "high", "image_limb_asymmetry": "high",
              "motion_likelihood": "high",
              "registered_share": "low", "reprojection_error": "high", "epipolar_residual": "high",
              "background_rigidity": "low", "track_length": "low", "camera_path_jerk": "high",
              "focal_consistency": "high", "warp_residual": "high", "flicker": "high", "noise_instability": "high",
              "upsampling_peaks": "high", "temporal_alternation": "high"}
# Physical priors that bound the synthetic scene/pixel ranges (real cameras are noisier than
# renders): SIFT + COLMAP on real rigid scenes reprojects within ~0.5-1.5 px; real epipolar
# residuals of inlier-dominated matches stay around 1 px at 480p; real handheld paths and
# zooms vary more than a dolly.
PRIORS = {"reprojection_error": ("hi", 1.5), "epipolar_residual": ("hi", 1.0), "background_rigidity": ("lo", 0.6),
          "registered_share": ("lo", 0.6), "track_length": ("lo", 2.5), "camera_path_jerk": ("hi", 1.5),
          "focal_consistency": ("hi", 0.15), "warp_residual": ("hi", 6.0), "flicker": ("hi", 1.5),
          "noise_instability": ("hi", 0.08), "upsampling_peaks": ("hi", 0.35)}


def drive(gen):
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


# ----------------------------------------------------------------------------- 1. render + track
def plan(windows: list, n: int) -> list:
    from app.engine.forensics.calib_render import CAMERA_KINDS, CalibShot

    order = np.random.default_rng(0).permutation(len(windows))
    shots = []
    for i in range(n):
        w, h = SIZES[(i + i // 16) % len(SIZES)]
        shots.append(CalibShot(window=int(order[i % len(order)]), fps=RATES[i % len(RATES)], width=w, height=h,
                               camera=CAMERA_KINDS[(i // len(RATES)) % len(CAMERA_KINDS)], seed=1000 + i))
    return shots


def render_shots(windows: list, shots: list, cache: Path) -> None:
    from dataclasses import asdict

    import torch

    from app.engine.forensics.calib_render import CalibRenderer
    from app.engine.forensics.video_io import probe_video, sample_frames
    from app.viewers.video import write_video

    torch.set_num_threads(1)
    todo = [s for s in shots if not (cache / f"shot_{s.seed}.npz").is_file()]
    log.info("%d of %d calibration shots cached; rendering %d", len(shots) - len(todo), len(shots), len(todo))
    if not todo:
        return
    renderer = CalibRenderer()
    t0 = time.time()
    try:
        for k, shot in enumerate(todo):
            ts = time.time()
            win = windows[shot.window]
            clip = win.clip
            n20 = int(shot.seconds * clip.fps)
            start = int(np.random.default_rng(shot.seed).integers(0, max(1, clip.num_frames - n20)))
            clip = clip.slice(start, min(clip.num_frames, start + n20))
            if abs(shot.fps - clip.fps) > 1e-6:
                clip = clip.resample(shot.fps)
            frames, _ = renderer.render(clip, shot)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "shot.mp4"
                write_video(frames, path, shot.fps, quality=int(5 + shot.seed % 4))
                sample = drive(sample_frames(probe_video(path)))
            track = drive(pose_cues.track_pose(sample.frames))
            feet, radius = pose_cues.feet_for_flow(track)
            stats = drive(pixel_cues.flow_stats(sample.frames, track.masks, feet, radius))
            spec, _ = pixel_cues.spectral_peaks(sample.crops)
            np.savez_compressed(cache / f"shot_{shot.seed}.npz", world=track.world, image=track.image,
                                visibility=track.visibility, present=track.present, fps=sample.fps,
                                group=str(win.meta.get("group", shot.window)), shot=json.dumps(asdict(shot)),
                                upsampling_peaks=np.nan if spec is None else spec, seconds=time.time() - ts,
                                **{f"stat_{k}": v for k, v in stats.items()})
            log.info("shot %d/%d (%s, %g fps, %dx%d, %s): %.0f s so far, person in %.0f%% of frames",
                     k + 1, len(todo), win.meta.get("group"), shot.fps, shot.width, shot.height, shot.camera,
                     time.time() - t0, 100 * track.present_share)
    finally:
        renderer.close()


# ----------------------------------------------------------------------------- 2. tables
def motion_bank(windows: list, evaluator) -> dict:
    path = likelihood.BANK_PATH
    bank, _ = likelihood.load_bank(path)
    if (bank is not None and str(bank.get("fingerprint")) == likelihood.evaluator_fingerprint()
            and tuple(int(x) for x in bank.get("window", ())) == (likelihood.WINDOW, likelihood.HOP)):
        log.info("motion bank up to date (%d windows)", len(bank["embeddings"]))
        return bank
    items = [(w.clip.joints(), w.clip.fps, str(w.meta.get("group", i))) for i, w in enumerate(windows)]
    raw = likelihood.build_bank(items, evaluator)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **raw)
    log.info("wrote %s (%d windows of %d trials)", path, len(raw["embeddings"]), len(set(raw["groups"])))
    return likelihood.load_bank(path)[0]


def shot_cues(z, bank: dict | None, evaluator) -> tuple[float, dict]:
    fps = float(z["fps"])
    track = pose_cues.PoseTrack(z["world"], z["image"], z["visibility"], z["present"].astype(bool), np.zeros((0, 1, 1)))
    stats = {k[5:]: z[k] for k in z.files if k.startswith("stat_")}
    cues = pose_cues.pose_cues(track, fps, stats["bg_shift"])
    if bank is not None and evaluator is not None:
        world = np.where((track.visibility >= pose_cues.MIN_VISIBILITY)[..., None], track.world, np.nan)
        cues.update(likelihood.likelihood_cue(world, track.present, fps, bank=bank, evaluator=evaluator,
                                              exclude_group=str(z["group"])))
    cues.update(pixel_cues.pixel_cues(stats, fps, []))
    up = float(z["upsampling_peaks"])
    cues["upsampling_peaks"] = (up if np.isfinite(up) else None, None, "")
    return fps, cues


def calibrated_reference(cache: Path, windows: list, quick: bool) -> tuple[dict, dict, dict]:
    """Body (+ likelihood) references from the cached shots, and the shots' pixel-cue samples."""
    evaluator, why = likelihood.load_evaluator()
    bank = motion_bank(windows, evaluator) if evaluator is not None else None
    if evaluator is None:
        log.warning("no motion-likelihood reference: %s", why)
    files = sorted(cache.glob("shot_*.npz"))
    per_rate: dict[float, dict[str, list]] = {}
    per_frame: dict[float, dict[str, list]] = {}
    pooled: dict[str, list] = {}
    pooled_pf: dict[str, list] = {}
    pixel: dict[str, list] = {}
    rng = np.random.default_rng(0)
    counts = {"shots": len(files), "groups": set(), "by_fps": {}, "seconds": 0.0}
    for f in files:
        with np.load(f, allow_pickle=False) as z:
            fps, cues = shot_cues(z, bank, evaluator)
            shot = json.loads(str(z["shot"]))
            counts["groups"].add(str(z["group"]))
            counts["seconds"] += float(z["seconds"]) if "seconds" in z.files else 0.0
        rate = float(shot["fps"])
        counts["by_fps"][str(rate)] = counts["by_fps"].get(str(rate), 0) + 1
        for name, (v, curve, _) in cues.items():
            if name in pixel_cues.PIXEL_CUES:
                pixel.setdefault(name, []).append(v)
                continue
            dst, dpf = ((per_rate.setdefault(rate, {}), per_frame.setdefault(rate, {})) if name in FPS_DEPENDENT
                        else (pooled, pooled_pf))
            dst.setdefault(name, []).append(v)
            if curve is not None:
                c = curve[np.isfinite(curve)]
                dpf.setdefault(name, []).extend(rng.choice(c, min(20, c.size), replace=False).tolist() if c.size else [])
    counts["groups"] = len(counts["groups"])
    src = (f"real mocap ({counts['groups']} trials, {counts['shots']} 4 s shots) rendered on the textured Anny body "
           "in a textured room (fixed/handheld/pan/dolly cameras, 270-480 px, H.264), tracked by BlazePose")
    out: dict = {}
    for rate, table in per_rate.items():
        for name, vals in table.items():
            d = distribution(vals, f"{src}; {counts['by_fps'].get(str(rate), 0)} shots at {rate:g} fps", DIRECTIONS[name])
            d["per_frame"] = distribution(per_frame[rate].get(name, []), "per-frame values, same shots", DIRECTIONS[name])
            out.setdefault(name, {"by_fps": {}})["by_fps"][str(rate)] = d
    for name, vals in pooled.items():
        extra = "; kNN (k=5) distance to the real-motion bank, own trial left out" if name == "motion_likelihood" else ""
        d = distribution(vals, src + extra, DIRECTIONS[name])
        d["per_frame"] = distribution(pooled_pf.get(name, []), "per-frame values, same shots", DIRECTIONS[name])
        out[name] = d
    return out, pixel, counts


def scene_samples(quick: bool, cache: Path) -> dict[str, list]:
    """Scene + pixel cue samples from rigid synthetic rooms (cached in scene_samples.json)."""
    path = cache / ("scene_samples_quick.json" if quick else "scene_samples.json")
    if path.is_file():
        return json.loads(path.read_text())
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
        cues, _ = drive(sfm_cues.sfm_cues(frames, m8))
        stats = drive(pixel_cues.flow_stats(frames, m8))
        cues.update(pixel_cues.pixel_cues(stats, 20.0, [f.mean(-1).astype(np.uint8) for f in frames[::5]]))
        for name, (v, _, _) in cues.items():
            vals.setdefault(name, []).append(None if v is None else float(v))
        log.info("synthetic scene %d/%d", k + 1, n)
    path.write_text(json.dumps(vals))
    return vals


def scene_reference(vals: dict[str, list], pixel: dict[str, list], n_rooms: int, n_shots: int) -> dict:
    out = {}
    for name in list(sfm_cues.SFM_CUES) + list(pixel_cues.PIXEL_CUES):
        if name in pixel_cues.PIXEL_CUES:
            v = list(vals.get(name, [])) + list(pixel.get(name, []))
            src = (f"{n_rooms} rigid synthetic rooms + {n_shots} H.264 renders of real mocap on the Anny body "
                   "(real geometry, moving cameras, sensor noise)")
        else:
            v = vals.get(name, [])
            src = f"{n_rooms} rigid synthetic scenes (real geometry, moving camera, sensor noise)"
        d = distribution(v, src, DIRECTIONS[name])
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
    ap.add_argument("--shots", type=int, default=96)
    ap.add_argument("--quick", action="store_true", help="8 shots and 3 rooms (checks only)")
    ap.add_argument("--cache", default=str(ROOT / "out" / "forensics_reference_cache"))
    ap.add_argument("--table-only", action="store_true", help="use the cached shots only (no rendering)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.time()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    windows = load_real_corpus()
    n = 8 if args.quick else args.shots
    if not args.table_only:
        render_shots(windows, plan(windows, n), cache)
    t_render = time.time() - t0
    cues, pixel, counts = calibrated_reference(cache, windows, args.quick)
    rooms = scene_samples(args.quick, cache)
    n_rooms = len(next(iter(rooms.values()), []))
    cues.update(scene_reference(rooms, pixel, n_rooms, counts["shots"]))
    doc = {"format": "action-studio-forensics-reference", "version": 1, "quick": bool(args.quick),
           "note": "lo/hi = p5/p95 of the cue over real material (see each source); built by "
                   "scripts/build_forensics_reference.py",
           "calibration": {"body_source": "real mocap rendered on the Anny body, tracked by BlazePose",
                           "shots": counts["shots"], "trials": counts["groups"], "shots_by_fps": counts["by_fps"],
                           "synthetic_rooms": n_rooms, "render_track_minutes_total": round(counts["seconds"] / 60, 1),
                           "render_track_minutes_this_run": round(t_render / 60, 1),
                           "build_minutes": round((time.time() - t0) / 60, 1)},
           "cues": cues}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=True))
    log.info("wrote %s (%d cues) in %.1f min", out, len(cues), (time.time() - t0) / 60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
