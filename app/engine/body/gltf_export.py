"""glTF export with the body: the Anny mesh skinned onto the 22 SMPL joints.

The file's skeleton is the body's own rest SMPL-22 layout (``body.skeleton_smpl22()``),
its root follows the body's root path (leg-length scaled, as the studio shows it), its
joints rotate by the clip's local rotations, and the two joints Anny places through a
partly bent bone chain (spine2 above the lower spine, head above the neck) also get
translation keys, so the file's joints are the studio body's joints; the mesh is the body's zero pose (T-pose,
soles on y = 0), which is exactly that skeleton's rest pose, so a glTF viewer's linear
blend skinning reproduces the studio's body.

Weights: every Anny bone is driven by one SMPL joint with a cumulative share f of that
joint's rotation (:class:`AnnyBody`). A bone's weight goes to its driving joint, except
for partly driven bones (f < 1: lower spine, neck), whose weight is split f to the joint
and 1 - f to the joint's parent (blending the two transforms approximates the partial
rotation). Per vertex the 4 largest joint weights are kept and renormalised.

With the body's UV layout the mesh is split at UV seams and carries the studio's default
albedo (skin and clothing) as an embedded PNG, so Blender/three.js show the body as the 2.5D tab
does. Without a body (or with a body that has no skin weights) the export is skeleton-only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.gltf import SkinnedMesh, write_gltf
from app.core.motion import MotionClip
from app.core.skeleton import SMPL22_PARENTS
from app.engine.jobs import Progress

log = logging.getLogger(__name__)

MAX_INFLUENCES = 4
TEXTURE_SIZE = 1024  # px, the embedded albedo (about 1 MB of PNG)
NO_MESH_NOTE = "skeleton only: the body model is not loaded (run `main.py prepare-body` once to include the mesh)"


@dataclass
class GltfExport:
    """What an export wrote: the path, whether the body mesh is in it, and a note if not."""

    path: Path
    with_mesh: bool
    note: str = ""


def joint_weights(body: Any, split_partial: bool = True) -> np.ndarray:
    """Dense per-vertex weights [V, 22] of an AnnyBody's mesh on the SMPL-22 joints."""
    model = body.model
    idx = model.vertex_bone_indices.detach().cpu().numpy().astype(np.int64)
    w = model.vertex_bone_weights.detach().cpu().numpy().astype(np.float64)
    shares = np.array([body._driver_keys[d][1] for d in body._bone_driver])
    joint = np.asarray(body._bone_joint, dtype=np.int64)
    parent = np.array([max(SMPL22_PARENTS[j], 0) for j in joint])
    if not split_partial:
        shares = np.ones_like(shares)
    nv = idx.shape[0]
    dense = np.zeros((nv, len(SMPL22_PARENTS)))
    rows = np.repeat(np.arange(nv), idx.shape[1])
    b = idx.reshape(-1)
    wf = w.reshape(-1)
    np.add.at(dense, (rows, joint[b]), wf * shares[b])
    np.add.at(dense, (rows, parent[b]), wf * (1.0 - shares[b]))
    return dense / np.maximum(dense.sum(axis=1, keepdims=True), 1e-12)


def top_influences(dense: np.ndarray, k: int = MAX_INFLUENCES) -> tuple[np.ndarray, np.ndarray]:
    """The k largest weights per vertex (indices [V, k], renormalised weights [V, k])."""
    order = np.argsort(-dense, axis=1)[:, :k]
    w = np.take_along_axis(dense, order, axis=1)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    order = np.where(w > 0, order, 0)
    return order, w


def body_skinned_mesh(body: Any, split_partial: bool = True, textured: bool = True) -> SkinnedMesh:
    """The body's T-pose mesh with SMPL-22 skin weights (AnnyBody only).

    textured: with the body's UV layout, the mesh is split at the UV seams (vertex_index) and carries
    the studio's default albedo (skin and clothing, as in the 2.5D tab) as a PNG; without a UV layout
    it stays an untextured, skin-coloured mesh.
    """
    if not hasattr(body, "model") or not hasattr(body.model, "vertex_bone_weights"):
        raise ValueError(f"the {getattr(body, 'name', 'body')} body has no skin weights to export")
    idx, w = top_influences(joint_weights(body, split_partial))
    name = getattr(body, "name", "body")
    rest = body.rest_vertices()
    tex = _body_texture(body) if textured else None
    if tex is None:
        return SkinnedMesh(rest, body.faces, idx, w, name=name)
    vi = np.asarray(tex.vertex_index, np.int64)
    return SkinnedMesh(np.asarray(rest)[vi], tex.uv_faces, idx[vi], w[vi], name=name, uv=tex.uv,
                       texture_png=png_bytes(tex.texture))


def _body_texture(body: Any, size: int = TEXTURE_SIZE) -> Any:
    """The body's default albedo texture, or None (no UV layout or no texture source)."""
    from app.engine.avatar.appearance import body_texture

    try:
        return body_texture(body, size=size)
    except Exception as exc:  # noqa: BLE001 - an untextured mesh is still a useful export
        log.info("glTF: exporting the body without a texture (%s)", exc)
        return None


def png_bytes(rgb: np.ndarray) -> bytes:
    """PNG encoding of an RGB uint8 image [H, W, 3]."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)).save(out, format="PNG", optimize=False)
    return out.getvalue()


def export_gltf(clip: MotionClip, path: str | Path, body: Any = None) -> GltfExport:
    """Write `clip` to .glb/.gltf; with `body` (an AnnyBody) the skinned body mesh is included."""
    path = Path(path)
    if body is None:
        write_gltf(clip, path)
        return GltfExport(path, False, NO_MESH_NOTE)
    try:
        mesh = body_skinned_mesh(body)
    except ValueError as exc:
        write_gltf(clip, path)
        return GltfExport(path, False, f"skeleton only: {exc}")
    skeleton = body.skeleton_smpl22()
    joints = body.joints_smpl22(clip).astype(np.float64)
    write_gltf(clip, path, mesh=mesh, skeleton=skeleton, trans=joints[:, 0],
               local_translations=body_local_offsets(clip, joints))
    return GltfExport(path, True)


def body_local_offsets(clip: MotionClip, joints: np.ndarray) -> np.ndarray:
    """Per-frame offsets [T, 22, 3] of the body's joints from their parents, in the parents' frames.

    Anny bends the lower spine and the neck over several bones (partial shares), so its
    spine2 and head are not rigidly offset from spine1 and neck; animating those offsets
    puts the file's joints exactly on the studio body's joints.
    """
    _, glob = clip.global_transforms()
    out = np.zeros_like(joints)
    for j, p in enumerate(SMPL22_PARENTS):
        if p >= 0:
            out[:, j] = np.einsum("tba,tb->ta", glob[:, p], joints[:, j] - joints[:, p])
    return out


def export_gltf_task(clip: MotionClip, path: str | Path, body: Any = None, body_name: str | None = None
                     ) -> Generator[Any, None, GltfExport]:
    """Engine task: export glTF; `body_name='anny'` loads the body if it is prepared (else skeleton only)."""
    path = Path(path)
    if body is None and body_name == "anny":
        from app.engine.body.prepare import is_anny_prepared

        if is_anny_prepared():
            yield Progress(0.1, "loading body model")
            from app.engine.body import get_body

            body = get_body("anny")
    yield Progress(0.4, f"writing {path.name}")
    result = export_gltf(clip, path, body)
    if result.note:
        log.info("%s: %s", path.name, result.note)
    return result
