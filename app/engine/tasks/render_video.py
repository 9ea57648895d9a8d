"""Render a motion on the body into an MP4 or GIF, offscreen (shared by `main.py render` and the GUI export)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Generator

import numpy as np

from app.core.motion import MotionClip
from app.engine.jobs import Progress
from app.engine.tasks.body_tasks import load_body, skin_clip
from app.engine.tasks.steps import sub_task


def render_clip_video(
    clip: MotionClip,
    out: str | Path,
    width: int = 640,
    height: int = 480,
    camera: str = "follow",
    body_name: str = "anny",
    show_skeleton: bool = False,
    fps: float | None = None,
    body: Any = None,
    vertices: np.ndarray | None = None,
) -> Generator[Progress, None, Path]:
    """Task: body preparation, skinning, rendering and encoding, with progress; returns the written path."""
    from app.viewers.camera import follow, preset
    from app.viewers.mesh_renderer import MeshRenderer
    from app.viewers.scene import FrameScene, foot_contacts
    from app.viewers.video import VideoWriter

    clip.validate()
    if body is None:
        body = yield from sub_task(load_body(body_name), 0.0, 0.2)
    if vertices is None:
        vertices = yield from sub_task(skin_clip(body, clip), 0.2, 0.4)
    joints = clip.joints().astype(np.float32)
    contacts = foot_contacts(joints, clip.fps)
    orbit = preset(camera, joints)
    n = clip.num_frames
    renderer = MeshRenderer(width, height)
    writer = VideoWriter(Path(out), fps or clip.fps)
    try:
        for i in range(n):
            cam = follow(orbit, joints[i, 0]) if camera == "follow" else orbit
            scene = FrameScene(vertices=vertices[i], faces=body.faces,
                               joints=joints[i] if show_skeleton else None,
                               parents=clip.skeleton.parents if show_skeleton else None,
                               contacts=contacts[i])
            writer.append(renderer.render(scene, cam.to_camera()))
            yield Progress(0.4 + 0.6 * (i + 1) / n, f"rendering frame {i + 1}/{n}")
        path = writer.close()
    except BaseException:
        writer.abort()  # nothing half-written is left looking complete
        raise
    finally:
        renderer.close()
    return Path(path)
