"""FBX export: the studio's glTF (skeleton, animation, skinned textured body) converted by Blender.

The studio writes its validator-clean .glb (:mod:`app.engine.body.gltf_export`) to a temporary
folder, then Blender-as-a-module (``bpy``) converts it in a subprocess (``blender_fbx.py``), so
Blender's start-up time and memory never enter the studio's process. The FBX is Y up, the body
facing +Z, declared in metres, with the 22 SMPL-22 joints as bones, one take baked on every
frame at the clip's fps and, when the Anny body is prepared, its skinned mesh with the texture
embedded (see the script's docstring for the exporter settings).

``bpy`` is about 520 MB and optional: without it the export fails with :class:`FbxUnavailableError`
(which names the install command), and :func:`fbx_unavailable_reason` lets menus say so up front.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.errors import ActionStudioError, MotionFileError
from app.core.motion import MotionClip
from app.core.gltf import build_gltf, glb_bytes
from app.engine.body.gltf_export import NO_MESH_NOTE, export_gltf
from app.engine.jobs import Progress

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("blender_fbx.py")
BPY_REQUIREMENT = "bpy==4.2.0"
INSTALL_COMMAND = f".venv/bin/pip install {BPY_REQUIREMENT}"
RESULT_PREFIX = "FBX_RESULT "
TIMEOUT_S = 600.0  # Blender converts a minute of motion in seconds; this only stops a hung process


class FbxUnavailableError(ActionStudioError):
    """FBX export needs Blender-as-a-module (bpy), which is not installed."""

    def __init__(self) -> None:
        super().__init__(f"FBX export needs Blender's Python module: run `{INSTALL_COMMAND}` (about 520 MB)")


@dataclass
class FbxExport:
    """What an FBX export wrote: the path, whether the body mesh is in it, a note if not, and timings."""

    path: Path
    with_mesh: bool
    note: str = ""
    seconds: float = 0.0  # the whole export (glTF + Blender)
    blender: dict = field(default_factory=dict)  # the Blender script's summary (bones, frames, fps, ...)


def bpy_available() -> bool:
    """Whether Blender-as-a-module can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec("bpy") is not None
    except (ImportError, ValueError):
        return False


def fbx_unavailable_reason() -> str | None:
    """None when FBX export works here, else a one-line way to enable it."""
    return None if bpy_available() else f"needs bpy: {INSTALL_COMMAND}"


def _check_path(path: Path) -> None:
    if path.suffix.lower() != ".fbx":
        raise MotionFileError(path, f"unsupported FBX file type {path.suffix or '(none)'} (use .fbx)")
    if not path.parent.is_dir():
        raise MotionFileError(path, f"the folder {path.parent} does not exist")
    if path.is_dir():
        raise MotionFileError(path, "is a folder")


def _tail(text: str, lines: int = 1) -> str:
    useful = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith(RESULT_PREFIX)]
    return " | ".join(useful[-lines:]) or "no output"


def write_glb_for_blender(clip: MotionClip, glb: Path, body: Any = None) -> tuple[bool, str]:
    """The studio's .glb for Blender to convert; returns (with the body mesh, note).

    Without a skinned body the glb still declares a skin over the 22 joint nodes (a glTF skin
    need not be used by a mesh), so Blender imports them as an armature rather than as empties.
    """
    if body is not None:
        result = export_gltf(clip, glb, body)
        if result.with_mesh:
            return True, ""
        note = result.note
    else:
        note = NO_MESH_NOTE
    clip.validate()
    skeleton = clip.skeleton
    doc, blob = build_gltf(skeleton, clip.trans, clip.rotations, clip.fps, None, clip.name or glb.stem)
    ibm = np.repeat(np.eye(4)[None], skeleton.num_joints, axis=0)
    ibm[:, :3, 3] = -skeleton.rest_positions()
    raw = np.transpose(ibm, (0, 2, 1)).astype(np.float32).tobytes()  # column-major matrices
    data = bytearray(blob)
    doc["bufferViews"].append({"buffer": 0, "byteOffset": len(data), "byteLength": len(raw)})
    data.extend(raw)
    doc["accessors"].append({"bufferView": len(doc["bufferViews"]) - 1, "componentType": 5126,
                             "count": skeleton.num_joints, "type": "MAT4"})
    roots = [k for k, p in enumerate(skeleton.parents) if p < 0]
    doc["skins"] = [{"name": "skeleton", "joints": list(range(skeleton.num_joints)),
                     "inverseBindMatrices": len(doc["accessors"]) - 1, "skeleton": roots[0]}]
    doc["buffers"][0]["byteLength"] = len(data)
    glb.write_bytes(glb_bytes(doc, bytes(data)))
    return False, note


def blender_convert(glb: Path, fbx: Path, fps: float, name: str,
                    timeout: float = TIMEOUT_S) -> Generator[Any, None, dict]:
    """Task step: run the Blender script on `glb` -> `fbx` in a subprocess, yielding while it works.

    Closing the generator (a cancelled job) kills the subprocess. Returns the script's summary.
    """
    if not bpy_available():
        raise FbxUnavailableError()
    log_path = fbx.with_suffix(".blender.log")
    cmd = [sys.executable, str(SCRIPT), str(glb), str(fbx), "--fps", repr(float(fps)), "--name", name]
    env = dict(os.environ, PYTHONNOUSERSITE="1")
    t0 = time.monotonic()
    with open(log_path, "w+", encoding="utf-8", errors="replace") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            while proc.poll() is None:
                elapsed = time.monotonic() - t0
                if elapsed > timeout:
                    raise MotionFileError(fbx, f"Blender did not finish the FBX within {timeout:.0f} s")
                yield Progress(None, f"Blender: writing {fbx.name} ({elapsed:.0f} s)")
                time.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        text = out.read()
    result = next((ln[len(RESULT_PREFIX):] for ln in text.splitlines() if ln.startswith(RESULT_PREFIX)), None)
    if proc.returncode != 0 or result is None or not fbx.is_file():
        log.info("Blender output:\n%s", text[-4000:])
        raise MotionFileError(fbx, f"Blender could not write the FBX ({_tail(text)})")
    return json.loads(result)


def export_fbx_task(clip: MotionClip, path: str | Path, body: Any = None, body_name: str | None = None
                    ) -> Generator[Any, None, FbxExport]:
    """Engine task: write `clip` as FBX; with `body` (or `body_name='anny'`, if prepared) the skinned mesh.

    Without a body with skin weights the FBX holds the skeleton and animation only (noted).
    """
    path = Path(path)
    _check_path(path)
    if not bpy_available():
        raise FbxUnavailableError()
    t0 = time.perf_counter()
    if body is None and body_name == "anny":
        from app.engine.body.prepare import is_anny_prepared

        if is_anny_prepared():
            yield Progress(0.05, "loading body model")
            from app.engine.body import get_body

            body = get_body("anny")
    yield Progress(0.2, "writing glTF for Blender")
    with tempfile.TemporaryDirectory(prefix="fbx-") as tmp:
        glb = Path(tmp) / "motion.glb"
        try:
            with_mesh, note = write_glb_for_blender(clip, glb, body)
            yield Progress(0.5, "starting Blender")
            name = _take_name(clip.name or path.stem)
            summary = yield from blender_convert(glb, Path(tmp) / "motion.fbx", clip.fps, name)
        except MotionFileError as exc:  # name the user's file, not the temporary one
            raise MotionFileError(path, exc.problem) from None
        except ValueError as exc:
            raise MotionFileError(path, str(exc)) from None
        try:
            shutil.move(str(Path(tmp) / "motion.fbx"), str(path))
        except OSError as exc:
            raise MotionFileError(path, exc.strerror or str(exc)) from None
    seconds = time.perf_counter() - t0
    log.info("wrote %s in %.1f s (Blender %.1f s): %d bones, %d frames at %g fps%s", path, seconds,
             summary.get("seconds", 0.0), len(summary.get("bones", [])), summary.get("frames", 0), clip.fps,
             f"; {note}" if note else "")
    return FbxExport(path, with_mesh, note, seconds, summary)


def _take_name(name: str) -> str:
    """A take/action name safe for FBX consumers (letters, digits, _ and -)."""
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in name.strip())[:60].strip("_")
    return safe or "motion"
