"""Mutators and generators of hostile inputs for ``bench/fuzz_targets.py``.

Mutators keep a seed file's shape and damage it (truncate, flip bits, splice, swap numbers, replace
JSON values or npz arrays); generators build hostile files from scratch (deep hierarchies, absurd
frame rates, wrong types and shapes, lying npy headers, pickles, cyclic glTF nodes, deep JSON).
"""
from __future__ import annotations

import base64
import copy
import io
import json
import random
import re
import struct
import warnings
import zipfile

import numpy as np

INTERESTING_NUMBERS = ["nan", "-nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "0", "-0", "-1", "1e400",
                       "4294967296", "99999999999999999999", "0x10", "", "abc", "1,5", "\x00", "1e-9", "1e9"]
INTERESTING_FRAME_TIMES = [1e-320, 1e-12, 1e-5, 0.0001, 0.00833333, 0.0333333, 1.0, 60.0, 1e5, 1e300, 0.0, -0.03]



def _deepmimic_json(frames: int = 8) -> bytes:
    rows = []
    for i in range(frames):
        row = [1 / 30, 0.01 * i, 0.9, 0.0, 1, 0, 0, 0]
        for size in (4, 4, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1):
            row += [1, 0, 0, 0] if size == 4 else [0.1 * i]
        rows.append(row)
    return json.dumps({"Loop": "wrap", "Frames": rows}).encode()


# --------------------------------------------------------------------------- mutators
def mutate_bytes(data: bytes, rnd: random.Random, text: bool = False) -> bytes:
    """1-4 random edits: truncate, flip bits, overwrite, insert, delete, duplicate, swap numbers."""
    if text and rnd.random() < 0.5:  # soft: the file stays well formed, its numbers become awkward
        return _edit_lines(_swap_numbers_finite(data, rnd), rnd) if rnd.random() < 0.3 else _swap_numbers_finite(data, rnd)
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(8 if text else 7)
        n = len(b)
        if op == 0 and n:
            del b[rnd.randrange(n):]
        elif op == 1 and n:
            for _ in range(rnd.randint(1, 8)):
                i = rnd.randrange(n)
                b[i] ^= 1 << rnd.randrange(8)
        elif op == 2 and n:
            i = rnd.randrange(n)
            b[i:i + 4] = rnd.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00"])
        elif op == 3:
            i = rnd.randint(0, n)
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 64)))
        elif op == 4 and n:
            i = rnd.randrange(n)
            del b[i:i + rnd.randint(1, max(1, n // 8))]
        elif op == 5 and n:
            i = rnd.randrange(n)
            chunk = b[i:i + rnd.randint(1, 256)]
            j = rnd.randint(0, n)
            b[j:j] = chunk * rnd.randint(1, 50)
        elif op == 6:
            b = bytearray(rnd.choice([b"", b"\x00" * rnd.randint(1, 4096), bytes(b[:rnd.randint(0, 64)])]))
        elif op == 7:
            b = bytearray(_swap_number(bytes(b), rnd))
    return bytes(b)


def _swap_numbers_finite(data: bytes, rnd: random.Random) -> bytes:
    """Replace up to 20 numbers by finite but awkward ones (zero bones, huge angles, tiny steps)."""
    nums = list(re.finditer(rb"-?\d+(?:\.\d+)?(?:e-?\d+)?", data))
    if not nums:
        return data
    picks = sorted(rnd.sample(nums, min(len(nums), rnd.randint(1, 20))), key=lambda m: m.start(), reverse=True)
    for m in picks:
        val = rnd.choice(["0", "1e6", "-1e6", "1e-9", "3600", "1e12", "-0.0", "7", "1", "2"])
        data = data[:m.start()] + val.encode() + data[m.end():]
    return data


def _edit_lines(data: bytes, rnd: random.Random) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2 or rnd.random() < 0.5:
        return data
    i = rnd.randrange(len(lines))
    op = rnd.randrange(3)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[rnd.randrange(len(lines))])
    else:
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


_HOSTILE_JSON = [None, "x", "", [], {}, [[]], -1, 0, 1e308, -1e308, float("nan"), float("inf"), 2 ** 64, 0.5, True,
                 [float("nan")] * 4, list(range(50)), {"a": {"b": {}}}]


def mutate_json(data: bytes, rnd: random.Random) -> bytes:
    """Parse, replace 1-4 random values anywhere in the tree with hostile ones, write back."""
    try:
        doc = json.loads(data)
    except ValueError:
        return mutate_bytes(data, rnd, text=True)
    for _ in range(rnd.randint(1, 4)):
        doc = _replace_random(doc, rnd, depth=0)
    return json.dumps(doc).encode()


def _replace_random(node, rnd: random.Random, depth: int):
    if isinstance(node, dict) and node and rnd.random() < 0.85:
        key = rnd.choice(sorted(node, key=str))
        node[key] = _replace_random(node[key], rnd, depth + 1)
        return node
    if isinstance(node, list) and node and rnd.random() < 0.85:
        i = rnd.randrange(len(node))
        if rnd.random() < 0.1:
            del node[i]
        else:
            node[i] = _replace_random(node[i], rnd, depth + 1)
        return node
    return copy.deepcopy(rnd.choice(_HOSTILE_JSON)) if rnd.random() < 0.8 else (node * rnd.choice([0, -1, 1e6, 3]) if
                                                                  isinstance(node, (int, float)) else node)


def mutate_glb(data: bytes, rnd: random.Random) -> bytes:
    """A .glb whose JSON chunk went through :func:`mutate_json` (the binary chunk is kept)."""
    if len(data) < 20 or data[:4] != b"glTF":
        return mutate_bytes(data, rnd)
    jlen = struct.unpack_from("<I", data, 12)[0]
    doc = mutate_json(data[20:20 + jlen], rnd)
    doc += b" " * (-len(doc) % 4)
    rest = data[20 + jlen:]
    body = struct.pack("<II", len(doc), 0x4E4F534A) + doc + rest
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def mutate_npz(data: bytes, rnd: random.Random) -> bytes:
    """Keep the archive valid and change its arrays: drop, replace, reshape, scale, poison with NaN."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception:  # noqa: BLE001 - not an npz any more: plain byte mutation
        return mutate_bytes(data, rnd)
    frames = len(arrays["poses"]) if "poses" in arrays and arrays["poses"].ndim else 1
    for key in rnd.sample(sorted(arrays), min(len(arrays), rnd.randint(1, 3))):
        op = rnd.randrange(5)
        a = arrays[key]
        if op == 0:
            del arrays[key]
        elif op == 1:
            arrays[key] = _hostile_array(key, rnd, frames)
        elif op == 2 and a.size:
            arrays[key] = a.reshape(-1)[: max(1, a.size - rnd.randint(0, 3))]
        elif op == 3 and a.dtype.kind in "fiu":
            arrays[key] = a * rnd.choice([0, -1, 1e6, 1e-12, 1e300])
        elif a.dtype.kind == "f" and a.size:
            a = a.copy()
            a.flat[rnd.randrange(a.size)] = rnd.choice([np.nan, np.inf, -np.inf])
            arrays[key] = a
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _swap_number(data: bytes, rnd: random.Random) -> bytes:
    nums = list(re.finditer(rb"-?\d+(?:\.\d+)?(?:e-?\d+)?", data))
    if not nums:
        return data
    m = rnd.choice(nums)
    return data[:m.start()] + rnd.choice(INTERESTING_NUMBERS).encode() + data[m.end():]


# --------------------------------------------------------------------------- generators of hostile inputs
def gen_bvh(rnd: random.Random) -> bytes:
    """A BVH with a random (possibly very deep) hierarchy, channels, frame time and values."""
    depth = rnd.choice([1, 2, 5, 30, 200, 2000])
    chans = rnd.choice([["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"],
                        ["Zrotation", "Yrotation", "Xrotation"], ["Xrotation"] * rnd.randint(1, 9), [], ["Bogus"]])
    lines = ["HIERARCHY"]
    for d in range(depth):
        lines += [("ROOT" if d == 0 else "JOINT") + f" j{d if rnd.random() > 0.02 else 0}", "{",
                  "OFFSET " + " ".join(rnd.choice(["0", "1.5", "-2", rnd.choice(INTERESTING_NUMBERS)]) for _ in range(3)),
                  f"CHANNELS {len(chans)} " + " ".join(chans)]
    lines += ["End Site", "{", "OFFSET 0 1 0", "}"] + ["}"] * (depth - rnd.choice([0, 0, 0, 1]))
    frames = rnd.choice([0, 1, 3, 40])
    ft = rnd.choice(INTERESTING_FRAME_TIMES)
    lines += ["MOTION", f"Frames: {frames + rnd.choice([0, 0, 1, -1])}", f"Frame Time: {ft!r}"]
    width = depth * len(chans)
    for _ in range(frames):
        vals = [rnd.choice(["0", "10", "-45.5", "720", rnd.choice(INTERESTING_NUMBERS)]) if rnd.random() < 0.1
                else f"{rnd.uniform(-180, 180):.3f}" for _ in range(width + rnd.choice([0, 0, 0, 1, -1]))]
        lines.append(" ".join(vals))
    return ("\n".join(lines) + "\n").encode()


_NPZ_KEYS = ["poses", "trans", "betas", "fps", "mocap_framerate", "mocap_frame_rate", "gender", "joints",
             "skeleton_offsets", "skeleton_parents", "joint_names", "segments", "name", "text", "up_axis"]


def _hostile_array(key: str, rnd: random.Random, frames: int) -> np.ndarray:
    choice = rnd.randrange(10)
    if choice == 0:
        return np.array(rnd.choice([float("nan"), float("inf"), -1.0, 0.0, 1e300, 1e-300, 30.0, 120.0, 7]))
    if choice == 1:
        return np.array(rnd.choice(["", "x", "neutral", "[{\"start\": \"a\"}]", "{}", "[1, 2]", "y", "z"]))
    if choice == 2:
        return np.zeros((0,) * rnd.randint(1, 3))
    if choice == 3:
        a = np.random.default_rng(rnd.randrange(1 << 30)).normal(size=(frames, rnd.choice([3, 22, 66, 72, 156])))
        a.flat[rnd.randrange(a.size)] = rnd.choice([np.nan, np.inf, 1e308])
        return a
    if choice == 4:
        return np.arange(rnd.choice([1, 3, 22, 23])) - rnd.choice([0, 1, 5])
    if choice == 5:
        return np.array([b"bytes", b"\xff\xfe"])
    if choice == 6:
        return np.zeros((frames, 22, 3), dtype=rnd.choice([np.float16, np.int8, np.complex64, bool]))
    if choice == 7:
        return np.zeros(rnd.choice([(frames, 3), (frames, 66), (frames, 72), (22, 3), (frames, 3, 1)]))
    if choice == 8:
        return np.array(_smpl_names_shuffled(rnd))
    return np.random.default_rng(rnd.randrange(1 << 30)).normal(size=rnd.choice([(frames, 66), (frames, 3), (3,)]))


def _smpl_names_shuffled(rnd: random.Random) -> list[str]:
    from app.core.skeleton import SMPL22_NAMES
    names = list(SMPL22_NAMES)
    rnd.shuffle(names)
    return names[:rnd.choice([22, 22, 21, 3])] + rnd.choice([[], ["pelvis"], ["extra"]])


def npy_header(shape: tuple, dtype: str = "<f8") -> bytes:
    """A version 1.0 .npy header claiming ``shape`` (used to build lying members)."""
    d = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    pad = 64 - (10 + len(d) + 1) % 64
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d) + pad + 1) + d + b" " * pad + b"\n"


def gen_npz(rnd: random.Random, ours: bool) -> bytes:
    """An npz whose arrays have random wrong types, shapes and values (or lying headers, pickles)."""
    frames = rnd.choice([1, 2, 7])
    arrays = {k: _hostile_array(k, rnd, frames) for k in rnd.sample(_NPZ_KEYS, rnd.randint(1, len(_NPZ_KEYS)))}
    if ours:
        arrays["format"] = np.array("action_studio_motion")
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", rnd.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])) as zf:
        warnings.simplefilter("ignore")  # duplicate member names are part of the test
        for k, v in arrays.items():
            member = io.BytesIO()
            np.save(member, v, allow_pickle=False)
            zf.writestr(k + ".npy", member.getvalue())
        extra = rnd.randrange(6)
        if extra == 0:
            zf.writestr("poses.npy", npy_header((10 ** rnd.randint(6, 15), 66)) + b"\x00" * 64)
        elif extra == 1:
            obj = io.BytesIO()
            np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
            zf.writestr(rnd.choice(["poses.npy", "gender.npy"]), obj.getvalue())
        elif extra == 2:
            zf.writestr("notes.txt", b"not an array")
    return buf.getvalue()


def gen_gltf(rnd: random.Random) -> bytes:
    """A glTF JSON with SMPL-22 nodes, cyclic children and hostile accessors / buffers / animations."""
    from app.core.skeleton import SMPL22_NAMES
    n = len(SMPL22_NAMES)
    nodes = [{"name": nm, "children": [(i + 1) % n] if rnd.random() < 0.3 else [], "translation":
              rnd.choice([[0, 0.1, 0], [float("nan")] * 3, "x", [1e308] * 3, [0, 0]])} for i, nm in enumerate(SMPL22_NAMES)]
    count = rnd.choice([0, 1, 2, 5, -1, 10 ** 9, 2.5, "3", None])
    acc = {"componentType": rnd.choice([5126, 5126, 5123, "5126"]), "type": rnd.choice(["VEC4", "SCALAR", "MAT4", "X"]),
           "bufferView": rnd.choice([0, 0, 3, -1, None]), "count": count, "byteOffset": rnd.choice([0, 0, 3, -8, 10 ** 12])}
    view = {"buffer": 0, "byteOffset": rnd.choice([0, 0, 5, -4]), "byteStride": rnd.choice([None, 16, 4, 0, -16, 10 ** 9])}
    if view["byteStride"] is None:
        del view["byteStride"]
    blob = struct.pack("<" + "f" * 16, *([rnd.choice([0.0, 1.0, float("nan"), float("inf")]) for _ in range(16)]))
    uri = rnd.choice(["data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
                      "data:,!!!", "missing.bin", "/dev/zero", "../" * 20 + "etc/passwd", 42])
    doc = {"asset": {"version": "2.0"}, "nodes": nodes, "accessors": [acc, dict(acc, type="SCALAR")],
           "bufferViews": [view], "buffers": [{"byteLength": len(blob), "uri": uri}],
           "animations": [{"channels": [{"sampler": 0, "target": {"node": i, "path": "rotation"}} for i in range(n)]
                           + [{"sampler": rnd.choice([1, 7, -1]), "target": {"node": 0, "path": "translation"}}],
                           "samplers": [{"input": 1, "output": 0}, {"input": 1, "output": 0}]}]}
    shape = rnd.randrange(6)
    if shape == 0:
        return b"[" * 100000 + b"]" * 100000
    if shape == 1:
        return json.dumps([doc]).encode()
    if shape == 2:
        doc["nodes"] = [1, "x", None]
    return json.dumps(doc).encode()


def gen_deepmimic(rnd: random.Random) -> bytes:
    shape = rnd.randrange(7)
    if shape == 0:
        return b"[" * 100000 + b"]" * 100000
    if shape == 1:
        return json.dumps({"Frames": [[rnd.choice([1e308, float("nan"), -1.0, 0.0])] * 44] * rnd.randint(0, 5)}).encode()
    if shape == 2:
        return json.dumps({"Frames": "abc", "Loop": ["wrap"]}).encode()
    if shape == 3:
        return json.dumps([1, 2, 3]).encode()
    if shape == 4:
        return b'{"Frames": [[' + b",".join([b"1e400"] * 44) + b"]]}"
    if shape == 5:
        rows = json.loads(_deepmimic_json(rnd.randint(2, 6)))
        for r in rows["Frames"]:
            r[0] = rnd.choice([0.0, -1.0, 1e-320, 1e300, 1 / 30])
        rows["Loop"] = rnd.choice(["wrap", "none", 3, None])
        return json.dumps(rows).encode()
    return json.dumps({"Frames": [[0.0] * rnd.choice([43, 45, 44])] * 3}).encode()


def gen_prompt(rnd: random.Random) -> bytes:
    words = ["walk", "then", "after", ",", ";", "and", "before", "followed by", "twice", "3 times", " " * 500,
             "9" * 5000, "left", "right", "\x00", "\u202e", "🕺", "\n", "after a,", "finally", "."]
    return "".join(rnd.choice(words) + rnd.choice(["", " "]) for _ in range(rnd.randint(0, 400))).encode()
