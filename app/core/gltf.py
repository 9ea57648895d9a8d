"""glTF 2.0 export of a skeletal motion (.glb binary, or .gltf with an embedded buffer).

What a file holds (numpy + json + struct only):

* the skeleton as a node hierarchy: one node per joint, its rest offset from the parent as
  the node's ``translation`` (the root's: its position at frame 0), no rest rotation (the
  SMPL-22 rest frames are world-aligned, so the bind pose is the skeleton's rest T-pose);
* one animation, sampled at the clip's fps with LINEAR interpolation: the root's
  translation and every joint's local rotation (quaternions, x y z w as glTF wants,
  kept on one hemisphere frame to frame so slerp takes the short way); optionally
  translation channels for joints whose offset from the parent varies (a body whose own
  joints do not follow a rigid SMPL-22 chain exactly);
* optionally a skinned mesh (:class:`SkinnedMesh`: bind-pose vertices in the same world
  placement as the rest skeleton, 4 joint influences per vertex) with a skin whose
  inverse bind matrices are the inverse rest joint transforms, and optionally UVs with an
  embedded PNG base-colour texture.

Units are metres, Y up, the body faces +Z: the same as glTF's own convention.
"""
from __future__ import annotations

import base64
import json
import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MotionFileError
from .motion import MotionClip
from .rotations import axis_angle_to_matrix, matrix_to_quaternion
from .skeleton import Skeleton

log = logging.getLogger(__name__)

GLTF_EXTENSIONS = (".glb", ".gltf")
_FLOAT, _UBYTE, _USHORT, _UINT = 5126, 5121, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_TYPES = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}
_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class SkinnedMesh:
    """A triangle mesh bound to the skeleton's joints in its rest pose."""

    vertices: np.ndarray          # [V, 3] bind-pose positions (world, metres)
    faces: np.ndarray             # [F, 3] int, counter-clockwise seen from outside
    joint_indices: np.ndarray     # [V, 4] int, skeleton joint of each influence
    joint_weights: np.ndarray     # [V, 4] float, rows sum to 1
    name: str = "body"
    color: tuple[float, float, float, float] = (0.80, 0.66, 0.58, 1.0)
    uv: np.ndarray | None = None  # [V, 2] texture coordinates, origin bottom-left (the studio's convention)
    texture_png: bytes | None = None  # base-colour texture (PNG bytes) sampled through `uv`

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, dtype=np.float32).reshape(-1, 3)
        self.faces = np.asarray(self.faces, dtype=np.int64).reshape(-1, 3)
        self.joint_indices = np.asarray(self.joint_indices, dtype=np.int64).reshape(-1, 4)
        w = np.asarray(self.joint_weights, dtype=np.float64).reshape(-1, 4)
        n = len(self.vertices)
        if len(self.joint_indices) != n or len(w) != n:
            raise ValueError("mesh vertices, joint indices and weights disagree in length")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= n):
            raise ValueError("mesh faces index missing vertices")
        self.joint_weights = (w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)).astype(np.float32)
        if self.uv is not None:
            self.uv = np.asarray(self.uv, dtype=np.float32).reshape(-1, 2)
            if len(self.uv) != n:
                raise ValueError("mesh uv and vertices disagree in length")
        if self.texture_png is not None and (self.uv is None or not self.texture_png.startswith(PNG_SIGNATURE)):
            raise ValueError("a mesh texture needs uv coordinates and PNG bytes")


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals [V, 3] float32."""
    v = np.asarray(vertices, dtype=np.float64)
    tri = v[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, faces[:, k], fn)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(length > 1e-12, n / np.maximum(length, 1e-12), [0.0, 1.0, 0.0])
    return n.astype(np.float32)


def local_quaternions_xyzw(rotations: np.ndarray) -> np.ndarray:
    """Local axis-angle [T, J, 3] -> quaternions [T, J, 4] (x, y, z, w), sign-continuous over T."""
    q = matrix_to_quaternion(axis_angle_to_matrix(np.asarray(rotations, dtype=np.float64)))[..., [1, 2, 3, 0]]
    for t in range(1, len(q)):
        flip = np.sum(q[t] * q[t - 1], axis=-1) < 0
        q[t, flip] *= -1.0
    return q


class _Builder:
    """Accumulates the binary buffer, its views and accessors."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add_bytes(self, raw: bytes, target: int | None = None) -> int:
        """A buffer view over `raw` (4-byte aligned); returns the view's index."""
        while len(self.blob) % 4:
            self.blob.append(0)
        view = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.blob.extend(raw)
        self.views.append(view)
        return len(self.views) - 1

    def add(self, data: np.ndarray, component: int, target: int | None = None, minmax: bool = False) -> int:
        data = np.ascontiguousarray(data)
        width = 1 if data.ndim == 1 else int(np.prod(data.shape[1:]))
        acc = {"bufferView": self.add_bytes(data.tobytes(), target), "componentType": component, "count": int(data.shape[0]),
               "type": _TYPES[width]}
        if minmax:
            flat = data.reshape(len(data), -1)
            acc["min"] = [float(x) for x in flat.min(axis=0)]
            acc["max"] = [float(x) for x in flat.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def build_gltf(skeleton: Skeleton, trans: np.ndarray, rotations: np.ndarray, fps: float,
               mesh: SkinnedMesh | None = None, name: str = "motion",
               local_translations: np.ndarray | None = None) -> tuple[dict, bytes]:
    """The glTF JSON document and its binary buffer for a motion on `skeleton`.

    trans: [T, 3] world root positions; rotations: [T, J, 3] local axis-angle; fps > 0.
    local_translations: optional [T, J, 3] per-frame offsets from the parent (in the parent's
    frame); joints whose offsets move by more than 0.01 mm get a translation channel too.
    """
    trans = np.asarray(trans, dtype=np.float64).reshape(-1, 3)
    rotations = np.asarray(rotations, dtype=np.float64)
    t, j = len(trans), skeleton.num_joints
    if t == 0 or rotations.shape != (t, j, 3):
        raise ValueError(f"need [T, {j}, 3] rotations for {t} frames (T > 0), got {rotations.shape}")
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    b = _Builder()
    nodes: list[dict] = []
    for k, jname in enumerate(skeleton.names):
        offset = trans[0] if skeleton.parents[k] < 0 else skeleton.offsets[k]
        node: dict = {"name": jname, "translation": [float(x) for x in offset]}
        children = skeleton.children(k)
        if children:
            node["children"] = children
        nodes.append(node)
    roots = [k for k, p in enumerate(skeleton.parents) if p < 0]

    times = b.add((np.arange(t) / float(fps)).astype(np.float32), _FLOAT, minmax=True)
    samplers, channels = [], []
    for k in roots:
        samplers.append({"input": times, "output": b.add(trans.astype(np.float32), _FLOAT), "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": k, "path": "translation"}})
    if local_translations is not None:
        local = np.asarray(local_translations, dtype=np.float64)
        if local.shape != (t, j, 3):
            raise ValueError(f"local translations must be [{t}, {j}, 3], got {local.shape}")
        for k in range(j):
            if skeleton.parents[k] >= 0 and np.abs(local[:, k] - skeleton.offsets[k]).max() > 1e-5:
                out = b.add(local[:, k].astype(np.float32), _FLOAT)
                samplers.append({"input": times, "output": out, "interpolation": "LINEAR"})
                channels.append({"sampler": len(samplers) - 1, "target": {"node": k, "path": "translation"}})
    quats = local_quaternions_xyzw(rotations).astype(np.float32)
    for k in range(j):
        samplers.append({"input": times, "output": b.add(quats[:, k], _FLOAT), "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": k, "path": "rotation"}})

    doc: dict = {
        "asset": {"version": "2.0", "generator": "Action Studio"},
        "scene": 0, "scenes": [{"name": name, "nodes": list(roots)}], "nodes": nodes,
        "animations": [{"name": name, "samplers": samplers, "channels": channels}],
    }
    if mesh is not None:
        _add_mesh(doc, b, skeleton, mesh, roots)
    doc["accessors"], doc["bufferViews"] = b.accessors, b.views
    while len(b.blob) % 4:
        b.blob.append(0)
    doc["buffers"] = [{"byteLength": len(b.blob)}]
    return doc, bytes(b.blob)


def _add_mesh(doc: dict, b: _Builder, skeleton: Skeleton, mesh: SkinnedMesh, roots: list[int]) -> None:
    if mesh.joint_indices.size and (mesh.joint_indices.min() < 0 or mesh.joint_indices.max() >= skeleton.num_joints):
        raise ValueError("mesh joint indices outside the skeleton")
    rest = skeleton.rest_positions()
    ibm = np.repeat(np.eye(4)[None], skeleton.num_joints, axis=0)
    ibm[:, :3, 3] = -rest
    ibm_acc = b.add(np.transpose(ibm, (0, 2, 1)).reshape(-1, 16).astype(np.float32), _FLOAT)  # column-major
    nv = len(mesh.vertices)
    attributes = {
        "POSITION": b.add(mesh.vertices, _FLOAT, _ARRAY_BUFFER, minmax=True),
        "NORMAL": b.add(vertex_normals(mesh.vertices, mesh.faces), _FLOAT, _ARRAY_BUFFER),
        "JOINTS_0": b.add(mesh.joint_indices.astype(np.uint16 if skeleton.num_joints > 255 else np.uint8),
                          _USHORT if skeleton.num_joints > 255 else _UBYTE, _ARRAY_BUFFER),
        "WEIGHTS_0": b.add(mesh.joint_weights, _FLOAT, _ARRAY_BUFFER),
    }
    small = nv < 65536
    indices = b.add(mesh.faces.reshape(-1).astype(np.uint16 if small else np.uint32),
                    _USHORT if small else _UINT, _ELEMENT_ARRAY_BUFFER)
    pbr: dict = {"baseColorFactor": [float(c) for c in mesh.color], "metallicFactor": 0.0, "roughnessFactor": 0.8}
    if mesh.uv is not None:  # glTF's UV origin is top-left
        attributes["TEXCOORD_0"] = b.add(np.stack([mesh.uv[:, 0], 1.0 - mesh.uv[:, 1]], 1), _FLOAT, _ARRAY_BUFFER)
    if mesh.texture_png is not None:
        doc["images"] = [{"name": f"{mesh.name}_albedo", "mimeType": "image/png",
                          "bufferView": b.add_bytes(mesh.texture_png)}]
        doc["samplers"] = [{"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}]
        doc["textures"] = [{"source": 0, "sampler": 0}]
        pbr["baseColorTexture"] = {"index": 0, "texCoord": 0}
        pbr["baseColorFactor"] = [1.0, 1.0, 1.0, 1.0]
    doc["materials"] = [{"name": f"{mesh.name}_skin", "pbrMetallicRoughness": pbr}]
    doc["meshes"] = [{"name": mesh.name, "primitives": [
        {"attributes": attributes, "indices": indices, "material": 0, "mode": 4}]}]
    doc["skins"] = [{"name": "skeleton", "joints": list(range(skeleton.num_joints)),
                     "inverseBindMatrices": ibm_acc, "skeleton": roots[0]}]
    doc["nodes"].append({"name": mesh.name, "mesh": 0, "skin": 0})
    doc["scenes"][0]["nodes"].append(len(doc["nodes"]) - 1)


def glb_bytes(doc: dict, blob: bytes) -> bytes:
    """A binary glTF container (12-byte header, JSON chunk, BIN chunk)."""
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    blob = blob + b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return (struct.pack("<III", _GLB_MAGIC, 2, total) + struct.pack("<II", len(text), _JSON_CHUNK) + text
            + struct.pack("<II", len(blob), _BIN_CHUNK) + blob)


def write_gltf(clip: MotionClip, path: str | Path, mesh: SkinnedMesh | None = None,
               skeleton: Skeleton | None = None, trans: np.ndarray | None = None,
               local_translations: np.ndarray | None = None) -> Path:
    """Write `clip` as .glb (binary) or .gltf (JSON, base64 buffer) by extension.

    skeleton / trans / local_translations replace the clip's own (a body mesh is bound to its
    body's skeleton and follows that body's joints); the clip's local rotations and fps are
    always used.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in GLTF_EXTENSIONS:
        raise MotionFileError(path, f"unsupported glTF file type {ext or '(none)'} (use .glb or .gltf)")
    clip.validate()
    skeleton = skeleton or clip.skeleton
    trans = clip.trans if trans is None else trans
    try:
        doc, blob = build_gltf(skeleton, trans, clip.rotations, clip.fps, mesh, clip.name or path.stem,
                               local_translations)
    except ValueError as exc:
        raise MotionFileError(path, str(exc)) from None
    try:
        if ext == ".glb":
            path.write_bytes(glb_bytes(doc, blob))
        else:
            doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(blob).decode("ascii")
            path.write_text(json.dumps(doc), encoding="utf-8")
    except OSError as exc:
        raise MotionFileError(path, exc.strerror or str(exc)) from None
    log.info("wrote %s: %d frames, %d joints%s", path, clip.num_frames, skeleton.num_joints,
             f", mesh of {len(mesh.vertices)} vertices" if mesh is not None else "")
    return path
