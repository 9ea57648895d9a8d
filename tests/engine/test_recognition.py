"""Skeleton-route recogniser (A-TSCN + evidential head) on tiny random-weight models and toy data."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from app.core.motion import MotionClip
from app.core.skeleton import smpl22_skeleton
from app.engine.corpus.registry import generate
from app.engine.recognition import features as F
from app.engine.recognition.config import RecognitionConfig, override
from app.engine.recognition.localize import (Proposal, frame_uncertainty, nms, proposals, segment,
                                             span_uncertainty, tiou)
from app.engine.recognition.losses import edl_terms, mil_loss, norm_loss, topk_pool
from app.engine.recognition.metrics import auroc, average_precision, detection_map
from app.engine.recognition.model import ATSCN, dirichlet


def tiny_cfg(**kw) -> RecognitionConfig:
    base = RecognitionConfig(labels=["a", "b", "c"], hidden=16, layers=2, dropout=0.0)
    return replace(base, **kw)


# ----------------------------------------------------------------------------- features
def test_features_shapes_and_invariance():
    clip = generate("walk", {"steps": 6}, np.random.default_rng(0))
    pose, motion = F.clip_features(clip)
    assert pose.shape == (clip.num_frames, F.POSE_DIM) and motion.shape == (clip.num_frames, F.MOTION_DIM)
    assert pose.dtype == np.float32 and np.isfinite(pose).all() and np.isfinite(motion).all()
    moved = clip.rotated_about_y(1.3)
    moved.trans[:, [0, 2]] += [4.0, -2.0]
    p2, m2 = F.clip_features(moved)
    assert np.abs(p2 - pose).max() < 1e-4 and np.abs(m2 - motion).max() < 1e-3
    assert motion[:, 2].mean() > 0.3          # walks forward in its own heading frame
    back = F.clip_features(generate("walk_backward", {}, np.random.default_rng(0)))[1]
    assert back[:, 2].mean() < -0.1
    still = F.clip_features(clip, root_motion=False)[1]
    assert np.abs(still[:, [0, 2, 3]]).max() == 0.0


def test_other_skeletons_are_put_on_the_reference():
    clip = generate("squat", {}, np.random.default_rng(1))
    big = MotionClip(clip.fps, clip.trans * 1.2, clip.rotations, smpl22_skeleton().scaled(1.2))
    p_ref, _ = F.clip_features(clip)
    p_big, _ = F.clip_features(big)
    assert np.abs(p_big - p_ref).max() < 1e-3
    slow = clip.resample(40.0)
    assert F.clip_features(slow)[0].shape[0] == clip.num_frames


def test_rotations_come_from_the_joint_positions():
    """Two files with the same joint positions but other local rotations (e.g. a retargeted rig's
    rest conventions, here: the twist removed) give the same features."""
    from app.core.rotations import matrix_to_axis_angle

    clip = generate("punch", {}, np.random.default_rng(2))
    untwisted = MotionClip(clip.fps, clip.trans, matrix_to_axis_angle(F.ik_local_rotations(clip.joints())))
    assert np.abs(untwisted.joints() - clip.joints()).max() < 0.01  # IK: within a centimetre
    assert np.abs(untwisted.rotations - clip.rotations).max() > 0.1
    a, b = F.clip_features(clip)[0], F.clip_features(untwisted)[0]
    assert np.abs(a - b).max() < 0.05  # the raw rotations differ by > 0.1 rad


# ----------------------------------------------------------------------------- model
def test_model_shapes_ranges_and_padding_invariance():
    torch.manual_seed(0)
    cfg = tiny_cfg()
    m = ATSCN(cfg).eval()
    x_p, x_m = torch.randn(2, 30, cfg.pose_dim), torch.randn(2, 30, cfg.motion_dim)
    mask = torch.ones(2, 30)
    mask[1, 18:] = 0
    out = m(x_p, x_m, mask)
    assert out["fused_att"].shape == (2, 30) and out["fused_prob"].shape == (2, 30, 3)
    assert out["evidence"].shape == (2, 30, 3) and (out["evidence"] >= 0).all()
    assert set(out["cas"]) == {"pose", "motion"} and out["cas"]["pose"].shape == (2, 30, 3)
    assert torch.allclose(out["fused_prob"].sum(-1), torch.ones(2, 30), atol=1e-5)
    assert ((out["fused_att"][0] > 0) & (out["fused_att"][0] < 1)).all() and (out["fused_att"][1, 18:] == 0).all()
    alone = m(x_p[1:, :18], x_m[1:, :18], torch.ones(1, 18))
    assert torch.allclose(alone["fused_prob"][0], out["fused_prob"][1, :18], atol=1e-5)
    single = ATSCN(tiny_cfg(streams=["motion"]))
    assert set(single(x_p, x_m, mask)["att"]) == {"motion"}


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(1)
    m = ATSCN(tiny_cfg(unknown_threshold=0.37)).eval()
    m.set_stats({"pose": (np.full(m.cfg.pose_dim, 0.5, np.float32), np.full(m.cfg.pose_dim, 2.0, np.float32)),
                 "motion": (np.zeros(m.cfg.motion_dim, np.float32), np.ones(m.cfg.motion_dim, np.float32))})
    m.save_pretrained(tmp_path / "model", note="test")
    assert (tmp_path / "model" / "model.safetensors").is_file() and (tmp_path / "model" / "config.json").is_file()
    back = ATSCN.from_pretrained(tmp_path / "model", device="cpu")
    assert back.cfg == m.cfg and back.meta["note"] == "test" and not back.training
    x_p, x_m, mask = torch.randn(1, 25, m.cfg.pose_dim), torch.randn(1, 25, m.cfg.motion_dim), torch.ones(1, 25)
    a, b = m(x_p, x_m, mask), back(x_p, x_m, mask)
    assert torch.allclose(a["evidence"], b["evidence"]) and torch.allclose(a["fused_att"], b["fused_att"])


# ----------------------------------------------------------------------------- losses
def test_topk_pool_and_norm_loss_values():
    cas = torch.tensor([[[1.0], [5.0], [3.0], [100.0]]])  # the last frame is padding
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    assert torch.allclose(topk_pool(cas, mask, ratio=2.0), torch.tensor([[4.0]]))  # k = ceil(3/2) = 2
    ones = torch.ones(1, 6)
    assert float(norm_loss(torch.tensor([[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]]), ones)) == pytest.approx(0.0)
    assert float(norm_loss(torch.full((1, 6), 0.5), ones)) == pytest.approx(0.5)


def _toy_batch(rng: np.random.Generator, n: int, t: int, dim: int, k: int) -> tuple:
    """Class c is a +3 bump in input dim c on a random span; videos hold 1-2 classes."""
    x = rng.normal(0, 0.3, (n, t, dim)).astype(np.float32)
    y = np.zeros((n, k), np.float32)
    for i in range(n):
        for c in rng.choice(k, size=int(rng.integers(1, 3)), replace=False):
            a = int(rng.integers(0, t - 10))
            x[i, a:a + 10, c] += 3.0
            y[i, c] = 1.0
    return torch.from_numpy(x), torch.from_numpy(y)


def test_mil_loss_decreases_on_a_toy_problem():
    torch.manual_seed(0)
    cfg = tiny_cfg(streams=["pose"])
    m = ATSCN(cfg)
    rng = np.random.default_rng(0)
    x, y = _toy_batch(rng, 48, 40, cfg.pose_dim, 3)
    mask = torch.ones(48, 40)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    losses = []
    for _ in range(80):
        out = m(x, torch.zeros(48, 40, cfg.motion_dim), mask)
        loss, _ = mil_loss(out["att"]["pose"], out["cas"]["pose"], mask, y, cfg.topk_ratio)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    m.eval()
    xt, yt = _toy_batch(np.random.default_rng(9), 32, 40, cfg.pose_dim, 3)
    cas = m(xt, torch.zeros(32, 40, cfg.motion_dim), torch.ones(32, 40))["cas"]["pose"]
    top = topk_pool(cas, torch.ones(32, 40), cfg.topk_ratio).argmax(-1)
    assert float(yt[torch.arange(32), top].mean()) > 0.8   # the top class is present in held-out toy videos


def test_evidential_uncertainty():
    probs, u = dirichlet(torch.zeros(2, 4))
    assert torch.allclose(u, torch.ones(2)) and torch.allclose(probs, torch.full((2, 4), 0.25))
    _, u_conf = dirichlet(torch.tensor([[200.0, 0.0, 0.0, 0.0]]))
    assert float(u_conf) < 0.05
    target = torch.tensor([[1.0, 0.0, 0.0]])
    right, kl_right = edl_terms(torch.tensor([[50.0, 0.0, 0.0]]), target)
    wrong, kl_wrong = edl_terms(torch.tensor([[0.0, 50.0, 0.0]]), target)
    assert float(right) < float(wrong) and float(kl_right) < 1e-6 < float(kl_wrong)
    ev = np.zeros((10, 3))
    ev[:5, 0] = 100.0
    assert span_uncertainty(ev[:5])[1] < 0.05 and span_uncertainty(ev[5:])[1] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- localisation
def test_nms_and_tiou():
    assert tiou((0, 10), np.array([[5, 15]]))[0] == pytest.approx(5 / 15)
    props = [Proposal(0, 0, 10, 0.9), Proposal(0, 1, 11, 0.8), Proposal(1, 0, 10, 0.7), Proposal(0, 30, 40, 0.5)]
    kept = nms(props, 0.5)
    assert [(p.cls, p.start) for p in kept] == [(0, 0), (1, 0), (0, 30)]


def _two_action_scores(t: int = 60) -> tuple:
    att = np.ones(t)
    prob = np.full((t, 3), 0.02)
    prob[:30, 0], prob[30:, 1] = 0.96, 0.96
    ev = np.zeros((t, 3))
    ev[:30, 0] = 300.0          # confident first half, no evidence in the second half
    return att, prob, np.array([0.5, 0.45, 0.05]), ev


def test_proposals_and_segments_find_the_two_actions():
    cfg = tiny_cfg(unknown_threshold=0.5)
    att, prob, vp, ev = _two_action_scores()
    props = proposals(att, prob, vp, cfg)
    best = {p.cls: p for p in sorted(props, key=lambda p: p.score)}
    assert (best[0].start, best[0].end) == (0, 30) and (best[1].start, best[1].end) == (30, 60)
    assert 2 not in best
    acts = segment(att, prob, vp, ev, cfg.labels, cfg)
    assert [a["label"] for a in acts] == ["a", "unknown"]
    assert acts[0]["start_s"] == 0.0 and acts[0]["end_s"] == 1.5 and acts[1]["end_s"] == 3.0
    assert all(a["end_s"] <= b["start_s"] for a, b in zip(acts, acts[1:]))


def test_uncertain_frames_inside_a_known_run_become_their_own_unknown_span():
    """One detected class over the whole clip, but no evidence in frames 20-40 (an action the model never
    learned inside a known one): off, the run is one known action; with the frame threshold, the
    uncertain frames are an "unknown" span between two known ones."""
    t = 60
    att, prob = np.ones(t), np.full((t, 3), 0.02)
    prob[:, 0] = 0.96
    ev = np.zeros((t, 3))
    ev[:20, 0] = ev[40:, 0] = 300.0
    vp = np.array([0.9, 0.05, 0.05])
    off = segment(att, prob, vp, ev, ["a", "b", "c"], tiny_cfg(unknown_threshold=0.5))
    assert [a["label"] for a in off] == ["a"]
    cfg = tiny_cfg(unknown_threshold=0.5, unknown_frame_threshold=0.5, unknown_window_s=0.1)
    acts = segment(att, prob, vp, ev, ["a", "b", "c"], cfg)
    assert [a["label"] for a in acts] == ["a", "unknown", "a"]
    assert acts[1]["start_s"] == pytest.approx(20 / cfg.fps, abs=0.1)
    assert acts[1]["end_s"] == pytest.approx(2.0, abs=0.1)


def test_frame_uncertainty_is_the_windowed_mean_evidence():
    ev = np.random.default_rng(0).random((30, 4)) * 5
    u = frame_uncertainty(ev, 5)
    padded = np.pad(ev, ((2, 2), (0, 0)), mode="edge")
    mean = np.stack([padded[i:i + 5].mean(0) for i in range(30)])
    assert np.allclose(u, 4 / (mean + 1).sum(1))
    assert np.allclose(frame_uncertainty(ev, 1), 4 / (ev + 1).sum(1))


def test_map_and_auroc():
    gts = [("v1", 0, 10), ("v2", 5, 20)]
    assert average_precision([("v1", 0, 10, 0.9), ("v2", 5, 20, 0.8)], gts, 0.7) == pytest.approx(1.0)
    assert average_precision([("v1", 0, 10, 0.9), ("v1", 0, 10, 0.85), ("v2", 5, 20, 0.8)], gts, 0.5) \
        == pytest.approx((1.0 + 2 / 3) / 2)
    res = detection_map([("v1", "a", 0, 10, 0.9), ("v1", "b", 40, 50, 0.9)],
                        [("v1", "a", 0, 10), ("v1", "b", 10, 20)], ["a", "b", "c"])
    assert res["mAP@0.5"] == pytest.approx(50.0) and res["classes"] == 2
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert auroc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5


def test_config_override():
    cfg = override(RecognitionConfig(), ["refine_iters=3", "streams=pose", "w_norm=0", "root_motion=false"])
    assert cfg.refine_iters == 3 and cfg.streams == ["pose"] and cfg.w_norm == 0.0 and cfg.root_motion is False
    with pytest.raises(ValueError):
        override(cfg, ["nope=1"])


def test_features_ignore_the_performers_bone_lengths():
    """Features v4: the same rotations on a skeleton with a zero-length thorax (CMU subject 16) and
    longer arms give the reference skeleton's features; a different motion does not."""
    from app.core.skeleton import Skeleton
    clip = generate("wave", rng=np.random.default_rng(3))
    off = clip.skeleton.offsets.copy()
    names = list(clip.skeleton.names)
    off[names.index("spine3")] = 0.0
    for j in ("left_elbow", "right_elbow", "left_wrist", "right_wrist"):
        off[names.index(j)] *= 1.3
    odd = MotionClip(clip.fps, clip.trans, clip.rotations, Skeleton(clip.skeleton.names, clip.skeleton.parents, off))
    pose_a, motion_a = F.clip_features(clip)
    pose_b, motion_b = F.clip_features(odd)
    assert np.abs(pose_a - pose_b).max() < 1e-4 and np.abs(motion_a - motion_b).max() < 1e-3
    other = F.clip_features(generate("squat", rng=np.random.default_rng(3)))[0]
    n = min(len(other), len(pose_a))
    assert np.abs(other[:n] - pose_a[:n]).max() > 0.1


def test_a_part_the_video_score_splits_away_keeps_its_frames():
    """Three parts, each won by its own class at 0.9 in its frames; the video score (a distribution over classes)
    gives the second and third 0.09 and 0.05, under class_threshold. They are still labelled, not walk."""
    from app.engine.recognition.localize import detected_classes

    cfg = RecognitionConfig()
    t, k = 60, 5
    prob = np.full((t, k), 0.025)
    for c, (a, b) in enumerate([(0, 20), (20, 40), (40, 60)]):
        prob[a:b, c] = 0.9
    video = np.array([0.86, 0.09, 0.05, 0.0, 0.0])
    evidence = np.zeros((t, k))
    evidence[np.arange(t), prob.argmax(1)] = 50.0
    labels = ["walk", "jump", "wave", "clap", "bow"]
    got = [a["label"] for a in segment(np.ones(t), prob, video, evidence, labels, cfg)]
    assert got == ["walk", "jump", "wave"]
    assert list(detected_classes(video, cfg)) == [0]                       # the video score alone: walk only
    off = replace(cfg, frame_class_threshold=0.0)
    assert [a["label"] for a in segment(np.ones(t), prob, video, evidence, labels, off)] == ["walk"]
