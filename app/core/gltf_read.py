"""Read a skeletal motion back from glTF 2.0 (.glb, or .gltf with an embedded or side buffer).

Reads files whose nodes name the SMPL-22 joints (what :mod:`app.core.gltf` writes, and any
exporter using the same names): rest offsets from the node translations, the first
animation's rotation channels (quaternions x y z w) and the root's translation channel,
sampled at the times of the rotation keys.  Anything else raises :class:`MotionFileError`.
"""
from __future__ import annotations

import base64
import struct
from pathlib import Path

import numpy as np

from .errors import MotionFileError
from .limits import MAX_GLTF_BYTES, check_fps, check_joints, check_motion_size, parse_json, read_limited
from .motion import MotionClip
from .rotations import matrix_to_axis_angle, quaternion_to_matrix
from .skeleton import SMPL22_NAMES, SMPL22_PARENTS, Skeleton, smpl22_skeleton

_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _parse(path: Path) -> tuple[dict, bytes | None]:
    raw = read_limited(path, MAX_GLTF_BYTES, "glTF")
    if path.suffix.lower() == ".glb":
        if len(raw) < 20 or struct.unpack_from("<I", raw, 0)[0] != _GLB_MAGIC:
            raise MotionFileError(path, "not a binary glTF file")
        length, kind = struct.unpack_from("<II", raw, 12)
        if kind != _JSON_CHUNK:
            raise MotionFileError(path, "glTF file without a JSON chunk")
        doc = parse_json(raw[20:20 + length], path, "glTF")
        pos, blob = 20 + length, None
        if pos + 8 <= len(raw):
            blen, bkind = struct.unpack_from("<II", raw, pos)
            if bkind == _BIN_CHUNK:
                blob = raw[pos + 8:pos + 8 + blen]
        return _object(doc, path), blob
    return _object(parse_json(raw, path, "glTF"), path), None


def _object(doc: object, path: Path) -> dict:
    if not isinstance(doc, dict) or not all(isinstance(n, dict) for n in doc.get("nodes", [])):
        raise MotionFileError(path, "not a glTF file (the JSON is not a glTF document)")
    return doc


def _buffer(doc: dict, index: int, path: Path, blob: bytes | None) -> bytes:
    buf = doc["buffers"][index]
    uri = buf.get("uri")
    if uri is None:
        if blob is None:
            raise MotionFileError(path, "glTF buffer has no data")
        return blob
    if uri.startswith("data:"):
        return base64.b64decode(uri.split(",", 1)[1])
    side = path.parent / uri
    if not side.is_file():
        raise MotionFileError(path, f"glTF buffer file {uri} is missing")
    return read_limited(side, MAX_GLTF_BYTES, "glTF buffer")


def _accessor(doc: dict, index: int, path: Path, blob: bytes | None) -> np.ndarray:
    acc = doc["accessors"][index]
    if acc.get("componentType") != 5126:
        raise MotionFileError(path, "only float animation data is supported")
    view = doc["bufferViews"][acc["bufferView"]]
    data = _buffer(doc, view.get("buffer", 0), path, blob)
    width = _WIDTH[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    stride = view.get("byteStride", 4 * width)
    count = acc["count"]
    if not all(isinstance(v, int) for v in (start, stride, count)) or start < 0 or count < 0 \
            or stride < 4 * width or start + max(count - 1, 0) * stride + 4 * width > len(data):
        raise MotionFileError(path, f"glTF accessor {index} does not fit its buffer")
    if stride == 4 * width:
        return np.frombuffer(data, np.float32, count * width, start).reshape(count, width).astype(np.float64)
    return np.stack([np.frombuffer(data, np.float32, width, start + i * stride) for i in range(count)]).astype(np.float64)


def read_gltf_motion(path: str | Path) -> MotionClip:
    """The SMPL-22 motion of a glTF file (see the module docstring)."""
    path = Path(path)
    try:
        doc, blob = _parse(path)
        names = [n.get("name", "") for n in doc.get("nodes", [])]
        if not all(j in names for j in SMPL22_NAMES):
            raise MotionFileError(path, "glTF file has no SMPL-22 skeleton (joint node names)")
        node_of = {j: names.index(j) for j in SMPL22_NAMES}
        anims = doc.get("animations") or []
        if not anims:
            raise MotionFileError(path, "glTF file has no animation")
        anim = anims[0]
        rot: dict[int, int] = {}
        root_trans = None
        for ch in anim["channels"]:
            tgt = ch["target"]
            if tgt.get("path") == "rotation":
                rot[tgt["node"]] = ch["sampler"]
            elif tgt.get("path") == "translation" and tgt.get("node") == node_of["pelvis"]:
                root_trans = ch["sampler"]
        samplers = anim["samplers"]
        times = None
        quats = np.zeros((1, 22, 4))
        quats[..., 3] = 1.0
        for k, j in enumerate(SMPL22_NAMES):
            s = rot.get(node_of[j])
            if s is None:
                continue
            if times is None:
                times = _accessor(doc, samplers[s]["input"], path, blob)[:, 0]
                check_motion_size(len(times), len(SMPL22_NAMES), path)
                quats = np.repeat(quats, len(times), axis=0)
            q = _accessor(doc, samplers[s]["output"], path, blob)
            quats[:, k] = q[: len(times)]
        if times is None or len(times) < 1:
            raise MotionFileError(path, "glTF animation has no rotation keys")
        offsets = np.array([doc["nodes"][node_of[j]].get("translation", [0, 0, 0]) for j in SMPL22_NAMES], float)
        trans = np.repeat(offsets[:1], len(times), axis=0)
        if root_trans is not None:
            tr_times = _accessor(doc, samplers[root_trans]["input"], path, blob)[:, 0]
            values = _accessor(doc, samplers[root_trans]["output"], path, blob)
            trans = np.stack([np.interp(times, tr_times, values[:, d]) for d in range(3)], axis=1)
        offsets[0] = smpl22_skeleton().offsets[0]
        fps = check_fps((len(times) - 1) / max(times[-1] - times[0], 1e-9) if len(times) > 1 else 30.0, path,
                        "the animation's key times give a frame rate of")
        rotations = matrix_to_axis_angle(quaternion_to_matrix(quats[..., [3, 0, 1, 2]]))
        clip = MotionClip(float(fps), trans, rotations, Skeleton(SMPL22_NAMES, SMPL22_PARENTS, offsets),
                          name=path.stem)
        clip.validate()
        check_joints(clip, path)
        return clip
    except MotionFileError:
        raise
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError, struct.error) as exc:
        raise MotionFileError(path, f"unreadable glTF: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
