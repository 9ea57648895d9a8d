"""Hostile motion files: every reader ends in a result or a one-line InvalidInputError.

Property-based (hypothesis, short and derandomised here; ``bench/fuzz_inputs.py`` runs the same
targets for minutes) plus the resource limits and the crashes the fuzzer found, as regressions.
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.cli.main import main as cli_main
from app.core import npz_io
from app.core.errors import InvalidInputError, MotionFileError
from app.core.motion_io import load_motion

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import fuzz_targets as ft  # noqa: E402

FUZZ = settings(max_examples=30, deadline=5000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def seeds(folder) -> dict[str, list[bytes]]:
    return ft.make_seeds(folder / "seeds")


def _assert_survives(name: str, data: bytes, folder: Path) -> None:
    out = ft.run_input(ft.TARGETS[name], data, folder, timeout_s=20.0)
    assert out.kind in ("ok", "rejected"), f"{name}: {out.kind}: {out.detail}"


@pytest.mark.parametrize("name", ["bvh", "npz_ours", "npz_smpl", "gltf.glb", "gltf.gltf", "deepmimic"])
@FUZZ
@given(rnd=st.randoms(use_true_random=False))
def test_motion_readers_survive_hostile_files(name, rnd, seeds, folder):
    _assert_survives(name, ft.one_input(ft.TARGETS[name], seeds[name], rnd), folder)


_ARRAYS = hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex64,
                                            np.dtype("<U6"), np.dtype("S3")]),
                     shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=24))


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(ft._NPZ_KEYS), _ARRAYS, max_size=8), ours=st.booleans())
def test_npz_with_arbitrary_arrays(arrays, ours, folder):
    if ours:
        arrays["format"] = np.array("action_studio_motion")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    _assert_survives("npz_ours", buf.getvalue(), folder)


# --------------------------------------------------------------------------- resource limits
def test_multi_gigabyte_bvh_is_refused_before_reading(tmp_path):
    big = tmp_path / "huge.bvh"
    with open(big, "wb") as fh:
        fh.write(b"HIERARCHY\nROOT a\n{\n")
        fh.truncate(3 * (1 << 30))  # sparse: 3 GB on paper, nothing on disk
    with pytest.raises(MotionFileError, match="huge.bvh: BVH file of 3,072 MiB is larger than the limit of 256 MiB"):
        load_motion(big)


def test_zip_bomb_npz_is_refused_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(npz_io, "MAX_NPZ_UNCOMPRESSED_BYTES", 1 << 20)
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("poses.npy", ft.npy_header((4096, 66)) + bytes(4096 * 66 * 8))
    assert bomb.stat().st_size < 10_000
    with pytest.raises(MotionFileError, match="the arrays unpack to 2 MiB, over the limit of 1 MiB"):
        load_motion(bomb)


def test_npz_member_lying_about_its_shape_is_refused_without_allocating(tmp_path):
    liar = tmp_path / "liar.npz"
    with zipfile.ZipFile(liar, "w") as zf:
        zf.writestr("poses.npy", ft.npy_header((10 ** 12, 66)) + bytes(64))
    with pytest.raises(MotionFileError, match="claims shape \\[1000000000000, 66\\]"):
        load_motion(liar)


def test_pickles_and_single_npy_are_refused(tmp_path):
    obj = tmp_path / "obj.npz"
    np.savez(obj, poses=np.array([{"a": 1}], dtype=object), trans=np.zeros((1, 3)))
    with pytest.raises(MotionFileError, match="pickled objects"):
        load_motion(obj)
    single = tmp_path / "single.npz"
    with open(single, "wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(MotionFileError, match="a single .npy array"):
        load_motion(single)


def test_deep_and_huge_bvh_hierarchies_and_absurd_frame_rates(tmp_path):
    deep = "HIERARCHY\n" + "".join(f"{'ROOT' if d == 0 else 'JOINT'} j{d}\n{{\nOFFSET 0 1 0\nCHANNELS 1 Xrotation\n"
                                   for d in range(3000)) + "}\n" * 3000 + "MOTION\nFrames: 1\nFrame Time: 0.03\n"
    (tmp_path / "deep.bvh").write_text(deep + " ".join(["0"] * 3000) + "\n")
    with pytest.raises(MotionFileError, match="more than 1024 joints"):
        load_motion(tmp_path / "deep.bvh")
    from app.core.bvh import write_bvh
    write_bvh(ft._seed_clip(), tmp_path / "ok.bvh")
    src = (tmp_path / "ok.bvh").read_text()
    for frame_time, words in (("1e-09", "frame rate of 1e+09 fps, outside"), ("1e6", "of 1e-06 fps, outside 0.1-10000")):
        (tmp_path / "fps.bvh").write_text(src.replace("Frame Time: 0.0333333333", f"Frame Time: {frame_time}"))
        with pytest.raises(MotionFileError, match=re.escape(words)):
            load_motion(tmp_path / "fps.bvh")


# --------------------------------------------------------------------------- crashes the fuzzer found
def test_fuzzer_findings_stay_fixed(tmp_path, seeds):
    cases = {
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),            # RecursionError
        "list.gltf": (b"[1, 2]", "not a glTF document"),                                # AttributeError
        "deep.gltf": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),            # RecursionError
        "slow.json": (seeds["deepmimic"][0].replace(b"0.03333333333333333, 0.06", b"3600, 0.06"),
                      "frame durations vary too much"),                                 # an hour of re-timing
    }
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        target = ft.read_deepmimic_file if name.endswith(".json") else ft.read_gltf_file
        with pytest.raises(MotionFileError, match=words):
            target(tmp_path / name)
    import json
    doc = json.loads(seeds["gltf.gltf"][0])
    doc["nodes"][0]["children"], doc["nodes"][1]["children"] = [1], [0]                 # a cyclic node graph:
    (tmp_path / "cyclic.gltf").write_text(json.dumps(doc))                               # joints are found by name
    ft.read_gltf_file(tmp_path / "cyclic.gltf")
    clip = ft._seed_clip()
    parents0d = tmp_path / "parents.npz"                                                # TypeError: 0-d iteration
    npz_io.save_npz(clip, parents0d)
    arrays = dict(np.load(parents0d))
    arrays["skeleton_parents"] = np.array("x")
    np.savez(parents0d, **arrays)
    with pytest.raises(MotionFileError, match="bad skeleton"):
        load_motion(parents0d)
    arrays = dict(np.load(tmp_path / "parents.npz"))
    arrays.update(skeleton_parents=np.array(clip.skeleton.parents), poses=np.full((12, 66), 1e300))
    np.savez(tmp_path / "huge.npz", **arrays)                                           # finite but overflowing
    with pytest.raises(MotionFileError, match="values out of range"):
        load_motion(tmp_path / "huge.npz")


def test_messages_are_one_line_and_the_cli_exits_2(tmp_path, capsys):
    assert issubclass(MotionFileError, InvalidInputError)
    err = MotionFileError("x.bvh", "bad\nthing " + "y" * 1000)
    assert "\n" not in str(err) and len(str(err)) < 260
    for name, data in (("garbage.npz", b"PK\x03\x04" + bytes(100)), ("garbage.bvh", b"\xff" * 100),
                       ("empty.bvh", b"")):
        (tmp_path / name).write_bytes(data)
        assert cli_main(["info", str(tmp_path / name)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}: ")
