"""2.5D clips: a MotionClip on the textured body -> RGB video, metric depth (16-bit PNG + colour-mapped
MP4), person masks and cameras, aligned pixel for pixel (shared by `main.py render2p5d` and the GUI).

Output folder layout: ``rgb.mp4``, ``depth_vis.mp4``, ``depth/000000.png`` (uint16 millimetres,
0 = no geometry), ``mask/000000.png`` (0/255), ``camera.json`` (K, per-frame world->camera
OpenCV extrinsics, depth range of the colour map). Everything is written into a hidden
staging folder next to the destination and moved into place at the end, ``camera.json``
last, so a failed or cancelled run never leaves a complete-looking result.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress
from app.engine.tasks.body_tasks import posed_body

log = logging.getLogger(__name__)

CAMERAS = ("front", "side", "top", "follow", "orbit")
MAX_SIDE = 4096
MIN_SIDE = 16
NAMED_COLORS = {"grey": (0.30, 0.33, 0.38), "gray": (0.30, 0.33, 0.38), "black": (0.0, 0.0, 0.0),
                "white": (1.0, 1.0, 1.0), "green": (0.0, 0.69, 0.25), "blue": (0.15, 0.25, 0.55)}


@dataclass
class Render2p5dOptions:
    width: int = 512
    height: int = 512
    background: str = "grey"    # "scene", a colour name or #rrggbb, or an image path
    camera: str = "follow"
    skin: str = "medium"
    clothing: str = "denim"
    lights: str = "studio"
    fps: float | None = None


def check_size(width: int, height: int) -> None:
    if not (MIN_SIDE <= int(width) <= MAX_SIDE and MIN_SIDE <= int(height) <= MAX_SIDE):
        raise InvalidInputError(f"resolution {width}x{height} is out of range ({MIN_SIDE}..{MAX_SIDE} per side)")


def parse_background(spec: str):
    """A :class:`Backdrop` from ``scene``, a colour name, ``#rrggbb`` or an image file."""
    from app.viewers.textured import Backdrop

    s = (spec or "grey").strip()
    if s == "scene":
        return Backdrop("scene")
    if s.lower() in NAMED_COLORS:
        return Backdrop("color", color=NAMED_COLORS[s.lower()])
    if s.startswith("#") and len(s) == 7:
        try:
            return Backdrop("color", color=tuple(int(s[i:i + 2], 16) / 255.0 for i in (1, 3, 5)))
        except ValueError:
            pass
    path = Path(s)
    if path.is_file():
        from PIL import Image

        try:
            with Image.open(path) as img:
                return Backdrop("image", image=np.asarray(img.convert("RGB")))
        except Exception as exc:  # noqa: BLE001 - any decoding failure is bad input
            raise InvalidInputError(f"{path.name}: cannot read the background image ({exc})") from None
    raise InvalidInputError(f"background {spec!r}: use 'scene', a colour ({', '.join(NAMED_COLORS)} or #rrggbb) "
                            "or an existing image file")


def camera_path(kind: str, joints: np.ndarray, aspect: float) -> list:
    """One :class:`Camera` per frame: fixed presets, ``follow`` (tracks the pelvis) or ``orbit`` (a half turn)."""
    from app.viewers.camera import follow, preset

    if kind not in CAMERAS:
        raise InvalidInputError(f"unknown camera {kind!r}; choose from {', '.join(CAMERAS)}")
    n = len(joints)
    base = preset("follow" if kind in ("follow", "orbit") else kind, joints, aspect=aspect)
    cams = []
    for i in range(n):
        if kind == "follow":
            cams.append(follow(base, joints[i, 0]).to_camera())
        elif kind == "orbit":
            yaw = -90.0 + 180.0 * (i / max(n - 1, 1))
            cams.append(replace(follow(base, joints[i, 0]), yaw=yaw).to_camera())
        else:
            cams.append(base.to_camera())
    return cams


class StagedFolder:
    """Write into ``.NAME.partial-xxxx`` beside ``dest``; :meth:`commit` moves the content in, ``last`` file last."""

    def __init__(self, dest: str | Path) -> None:
        self.dest = Path(dest)
        parent = self.dest.parent
        if not parent.is_dir():
            raise InvalidInputError(f"{self.dest}: parent folder {parent} does not exist")
        if self.dest.exists() and not self.dest.is_dir():
            raise InvalidInputError(f"{self.dest}: exists and is not a folder")
        target = self.dest if self.dest.is_dir() else parent
        if not os.access(target, os.W_OK | os.X_OK):
            raise InvalidInputError(f"{target}: folder is not writable")
        self.path = parent / f".{self.dest.name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            self.path.mkdir()
        except OSError as exc:
            raise InvalidInputError(f"{parent}: cannot create a folder there ({exc.strerror})") from None

    def commit(self, last: str) -> Path:
        self.dest.mkdir(exist_ok=True)
        marker = self.dest / last
        marker.unlink(missing_ok=True)  # the old result stops looking complete first
        for item in sorted(self.path.iterdir(), key=lambda p: p.name == last):
            target = self.dest / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
        self.path.rmdir()
        return self.dest

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def camera_record(cameras: list, width: int, height: int, fps: float, near: float, far: float) -> dict[str, Any]:
    k = cameras[0].intrinsics(width, height)
    return {"width": width, "height": height, "fps": fps, "K": k.tolist(), "fov_y_deg": cameras[0].fov_y_deg,
            "convention": "OpenCV camera (x right, y down, z forward); world metres, Y up; pixel centres on "
                          "integers; depth = camera z in millimetres (uint16 PNG), 0 = background",
            "depth_vis_range_m": [near, far], "depth_vis_colormap": "turbo, near red -> far blue, 0 black",
            "world_to_camera": [np.round(c.world_to_camera_cv(), 6).tolist() for c in cameras]}


def render_2p5d(clip: MotionClip, out_dir: str | Path, options: Render2p5dOptions = Render2p5dOptions(),
                body: Any = None, vertices: np.ndarray | None = None,
                body_name: str = "anny") -> Generator[Progress, None, Path]:
    """Task: render the 2.5D clip into ``out_dir`` (see the module notes); returns the folder."""
    import cv2

    from app.engine.avatar.appearance import Appearance, body_texture
    from app.viewers.depth import colorize_depth, depth_range, write_depth_png
    from app.viewers.textured import TexturedMeshRenderer
    from app.viewers.video import VideoWriter

    check_size(options.width, options.height)
    if clip.num_frames == 0:
        raise InvalidInputError("the clip has no frames")
    clip.validate()
    backdrop = parse_background(options.background)
    appearance = Appearance(options.skin, options.clothing)
    stage = StagedFolder(out_dir)
    renderer = None
    writers: list = []
    try:
        body, vertices = yield from posed_body(clip, body_name, body, vertices, 0.0, 0.1, 0.25)
        tex = body_texture(body, appearance)
        joints = body.joints_smpl22(clip) if hasattr(body, "joints_smpl22") else clip.joints()
        cams = camera_path(options.camera, np.asarray(joints), options.width / options.height)
        if backdrop.kind == "scene":
            backdrop.ground_center = (float(joints[0, 0, 0]), float(joints[0, 0, 2]))
        renderer = TexturedMeshRenderer(options.width, options.height)
        renderer.set_texture(tex.texture, tex.uv, tex.uv_faces, tex.vertex_index)
        renderer.set_lights(options.lights)
        fps = options.fps or clip.fps
        (stage.path / "depth").mkdir()
        (stage.path / "mask").mkdir()
        rgb_w = VideoWriter(stage.path / "rgb.mp4", fps)
        vis_w = VideoWriter(stage.path / "depth_vis.mp4", fps)
        writers = [rgb_w, vis_w]
        n = clip.num_frames
        near = far = None
        for i in range(n):
            rgb, depth, mask = renderer.render_frame(vertices[i], body.faces, cams[i], backdrop)
            if near is None:  # one colour-map range for the clip, from the person's depth at frame 0 +- margin
                near, far = depth_range(np.where(mask, depth, 0))
                near, far = max(0.05, near - 0.5), far + (1.5 if backdrop.kind == "scene" else 0.5)
            rgb_w.append(rgb)
            vis_w.append(colorize_depth(depth, near, far))
            write_depth_png(stage.path / "depth" / f"{i:06d}.png", depth)
            cv2.imwrite(str(stage.path / "mask" / f"{i:06d}.png"), mask.astype(np.uint8) * 255)
            yield Progress(0.25 + 0.7 * (i + 1) / n, f"rendering 2.5D frame {i + 1}/{n}")
        for w in writers:
            w.close()
        record = camera_record(cams, options.width, options.height, fps, near, far)
        record.update({"background": options.background, "camera_mode": options.camera, "skin": options.skin,
                       "clothing": options.clothing, "frames": n})
        (stage.path / "camera.json").write_text(json.dumps(record, indent=1))
        out = stage.commit(last="camera.json")
    except BaseException:
        for w in writers:
            w.abort()
        stage.abort()
        raise
    finally:
        if renderer is not None:
            renderer.close()
    yield Progress(1.0, "2.5D clip written")
    log.info("2.5D clip written to %s", out)
    return out


