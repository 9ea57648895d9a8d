"""Body models: Anny retargeting (T-pose, facing, ground, joint tracking), phenotypes, preparation, SMPL."""
from __future__ import annotations

import time

import numpy as np
import pytest

from app.core.motion import MotionClip, rest_clip
from app.core.skeleton import SMPL22_NAMES, SMPL22_PARENTS, SMPL22_REST_POSITIONS, rest_floor_height
from app.engine.body import available_bodies, get_body, is_anny_prepared, prepare_anny
from app.engine.body.prepare import _estimate, resolve_anny_cache_dir
from app.engine.body.smpl_body import NOT_FOUND, SmplBody, smpl_available
from app.engine.jobs import Engine, JobState, Progress

J = {n: i for i, n in enumerate(SMPL22_NAMES)}
LIMBS = [(f"{s}_{a}", f"{s}_{b}") for s in ("left", "right")
         for a, b in (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))]


@pytest.fixture(scope="session")
def prepared():
    """Prepare Anny once (about a minute the very first time on a machine), recording the progress."""
    gen = prepare_anny()
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            return stop.value, items


@pytest.fixture
def body(prepared):
    from app.engine.body.anny_body import AnnyBody

    return AnnyBody(prepared[0].model)  # fresh phenotype per test, shared torch model


def walk_clip(frames: int = 90, skeleton=None) -> MotionClip:
    """A procedural walk with arm swing, spine twist, nodding and a slow turn."""
    t = np.arange(frames) / 30.0
    s = lambda a, ph=0.0: a * np.sin(2 * np.pi * t + ph)  # noqa: E731
    rot = np.zeros((frames, 22, 3))
    rot[:, J["left_hip"], 0], rot[:, J["right_hip"], 0] = s(0.6), s(0.6, np.pi)
    rot[:, J["left_knee"], 0], rot[:, J["right_knee"], 0] = 0.6 + s(0.5), 0.6 + s(0.5, np.pi)
    rot[:, J["left_shoulder"], 2], rot[:, J["right_shoulder"], 2] = -1.1 + s(0.3), 1.1 + s(0.3)
    rot[:, J["left_shoulder"], 1], rot[:, J["right_shoulder"], 1] = s(0.5, np.pi), s(0.5)
    rot[:, J["left_elbow"], 1], rot[:, J["right_elbow"], 1] = -0.8 + s(0.3), 0.8 + s(0.3)
    rot[:, J["spine1"], 1], rot[:, J["spine2"], 0], rot[:, J["neck"], 0] = s(0.2), 0.2, s(0.3)
    rot[:, 0, 1] = 0.5 * t
    trans = np.stack([0.3 * t, 0.92 + 0.03 * np.sin(4 * np.pi * t), 1.2 * t], 1)
    kw = {} if skeleton is None else {"skeleton": skeleton}
    return MotionClip(30.0, trans, rot, **kw)


def bone_cosines(a: np.ndarray, b: np.ndarray, pairs) -> np.ndarray:
    out = []
    for p, c in pairs:
        u, v = a[:, J[c]] - a[:, J[p]], b[:, J[c]] - b[:, J[p]]
        out.append((u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1))
    return np.array(out)


@pytest.mark.anny
def test_prepare_reports_progress_and_caches(prepared, tmp_path, monkeypatch):
    """While the model loads (a black box) the task keeps yielding time-based progress."""
    import app.engine.body.prepare as prep

    model = prepared[0].model

    def slow_load(folder):
        time.sleep(0.7)
        return model

    monkeypatch.setattr(prep, "cached_anny_model", lambda folder: None)
    monkeypatch.setattr(prep, "load_anny_model", slow_load)
    gen = prep.prepare_anny()
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            body = stop.value
            break
    progress = [p for p in items if isinstance(p, Progress)]
    assert len(progress) >= 3 and progress[0].fraction == 0.0 and progress[-1].fraction == 1.0
    fractions = [p.fraction for p in progress]
    assert all(0.0 <= f <= 1.0 for f in fractions) and fractions == sorted(fractions)
    assert all(p.message for p in progress)
    assert body.name == "anny"
    assert is_anny_prepared(resolve_anny_cache_dir())
    assert not is_anny_prepared(tmp_path)
    start = time.monotonic()
    gen = prepare_anny()
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    assert stop.value.value.model is body.model  # one model per process
    assert time.monotonic() - start < 2.0
    job = Engine(synchronous=True).submit("prepare body", prepare_anny)
    assert job.state == JobState.DONE and job.result.model is body.model
    estimates = [_estimate(t, 60.0) for t in (0.0, 30.0, 60.0, 120.0, 600.0)]
    assert estimates == sorted(estimates) and estimates[-1] < 1.0


@pytest.mark.anny
def test_zero_pose_is_t_pose_facing_plus_z(body):
    verts = body.rest_vertices()
    skel = body.skeleton_smpl22()
    rest = skel.rest_positions()
    assert verts.dtype == np.float32 and verts.shape == (13718, 3)
    assert abs(verts[:, 1].min()) < 1e-4                      # soles on the ground
    assert 1.5 < verts[:, 1].max() < 1.8                      # a plausible adult
    assert rest[J["left_wrist"], 0] > 0.5 > -0.5 > rest[J["right_wrist"], 0]  # left arm towards +X
    for side in ("left", "right"):                            # arms horizontal
        assert abs(rest[J[f"{side}_wrist"], 1] - rest[J[f"{side}_shoulder"], 1]) < 0.05
        assert rest[J[f"{side}_foot"], 2] > rest[J[f"{side}_ankle"], 2] + 0.08  # toes forward (+Z)
    face = verts[verts[:, 1] > rest[J["head"], 1]]
    assert face[:, 2].max() > rest[J["head"], 2] + 0.07       # the face points to +Z
    clip = rest_clip(2)
    posed = body.pose(clip)
    assert posed.shape == (2, 13718, 3)
    np.testing.assert_allclose(posed[1], verts, atol=1e-4)
    np.testing.assert_allclose(body.joints_smpl22(clip)[0], rest, atol=1e-4)
    tri = verts[body.faces]
    volume = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    assert volume > 0.03  # outward-facing triangles


@pytest.mark.anny
def test_raising_left_arm_moves_left_wrist_up(body):
    clip = rest_clip(2)
    clip.rotations[1, J["left_shoulder"]] = [0.0, 0.0, 1.2]  # about +Z: +X arm swings up
    joints = body.joints_smpl22(clip)
    verts = body.pose(clip)
    assert joints[1, J["left_wrist"], 1] > joints[0, J["left_wrist"], 1] + 0.3
    np.testing.assert_allclose(joints[1, J["right_wrist"]], joints[0, J["right_wrist"]], atol=1e-4)
    assert verts[1, :, 1].max() > verts[0, :, 1].max() + 0.1  # the hand is now the highest point


@pytest.mark.anny
def test_body_follows_clip_directions_and_ground(body):
    clip = walk_clip()
    cj = clip.joints()
    verts, aj = body.pose_with_joints(clip)
    assert verts.shape == (90, 13718, 3) and aj.shape == (90, 22, 3)
    assert bone_cosines(aj, cj, LIMBS).min() > 0.95
    torso = [("spine1", "spine2"), ("spine3", "neck"), ("neck", "head"), ("left_knee", "left_ankle")]
    assert bone_cosines(aj, cj, torso).min() > 0.85
    # root: the stride is scaled by the ratio of leg lengths
    scale = rest_floor_height(body.skeleton_smpl22()) / rest_floor_height(clip.skeleton)
    travel = aj[-1, 0, [0, 2]] - aj[0, 0, [0, 2]]
    np.testing.assert_allclose(travel, scale * (cj[-1, 0, [0, 2]] - cj[0, 0, [0, 2]]), atol=1e-4)
    lowest = verts[..., 1].min(axis=1)
    assert -0.02 < lowest.min() < 0.02  # soles reach the ground, barely penetrate


@pytest.mark.anny
def test_retargeted_clip_matches_body_joints(body):
    clip = walk_clip(30, skeleton=body.skeleton_smpl22())
    cj, aj = clip.joints(), body.joints_smpl22(clip)
    all_bones = [(SMPL22_NAMES[p], SMPL22_NAMES[j]) for j, p in enumerate(SMPL22_PARENTS) if p >= 0]
    assert bone_cosines(aj, cj, all_bones).min() > 0.98
    rel_a, rel_c = aj - aj[:, :1], cj - cj[:, :1]
    assert np.abs(rel_a - rel_c).max() < 0.02


@pytest.mark.anny
def test_frame_selection_and_chunking(body):
    clip = walk_clip(100)  # more than one chunk
    full = body.pose(clip)
    np.testing.assert_allclose(body.pose(clip, range(95, 100)), full[95:], atol=1e-5)
    np.testing.assert_allclose(body.pose(clip, slice(0, 3)), full[:3], atol=1e-5)
    assert body.pose(clip, slice(0, 0)).shape == (0, 13718, 3)


@pytest.mark.anny
def test_phenotype_changes_body_live(body):
    assert body.phenotype == {k: 0.5 for k in ("gender", "age", "muscle", "weight", "height", "proportions")}
    clip = walk_clip(10)
    body.set_phenotype(height=0.0)
    short = body.rest_vertices()[:, 1].max()
    start = time.monotonic()
    body.set_phenotype(height=1.0)
    body.pose(clip, slice(4, 5))
    elapsed = time.monotonic() - start
    assert body.rest_vertices()[:, 1].max() > short + 0.3
    assert body.phenotype["height"] == 1.0
    assert elapsed < 0.5, f"re-shape + re-pose took {elapsed:.3f} s"
    assert abs(body.rest_vertices()[:, 1].min()) < 1e-4  # still standing on the ground
    with pytest.raises(ValueError):
        body.set_phenotype(wingspan=0.3)


@pytest.mark.anny
def test_uv_layout_and_texture(body):
    layout = body.uv()
    assert layout.uv.shape[1] == 2 and layout.uv_faces.shape == body.faces.shape
    assert layout.vertex_index.max() < 13718 and 0.0 <= layout.uv.min() and layout.uv.max() <= 1.0
    np.testing.assert_array_equal(layout.vertex_index[layout.uv_faces], body.faces)
    assert body.texture_path().is_file()


def test_smpl_unavailable_and_registry(tmp_path):
    ok, reason = smpl_available(tmp_path)
    assert not ok and reason == NOT_FOUND and "models/smpl/" in reason
    with pytest.raises(FileNotFoundError):
        SmplBody(tmp_path)
    bodies = available_bodies()
    assert bodies["anny"] is None and "smpl" in bodies
    with pytest.raises(ValueError):
        get_body("robot")


def _fake_smpl(folder, n_verts: int = 6890) -> None:
    """A synthetic SMPL file (not the licensed model): vertex clouds rigidly bound to SMPL's rest joints."""
    rng = np.random.default_rng(0)
    joints = np.concatenate([SMPL22_REST_POSITIONS, SMPL22_REST_POSITIONS[20:22] + [[0.08, 0, 0], [-0.08, 0, 0]]])
    owner = np.arange(n_verts) % 24
    offs = rng.normal(0, 0.02, (n_verts, 3))
    for k in range(24):
        offs[owner == k] -= offs[owner == k].mean(0)
    regressor = np.zeros((24, n_verts))
    regressor[owner, np.arange(n_verts)] = 1.0
    regressor /= regressor.sum(1, keepdims=True)
    np.savez(folder / "SMPL_NEUTRAL.npz", v_template=joints[owner] + offs, shapedirs=np.zeros((n_verts, 3, 10)),
             posedirs=np.zeros((n_verts, 3, 207)), J_regressor=regressor, weights=np.eye(24)[owner],
             kintree_table=np.array([list(SMPL22_PARENTS) + [20, 21], list(range(24))]) % (2 ** 32),
             f=rng.integers(0, n_verts, (200, 3)))


def test_smpl_body_with_synthetic_model(tmp_path):
    _fake_smpl(tmp_path)
    assert smpl_available(tmp_path)[0]
    smpl = SmplBody(tmp_path)
    rest = smpl.skeleton_smpl22().rest_positions()
    np.testing.assert_allclose(rest - rest[0], SMPL22_REST_POSITIONS - SMPL22_REST_POSITIONS[0], atol=1e-4)
    assert abs(smpl.rest_vertices()[:, 1].min()) < 1e-5
    clip = walk_clip(20)
    joints = smpl.joints_smpl22(clip)
    assert smpl.pose(clip).shape == (20, 6890, 3)
    assert bone_cosines(joints, clip.joints(), LIMBS).min() > 0.999
    smpl.set_phenotype(beta_0=1.0)
    assert smpl.phenotype["beta_0"] == 1.0


@pytest.mark.anny
def test_tracks_real_mocap_walk(body, shared_dir):
    path = shared_dir / "data" / "motion" / "cmu" / "przestr" / "02_01.bvh"
    if not path.is_file():
        pytest.skip("CMU walk 02_01.bvh is not in ../shared")
    from app.core.motion_io import load_motion

    clip = load_motion(path, max_frames=90)
    verts, joints = body.pose_with_joints(clip)
    assert bone_cosines(joints, clip.joints(), LIMBS).min() > 0.95
    assert verts[..., 1].min() > -0.05 and verts[..., 1].min(axis=1).max() < 0.5  # walking on the ground
