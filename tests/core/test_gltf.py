"""glTF export: read back with an independent reader (and trimesh) and compare to MotionClip."""
from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from app.core.errors import MotionFileError
from app.core.gltf import SkinnedMesh, build_gltf, local_quaternions_xyzw, write_gltf
from app.core.motion import MotionClip
from app.core.skeleton import SMPL22_NAMES, forward_kinematics
from app.core.rotations import axis_angle_to_matrix

from gltf_reader import Gltf


def _clip(frames: int = 50, fps: float = 25.0) -> MotionClip:
    rng = np.random.default_rng(3)
    t = np.arange(frames) / fps
    rots = 0.5 * np.sin(2 * np.pi * t[:, None, None] * rng.uniform(0.3, 1.5, (1, 22, 3)) + rng.uniform(0, 6, (1, 22, 3)))
    rots[:, 0] += [0.0, 2.5, 0.0]  # large root yaw: quaternion sign handling
    trans = np.stack([0.8 * t, 0.92 + 0.05 * np.sin(6 * t), 0.3 * t], axis=1)
    return MotionClip(fps, trans, rots, name="test")


@pytest.mark.parametrize("ext", [".glb", ".gltf"])
def test_round_trip_joints_match_motionclip(tmp_path, ext):
    clip = _clip()
    path = write_gltf(clip, tmp_path / f"m{ext}")
    g = Gltf(path)
    assert [n["name"] for n in g.doc["nodes"]] == list(SMPL22_NAMES)
    assert "meshes" not in g.doc and "skins" not in g.doc
    anim = g.doc["animations"][0]
    paths = sorted(c["target"]["path"] for c in anim["channels"])
    assert paths.count("rotation") == 22 and paths.count("translation") == 1
    times = g.accessor(anim["samplers"][0]["input"])
    assert len(times) == clip.num_frames and times[1] == pytest.approx(1 / clip.fps)
    ref = clip.joints()
    for k in (0, 1, 17, 33, clip.num_frames - 1):
        got = g.joint_positions(k / clip.fps)
        assert np.abs(got - ref[k]).max() < 1e-3, k  # < 1 mm
    # between two frames the sampled pose lies between them (LINEAR, no flips)
    mid = g.joint_positions(10.5 / clip.fps)
    assert np.abs(mid - 0.5 * (ref[10] + ref[11])).max() < 0.02


def test_quaternions_are_xyzw_and_sign_continuous():
    clip = _clip()
    q = local_quaternions_xyzw(clip.rotations)
    assert np.all(np.sum(q[1:] * q[:-1], axis=-1) >= 0)
    # xyzw: a 90 degree turn about +Y is (0, sin45, 0, cos45)
    q1 = local_quaternions_xyzw(np.array([[[0.0, np.pi / 2, 0.0]]]))[0, 0]
    np.testing.assert_allclose(q1, [0, np.sqrt(0.5), 0, np.sqrt(0.5)], atol=1e-9)


def _box_mesh(clip: MotionClip) -> SkinnedMesh:
    """A small box around every joint, bound to it (and a little to its parent)."""
    rest = clip.skeleton.rest_positions()
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * 0.02
    faces_box = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                          [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    verts, faces, idx, w = [], [], [], []
    for j in range(22):
        p = max(clip.skeleton.parents[j], 0)
        verts.append(rest[j] + corners)
        faces.append(faces_box + 8 * j)
        idx.append(np.tile([j, p, 0, 0], (8, 1)))
        w.append(np.tile([0.8, 0.2, 0.0, 0.0], (8, 1)))
    return SkinnedMesh(np.concatenate(verts), np.concatenate(faces), np.concatenate(idx), np.concatenate(w))


def test_skinned_mesh_matches_numpy_lbs_and_trimesh_loads_it(tmp_path):
    clip = _clip(20)
    mesh = _box_mesh(clip)
    path = write_gltf(clip, tmp_path / "boxes.glb", mesh=mesh)
    g = Gltf(path)
    skin = g.doc["skins"][0]
    assert skin["joints"] == list(range(22)) and g.doc["nodes"][-1]["skin"] == 0
    # reference LBS from the clip's own FK
    pos, rot = forward_kinematics(axis_angle_to_matrix(clip.rotations), clip.trans, clip.skeleton)
    rest = clip.skeleton.rest_positions()
    for k in (0, 7, 19):
        per = np.einsum("jab,vjb->vja", rot[k], mesh.vertices[:, None, :] - rest[None]) + pos[k][None]  # [V, J, 3]
        ref = np.einsum("vk,vkc->vc", mesh.joint_weights, np.take_along_axis(per, mesh.joint_indices[..., None], 1))
        assert np.abs(g.skinned_vertices(k / clip.fps) - ref).max() < 1e-4
    scene = trimesh.load(str(path))
    geoms = list(scene.geometry.values())
    assert len(geoms) == 1 and len(geoms[0].vertices) == len(mesh.vertices) and len(geoms[0].faces) == 12 * 22


def test_textured_mesh_embeds_png_and_flips_v(tmp_path):
    import io

    from PIL import Image

    clip = _clip(5)
    box = _box_mesh(clip)
    uv = np.random.default_rng(0).random((len(box.vertices), 2)).astype(np.float32)
    img = np.zeros((8, 16, 3), np.uint8)
    img[:, :8] = (200, 30, 30)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    mesh = SkinnedMesh(box.vertices, box.faces, box.joint_indices, box.joint_weights, uv=uv, texture_png=buf.getvalue())
    g = Gltf(write_gltf(clip, tmp_path / "tex.gltf", mesh=mesh))
    prim = g.doc["meshes"][0]["primitives"][0]
    assert np.allclose(g.accessor(prim["attributes"]["TEXCOORD_0"]), np.stack([uv[:, 0], 1 - uv[:, 1]], 1))
    pbr = g.doc["materials"][0]["pbrMetallicRoughness"]
    image = g.doc["images"][g.doc["textures"][pbr["baseColorTexture"]["index"]]["source"]]
    view = g.doc["bufferViews"][image["bufferView"]]
    png = g.blob[view["byteOffset"]:view["byteOffset"] + view["byteLength"]]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), img) and pbr["baseColorFactor"] == [1.0] * 4
    geom = list(trimesh.load(str(tmp_path / "tex.gltf")).geometry.values())[0]
    assert geom.visual.kind == "texture" and np.allclose(geom.visual.uv, uv, atol=1e-6)  # trimesh flips v back
    with pytest.raises(ValueError):
        SkinnedMesh(box.vertices, box.faces, box.joint_indices, box.joint_weights, texture_png=buf.getvalue())
    with pytest.raises(ValueError):
        SkinnedMesh(box.vertices, box.faces, box.joint_indices, box.joint_weights, uv=uv, texture_png=b"not a png")


def test_trimesh_reads_skeleton_only_glb(tmp_path):
    path = write_gltf(_clip(), tmp_path / "s.glb")
    scene = trimesh.load(str(path))
    names = set(scene.graph.nodes)
    assert set(SMPL22_NAMES) <= names


def test_bad_inputs(tmp_path):
    clip = _clip(5)
    with pytest.raises(MotionFileError, match="unsupported glTF"):
        write_gltf(clip, tmp_path / "x.fbx")
    with pytest.raises(MotionFileError, match="x.glb"):
        write_gltf(clip, tmp_path / "missing_dir" / "x.glb")
    with pytest.raises(ValueError):
        build_gltf(clip.skeleton, clip.trans, clip.rotations[:, :10], clip.fps)
    doc, blob = build_gltf(clip.skeleton, clip.trans, clip.rotations, clip.fps)
    assert len(blob) % 4 == 0 and json.dumps(doc)
