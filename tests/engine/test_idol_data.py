"""IDOL data: pose images, depth colour maps, masks, shards, held-out recipes and a resumable trainer."""
from __future__ import annotations

import colorsys
import json
from dataclasses import replace

import numpy as np
import pytest

from app.engine.idol.conditions import (decode, depth_bounds, depth_person_mask, draw_pose, encode_depth, iou,
                                        rgb_person_mask)
from app.engine.idol.render_data import HELD_OUT_BG_HUES, HELD_OUT_CLOTH_HUES, room_image, sample_spec


def _keypoints(frames: int = 2, size: int = 64) -> np.ndarray:
    from app.core.skeleton import smpl22_skeleton

    rest = smpl22_skeleton().rest_positions()
    kp = np.zeros((frames, 22, 3), np.float32)
    kp[..., 0] = size / 2 + rest[:, 0] * 25
    kp[..., 1] = size * 0.9 - rest[:, 1] * 25
    kp[..., 2] = 3.0 - rest[:, 2]
    return kp


def test_pose_image_draws_the_skeleton_in_colour():
    img = draw_pose(_keypoints(), 64)
    assert img.shape == (2, 64, 64, 3) and img.dtype == np.uint8
    lit = img[0].max(-1) > 0
    assert 60 < lit.sum() < 1500
    u, v = np.rint(_keypoints()[0, 0, :2]).astype(int)   # the pelvis lies on drawn bones
    assert lit[v - 1:v + 2, u - 1:u + 2].any()
    assert len({tuple(c) for c in img[0][lit]}) > 8        # bones have distinct colours
    assert not draw_pose(np.full((1, 22, 3), np.nan, np.float32), 64).any()


def test_mirrored_pose_is_the_flipped_skeleton_with_sides_swapped():
    from app.core.skeleton import SMPL22_NAMES
    from app.engine.idol.data import _mirror

    kp = _keypoints(1)
    kp[0, SMPL22_NAMES.index("left_wrist"), :2] += (6, -10)     # an asymmetric pose
    mirrored = _mirror(kp, 64)
    lit = draw_pose(kp, 64)[0].max(-1) > 0
    lit_m = draw_pose(mirrored, 64)[0].max(-1) > 0
    assert iou(lit[:, ::-1], lit_m) > 0.8
    li, ri = SMPL22_NAMES.index("left_wrist"), SMPL22_NAMES.index("right_wrist")
    assert np.allclose(mirrored[0, ri, 0], 63 - kp[0, li, 0]) and np.allclose(mirrored[0, ri, 1], kp[0, li, 1])


def test_depth_colour_map_round_trip_and_masks():
    near, far = depth_bounds(_keypoints())
    assert near < 3.0 < far
    depth = np.zeros((1, 16, 16), np.float32)
    depth[0, 4:12, 4:12] = np.linspace(2.0, 4.0, 64).reshape(8, 8)
    vis = encode_depth(depth, near, far)
    assert vis.shape == (1, 16, 16, 3) and not vis[0, 0, 0].any()
    back = decode(vis, near, far)
    assert np.abs(back - depth)[depth > 0].max() < (far - near) / 255 + 1e-3
    assert (back[depth == 0] == 0).all()
    env = np.full((1, 16, 16), 3.5, np.float32)
    assert depth_person_mask(back, env).sum() < depth_person_mask(back).sum() == 64
    bg = np.full((1, 16, 16, 3), 90, np.uint8)
    rgb = bg.copy()
    rgb[0, 4:12, 4:12] = 200
    assert iou(rgb_person_mask(rgb, bg), depth > 0) == 1.0
    assert iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def _hue(rgb) -> float:
    return colorsys.rgb_to_hsv(*rgb)[0] * 360


def test_test_split_uses_held_out_colours_only():
    for split, inside in (("train", False), ("test", True)):
        for j in range(30):
            spec = sample_spec(np.random.default_rng([0, j]), "m", 200, 16, split)
            hues = [(_hue(spec.top), HELD_OUT_CLOTH_HUES)] if spec.top else []
            hues += [(_hue(spec.bg_color), HELD_OUT_BG_HUES), (_hue(spec.room["wall"]), HELD_OUT_BG_HUES)]
            for h, bands in hues:
                if colorsys.rgb_to_hsv(*spec.bg_color)[1] == 0:
                    continue
                assert any(a <= h + 1e-6 and h - 1e-6 < b for a, b in bands) == inside, (split, h)
            assert 0 <= spec.start <= 200 - 32
    a = sample_spec(np.random.default_rng([0, 1]), "m", 200, 16, "train")
    assert a == sample_spec(np.random.default_rng([0, 1]), "m", 200, 16, "train")   # seeded
    img = room_image(a.room, 64)
    assert img.shape == (64, 64, 3) and img.std() > 5


def _fake_clip(rng, frames=4, size=16) -> dict:
    kp = _keypoints(frames, size) * np.array([0.25, 0.25, 1.0], np.float32)
    depth = np.zeros((frames, size, size), np.float16)
    depth[:, 4:12, 6:10] = 3.0
    return {"rgb": rng.integers(0, 256, (frames, size, size, 3), dtype=np.uint8), "depth": depth,
            "mask": depth > 0, "keypoints": kp, "reference": rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
            "background": np.full((frames, size, size, 3), 80, np.uint8),
            "near_far": np.asarray(depth_bounds(kp), np.float32), "K": np.eye(3, dtype=np.float32),
            "world_to_camera": np.tile(np.eye(4, dtype=np.float32), (frames, 1, 1))}


def test_shards_round_trip_and_batches(tmp_path):
    from app.engine.idol.data import BatchSampler, load_clips, shard_path, write_shard

    rng = np.random.default_rng(0)
    clips = [_fake_clip(rng) for _ in range(3)]
    write_shard(shard_path(tmp_path, "train", 0), clips[:2], [{"i": 0}, {"i": 1}])
    write_shard(shard_path(tmp_path, "train", 1), clips[2:], [{"i": 2}])
    assert not list(tmp_path.glob(".*partial*"))
    loaded = load_clips(tmp_path, "train")
    assert [c.spec["i"] for c in loaded] == [0, 1, 2] and len(load_clips(tmp_path, "train", limit=2)) == 2
    assert np.array_equal(loaded[2].arrays["rgb"], clips[2]["rgb"])
    win = loaded[0].window(1, 3)
    assert win["rgb"].shape == win["depth_vis"].shape == win["pose"].shape == (3, 16, 16, 3)
    assert win["depth_vis"][0, 8, 8].any() and not win["depth_vis"][0, 0, 0].any()
    sampler = BatchSampler(loaded, 3, seed=1, flip=True)
    state = sampler.state()
    first = sampler.sample(2)
    sampler.set_state(state)
    assert all(np.array_equal(a["rgb"], b["rgb"]) for a, b in zip(first, sampler.sample(2)))
    with pytest.raises(ValueError, match="frames"):
        BatchSampler(loaded, 9)


def _tiny_training(seed: int) -> tuple:
    """(torch, TrainConfig, Trainer, two fake clips, the tiny 3-frame config) for trainer tests."""
    torch = pytest.importorskip("torch")
    from app.engine.idol.config import IDOL_TINY, TrainConfig
    from app.engine.idol.data import Clip
    from app.engine.idol.train import Trainer

    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    return torch, TrainConfig, Trainer, [Clip(_fake_clip(rng), {}) for _ in range(2)], replace(IDOL_TINY, frames=3)


def test_trainer_learns_checkpoints_and_resumes(tmp_path):
    torch, TrainConfig, Trainer, clips, cfg = _tiny_training(0)
    tcfg = TrainConfig(max_steps=3, log_every=1, lr=1e-3, warmup=1, checkpoint_minutes=100)
    tr = Trainer(cfg, tcfg, clips, tmp_path / "run")
    assert tr.run() == 3
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"loss", "mse_rgb", "mse_depth", "motion", "attn", "sec", "cpu_sec"} <= set(log[-1])
    assert (tmp_path / "run" / "model" / "idol.json").is_file()
    again = Trainer(cfg, replace(tcfg, max_steps=4), clips, tmp_path / "run")
    assert again.resume() and again.step == 3
    for p, q in zip(tr.pipe.unet.parameters(), again.pipe.unet.parameters()):
        assert torch.equal(p, q)
    assert again.run() == 4
    with pytest.raises(ValueError, match="another configuration"):
        Trainer(replace(cfg, w_attn=0.5), tcfg, clips, tmp_path / "run").resume()
    assert Trainer(replace(cfg, guidance=3.0, sample_steps=5), tcfg, clips, tmp_path / "run").resume()


def test_a_new_run_starts_from_an_exported_model(tmp_path):
    torch, TrainConfig, Trainer, clips, cfg = _tiny_training(1)
    tcfg = TrainConfig(max_steps=2, log_every=1, lr=1e-3, warmup=1, ema=0.9, checkpoint_minutes=100)
    first = Trainer(cfg, tcfg, clips, tmp_path / "a")
    first.run()
    exported = first.export(tmp_path / "exported")
    second = Trainer(cfg, replace(tcfg, max_steps=4, warmup=10), clips, tmp_path / "b")
    second.init_from(exported)
    assert second.step == 2 and second.first_step == 2
    for p, q, e in zip(first.ema[0].parameters(), second.pipe.unet.parameters(), second.ema[0].parameters()):
        assert torch.equal(p, q) and torch.equal(p, e)
    assert second.lr_at(2) == pytest.approx(1e-4)    # the warm-up restarts with the new optimiser
    assert second.run() == 4
    with pytest.raises(ValueError, match="another configuration"):
        Trainer(replace(cfg, w_attn=0.5), tcfg, clips, tmp_path / "c").init_from(exported)


def test_prefetch_trains_on_the_same_batches_and_milestones_are_exported(tmp_path):
    torch, TrainConfig, Trainer, clips, cfg = _tiny_training(2)
    tcfg = TrainConfig(max_steps=4, log_every=1, lr=1e-3, warmup=1, checkpoint_minutes=100)
    plain = Trainer(cfg, tcfg, clips, tmp_path / "plain")
    plain.run()
    ahead = Trainer(cfg, replace(tcfg, prefetch=True, export_every=2), clips, tmp_path / "ahead")
    assert ahead.run() == 4
    for p, q in zip(plain.pipe.unet.parameters(), ahead.pipe.unet.parameters()):
        assert torch.equal(p, q)     # the helper thread draws the same windows in the same order
    assert sorted(p.name for p in (tmp_path / "ahead").glob("model_step*")) == ["model_step000002", "model_step000004"]
    assert json.loads((tmp_path / "ahead" / "model_step000002" / "idol.json").read_text())["info"]["steps"] == 2


def test_bf16_autocast_training_runs_and_stays_close_to_fp32(tmp_path):
    torch, TrainConfig, Trainer, clips, cfg = _tiny_training(3)
    tcfg = TrainConfig(max_steps=2, log_every=1, lr=1e-3, warmup=1, checkpoint_minutes=100)
    ref = Trainer(cfg, tcfg, clips, tmp_path / "fp32")
    ref.run()
    half = Trainer(cfg, replace(tcfg, amp="bf16"), clips, tmp_path / "bf16")
    half.run()
    logs = [json.loads(x) for x in (tmp_path / "bf16" / "log.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["loss"]) for r in logs)
    first = json.loads((tmp_path / "fp32" / "log.jsonl").read_text().splitlines()[0])
    assert logs[0]["loss"] == pytest.approx(first["loss"], rel=0.05) and logs[0]["loss"] != first["loss"]
    with pytest.raises(ValueError, match="amp"):
        Trainer(cfg, replace(tcfg, amp="fp8"), clips, tmp_path / "x")
