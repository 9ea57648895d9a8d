"""A small independent glTF 2.0 reader for the export tests (not app code).

Parses .glb / .gltf (embedded base64 buffer), decodes accessors, samples the animation's
channels at a time (LINEAR: lerp for translations, normalised lerp on the shorter arc for
rotations, exact at keys), computes node world matrices and linear-blend-skins the first
skinned mesh primitive.
"""
from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np

_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class Gltf:
    def __init__(self, path: str | Path) -> None:
        data = Path(path).read_bytes()
        if data[:4] == b"glTF":
            magic, version, length = struct.unpack_from("<III", data, 0)
            assert version == 2 and length == len(data)
            jlen, jtype = struct.unpack_from("<II", data, 12)
            assert jtype == 0x4E4F534A and jlen % 4 == 0
            self.doc = json.loads(data[20:20 + jlen])
            blen, btype = struct.unpack_from("<II", data, 20 + jlen)
            assert btype == 0x004E4942 and blen % 4 == 0
            self.blob = data[28 + jlen:28 + jlen + blen]
        else:
            self.doc = json.loads(data)
            uri = self.doc["buffers"][0]["uri"]
            self.blob = base64.b64decode(uri.split(",", 1)[1])
        assert self.doc["asset"]["version"] == "2.0"
        assert len(self.blob) >= self.doc["buffers"][0]["byteLength"]

    def accessor(self, i: int) -> np.ndarray:
        acc = self.doc["accessors"][i]
        view = self.doc["bufferViews"][acc["bufferView"]]
        dtype = np.dtype(_DTYPES[acc["componentType"]])
        width = _WIDTH[acc["type"]]
        start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
        assert start % dtype.itemsize == 0
        arr = np.frombuffer(self.blob, dtype, acc["count"] * width, start)
        return arr.reshape(acc["count"], width) if width > 1 else arr

    # --- nodes and animation -------------------------------------------------------
    def parents(self) -> list[int]:
        par = [-1] * len(self.doc["nodes"])
        for i, n in enumerate(self.doc["nodes"]):
            for c in n.get("children", []):
                par[c] = i
        return par

    def sample(self, time: float) -> tuple[np.ndarray, np.ndarray]:
        """Local translations [N, 3] and rotations [N, 4] (xyzw) of all nodes at `time`."""
        nodes = self.doc["nodes"]
        tr = np.array([n.get("translation", [0, 0, 0]) for n in nodes], dtype=np.float64)
        rot = np.array([n.get("rotation", [0, 0, 0, 1]) for n in nodes], dtype=np.float64)
        anim = self.doc["animations"][0]
        for ch in anim["channels"]:
            s = anim["samplers"][ch["sampler"]]
            assert s["interpolation"] == "LINEAR"
            times = self.accessor(s["input"]).astype(np.float64)
            out = self.accessor(s["output"]).astype(np.float64)
            k = int(np.clip(np.searchsorted(times, time, side="right") - 1, 0, len(times) - 1))
            k1 = min(k + 1, len(times) - 1)
            w = 0.0 if k1 == k else float(np.clip((time - times[k]) / (times[k1] - times[k]), 0, 1))
            a, b = out[k], out[k1]
            if ch["target"]["path"] == "rotation":
                b = -b if np.dot(a, b) < 0 else b
                v = (1 - w) * a + w * b
                v /= np.linalg.norm(v)
                rot[ch["target"]["node"]] = v
            else:
                tr[ch["target"]["node"]] = (1 - w) * a + w * b
        return tr, rot

    def world_matrices(self, time: float) -> np.ndarray:
        tr, rot = self.sample(time)
        par = self.parents()
        world = np.zeros((len(par), 4, 4))
        done = [False] * len(par)

        def get(i: int) -> np.ndarray:
            if not done[i]:
                local = np.eye(4)
                local[:3, :3] = quat_xyzw_to_matrix(rot[i])
                local[:3, 3] = tr[i]
                world[i] = local if par[i] < 0 else get(par[i]) @ local
                done[i] = True
            return world[i]

        for i in range(len(par)):
            get(i)
        return world

    def joint_positions(self, time: float) -> np.ndarray:
        """World positions [J, 3] of the skin's joints (or of all nodes without a skin)."""
        world = self.world_matrices(time)
        joints = self.doc["skins"][0]["joints"] if self.doc.get("skins") else \
            [i for i, n in enumerate(self.doc["nodes"]) if "mesh" not in n]
        return world[joints, :3, 3]

    def skinned_vertices(self, time: float) -> np.ndarray:
        """The first skinned primitive's vertices [V, 3] at `time` (linear blend skinning)."""
        skin = self.doc["skins"][0]
        mesh_node = next(n for n in self.doc["nodes"] if "skin" in n)
        prim = self.doc["meshes"][mesh_node["mesh"]]["primitives"][0]
        pos = self.accessor(prim["attributes"]["POSITION"]).astype(np.float64)
        idx = self.accessor(prim["attributes"]["JOINTS_0"]).astype(np.int64)
        w = self.accessor(prim["attributes"]["WEIGHTS_0"]).astype(np.float64)
        ibm = self.accessor(skin["inverseBindMatrices"]).reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)
        joint_mats = self.world_matrices(time)[skin["joints"]] @ ibm  # [J, 4, 4]
        per = joint_mats[idx]  # [V, 4, 4, 4]
        m = np.einsum("vk,vkij->vij", w, per)
        return np.einsum("vij,vj->vi", m[:, :3, :3], pos) + m[:, :3, 3]


def quat_xyzw_to_matrix(q: np.ndarray) -> np.ndarray:
    x, y, z, w = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])
