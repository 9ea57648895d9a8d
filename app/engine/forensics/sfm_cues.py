"""Scene-geometry cues from structure from motion on the background (person masked out).

Two measurements on a handful of sampled frames:
* OpenCV two-view geometry between consecutive samples (SIFT, ratio test, fundamental
  matrix by MAGSAC): epipolar residual of all matches, inlier share (background rigidity),
  parallax (a homography explaining the matches means a static or purely rotating camera,
  where geometry cannot be measured);
* incremental SfM with pycolmap (CPU): share of frames registered, mean reprojection
  error, mean track length, camera-path smoothness and per-image focal consistency.
The sparse point cloud and camera centres are returned for the point-cloud viewport.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from app.engine.jobs import drain, in_helper_thread, relay

log = logging.getLogger(__name__)

NUM_SFM_FRAMES = 12
MIN_PARALLAX_PX = 1.0
SFM_CUES = {
    "registered_share": "Share of sampled frames registered by SfM",
    "reprojection_error": "Mean SfM reprojection error (px)",
    "epipolar_residual": "Median epipolar distance of background matches (px)",
    "background_rigidity": "Share of background matches consistent with one rigid scene",
    "track_length": "Mean SfM track length (frames per 3D point)",
    "camera_path_jerk": "Camera-path roughness (2nd difference / step)",
    "focal_consistency": "Spread of per-frame focal lengths (CV)",
}


def pick_frames(n: int, k: int = NUM_SFM_FRAMES) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def _bg_mask(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    import cv2
    h, w = shape
    if mask is None:
        return np.full((h, w), 255, np.uint8)
    m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR) > 64
    m = cv2.dilate(m.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return np.where(m, 0, 255).astype(np.uint8)


def two_view(frames: list[np.ndarray], masks: list[np.ndarray]) -> dict:
    """Per consecutive pair: epipolar residual (px), inlier share, parallax (px), and
    whether a homography explains the matches (no measurable parallax)."""
    return drain(two_view_steps(frames, masks))


def two_view_steps(frames: list[np.ndarray], masks: list[np.ndarray]) -> Iterator[float | dict]:
    """Generator form of :func:`two_view`: yields a progress fraction after every frame and
    pair (so a cancelled job stops promptly) and returns the same dict."""
    import cv2

    cv2.setRNGSeed(0)  # reproducible RANSAC
    sift = cv2.SIFT_create(nfeatures=1500)
    feats = []
    for f, m in zip(frames, masks):
        g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
        feats.append(sift.detectAndCompute(g, m))
        yield 0.5 * len(feats) / max(1, len(frames))
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    res = {"epipolar": [], "inliers": [], "parallax": [], "planar": [], "matches": []}
    for j, ((k1, d1), (k2, d2)) in enumerate(zip(feats[:-1], feats[1:])):
        yield 0.5 + 0.5 * j / max(1, len(feats) - 1)
        if d1 is None or d2 is None or len(k1) < 16 or len(k2) < 16:
            for key in ("epipolar", "inliers", "parallax"):
                res[key].append(np.nan)
            res["planar"].append(False)
            res["matches"].append(0)
            continue
        good = [m for m, n in (p for p in matcher.knnMatch(d1, d2, k=2) if len(p) == 2) if m.distance < 0.75 * n.distance]
        res["matches"].append(len(good))
        if len(good) < 16:
            for key in ("epipolar", "inliers", "parallax"):
                res[key].append(np.nan)
            res["planar"].append(False)
            continue
        a = np.float32([k1[m.queryIdx].pt for m in good])
        b = np.float32([k2[m.trainIdx].pt for m in good])
        par = float(np.median(np.linalg.norm(a - b, axis=1)))
        try:
            f_mat, inl = cv2.findFundamentalMat(a, b, cv2.USAC_MAGSAC, 1.0, 0.999, 2000)
        except cv2.error:  # degenerate configuration (e.g. no parallax at all)
            f_mat, inl = None, None
        try:
            hom, hinl = cv2.findHomography(a, b, cv2.RANSAC, 1.5)
        except cv2.error:
            hom, hinl = None, None
        if f_mat is None or f_mat.shape != (3, 3):
            res["epipolar"].append(np.nan)
            res["inliers"].append(0.0)
        else:
            ha, hb = np.c_[a, np.ones(len(a))], np.c_[b, np.ones(len(b))]
            l2 = ha @ f_mat.T
            l1 = hb @ f_mat
            d = np.abs(np.sum(hb * l2, 1))
            dist = 0.5 * (d / np.hypot(l2[:, 0], l2[:, 1]) + d / np.hypot(l1[:, 0], l1[:, 1]))
            res["epipolar"].append(float(np.median(dist)))
            res["inliers"].append(float(inl.mean()) if inl is not None else 0.0)
        h_share = float(hinl.mean()) if hinl is not None else 0.0
        f_share = res["inliers"][-1]
        res["planar"].append(bool(par < MIN_PARALLAX_PX or h_share >= 0.95 * max(f_share, 1e-6)))
        res["parallax"].append(par)
    return {k: np.asarray(v) for k, v in res.items()}


def run_colmap(frames: list[np.ndarray], masks: list[np.ndarray], per_image_focal: bool = True, token=None) -> dict:
    """Incremental SfM with pycolmap on the masked frames (per-image focal lengths)."""
    import cv2
    import pycolmap

    pycolmap.logging.minloglevel = 2
    pycolmap.set_random_seed(0)   # with one thread everywhere, the same input gives the same model
    out: dict = {"registered": np.zeros(len(frames), bool), "points": np.zeros((0, 3)), "colors": np.zeros((0, 3)),
                 "centres": np.full((len(frames), 3), np.nan), "focals": np.full(len(frames), np.nan),
                 "reproj": None, "track": None}
    with tempfile.TemporaryDirectory(prefix="forensics_sfm_") as tmp:
        root = Path(tmp)
        (root / "sparse").mkdir()
        img_dir, mask_dir = root / "images", root / "masks"
        img_dir.mkdir()
        mask_dir.mkdir()
        names = []
        for i, (f, m) in enumerate(zip(frames, masks)):
            name = f"f{i:03d}.png"
            cv2.imwrite(str(img_dir / name), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(mask_dir / (name + ".png")), m)
            names.append(name)
        db = root / "db.db"
        reader = pycolmap.ImageReaderOptions()
        reader.mask_path = str(mask_dir)
        reader.camera_model = "SIMPLE_RADIAL"
        ext = pycolmap.FeatureExtractionOptions()
        ext.num_threads = 1
        ext.sift.max_num_features = 2048
        pycolmap.extract_features(db, img_dir, camera_mode=pycolmap.CameraMode.PER_IMAGE if per_image_focal else pycolmap.CameraMode.SINGLE, reader_options=reader,
                                  extraction_options=ext, device=pycolmap.Device.cpu,
                                  cancellation_token=token)
        match = pycolmap.FeatureMatchingOptions()
        match.num_threads = 1
        pycolmap.match_exhaustive(db, matching_options=match, device=pycolmap.Device.cpu, cancellation_token=token)
        opts = pycolmap.IncrementalPipelineOptions()
        opts.num_threads = 1
        opts.min_model_size = 3
        opts.random_seed = 0
        opts.max_runtime_seconds = 40
        mp_ = opts.mapper
        mp_.init_min_num_inliers, mp_.init_min_tri_angle = 30, 4.0
        mp_.abs_pose_min_num_inliers, mp_.abs_pose_min_inlier_ratio = 15, 0.2
        recs = pycolmap.incremental_mapping(db, img_dir, root / "sparse", opts, cancellation_token=token)
        if not recs:
            return out
        rec = max(recs.values(), key=lambda r: r.num_reg_images())
        for img in rec.images.values():
            if not img.has_pose:
                continue
            i = names.index(img.name)
            out["registered"][i] = True
            out["centres"][i] = img.projection_center()
            out["focals"][i] = rec.cameras[img.camera_id].mean_focal_length()
        pts = [(p.xyz, p.color) for p in rec.points3D.values()]
        if pts:
            out["points"] = np.array([p[0] for p in pts])
            out["colors"] = np.array([p[1] for p in pts]) / 255.0
        out["reproj"] = float(rec.compute_mean_reprojection_error())
        out["track"] = float(rec.compute_mean_track_length())
    return out


def _colmap_in_thread(frames: list[np.ndarray], masks: list[np.ndarray]) -> Iterator[float]:
    """Run :func:`run_colmap` on a helper thread, yielding every 0.1 s so the engine can cancel
    (closing this generator cancels pycolmap through its token)."""
    import pycolmap

    token = pycolmap.CancellationToken()

    def work():
        try:
            return run_colmap(frames, masks, token=token)
        except Exception as exc:  # noqa: BLE001 - SfM failure is a finding, not a crash
            log.warning("pycolmap failed: %s", exc)
            return None

    return (yield from in_helper_thread(work, lambda elapsed: min(0.85, 0.3 + 0.55 * elapsed / 20.0),
                                        "forensics-sfm", on_abandon=token.cancel))


def sfm_cues(frames: np.ndarray, person_masks: np.ndarray | None, *, use_colmap: bool = True
             ) -> Iterator[float | tuple[dict, dict]]:
    """Generator: yields progress; returns (cues {name: (value, per-frame, reason)}, geometry
    {points, colors, centres, frame_indices}) with per-frame curves over the analysed frames."""
    t = frames.shape[0]
    idx = pick_frames(t)
    cues: dict[str, tuple] = {}
    geometry = {"points": np.zeros((0, 3)), "colors": np.zeros((0, 3)), "centres": np.zeros((0, 3)),
                "frame_indices": idx.tolist()}
    if len(idx) < 3:
        reason = f"too few frames ({t}) for structure from motion"
        return {k: (None, None, reason) for k in SFM_CUES}, geometry
    fr = [frames[i] for i in idx]
    ms = [_bg_mask(None if person_masks is None else person_masks[i], frames.shape[1:3]) for i in idx]
    tv = yield from relay(two_view_steps(fr, ms), 0.0, 0.3)
    yield 0.3
    valid = np.isfinite(tv["epipolar"]) & ~tv["planar"]
    if valid.sum() == 0:
        if np.nanmedian(np.nan_to_num(tv["parallax"], nan=0.0)) < MIN_PARALLAX_PX or tv["planar"].all():
            reason = "static or purely rotating camera: no parallax, scene geometry cannot be measured"
        else:
            reason = "too few background features to match between frames"
        return {k: (None, None, reason) for k in SFM_CUES}, geometry
    pf_epi = np.full(t, np.nan)
    pf_rig = np.full(t, np.nan)
    for k in range(len(idx) - 1):
        if valid[k]:
            pf_epi[idx[k]:idx[k + 1] + 1] = tv["epipolar"][k]
            pf_rig[idx[k]:idx[k + 1] + 1] = tv["inliers"][k]
    cues["epipolar_residual"] = (float(np.median(tv["epipolar"][valid])), pf_epi, "")
    cues["background_rigidity"] = (float(np.median(tv["inliers"][valid])), pf_rig, "")
    if not use_colmap:
        for k in ("registered_share", "reprojection_error", "track_length", "camera_path_jerk", "focal_consistency"):
            cues[k] = (None, None, "incremental SfM switched off")
        return cues, geometry
    col = yield from _colmap_in_thread(fr, ms)
    yield 0.9
    if col is None:
        for k in ("registered_share", "reprojection_error", "track_length", "camera_path_jerk", "focal_consistency"):
            cues[k] = (None, None, "incremental SfM failed to run")
        return cues, geometry
    reg = col["registered"]
    pf_reg = np.full(t, np.nan)
    pf_reg[idx] = reg.astype(float)
    cues["registered_share"] = (float(reg.mean()), pf_reg, "")
    no_model = "SfM found no reconstruction"
    cues["reprojection_error"] = (col["reproj"], None, "" if col["reproj"] is not None else no_model)
    cues["track_length"] = (col["track"], None, "" if col["track"] is not None else no_model)
    c = col["centres"][reg]
    if c.shape[0] >= 4:
        step = np.linalg.norm(np.diff(c, axis=0), axis=1)
        acc = np.linalg.norm(np.diff(c, n=2, axis=0), axis=1)
        rough = acc / (np.median(step) + 1e-9)
        pf_c = np.full(t, np.nan)
        pf_c[idx[reg][1:-1]] = rough
        cues["camera_path_jerk"] = (float(np.median(rough)), pf_c, "")
        f = col["focals"][reg]
        cues["focal_consistency"] = (float(np.std(f) / np.mean(f)), None, "")
    else:
        for k in ("camera_path_jerk", "focal_consistency"):
            cues[k] = (None, None, f"only {int(reg.sum())} frames registered")
    geometry.update(points=col["points"], colors=col["colors"], centres=c,
                    centre_frames=np.asarray(idx)[reg].tolist())
    return cues, geometry
