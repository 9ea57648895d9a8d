"""Render a motion on the body into an MP4 or GIF, offscreen (shared by `main.py render` and the GUI export)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Generator, Sequence

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress
from app.engine.tasks.body_tasks import posed_body


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
    cameras: Sequence[Any] | None = None,
    body_joints: np.ndarray | None = None,
    show_grid: bool = True,
    show_shadow: bool = True,
    show_contacts: bool = True,
) -> Generator[Progress, None, Path]:
    """Task: body preparation, skinning, rendering and encoding, with progress; returns the written path.

    ``cameras`` (one Camera per frame, e.g. the viewport's, snapshotted on the GUI thread) overrides
    the ``camera`` preset. Overlays, contacts and the follow camera use the body's own joints
    (``body_joints`` or computed here), since the body's stride follows its own leg length.
    """
    from app.viewers.camera import follow, preset
    from app.viewers.mesh_renderer import MeshRenderer
    from app.viewers.scene import FrameScene, foot_contacts
    from app.viewers.video import VideoWriter

    clip.validate()
    n = clip.num_frames
    if cameras is not None and len(cameras) != n:
        raise InvalidInputError(f"{len(cameras)} cameras for {n} frames")
    body, vertices = yield from posed_body(clip, body_name, body, vertices, 0.0, 0.2, 0.4)
    if body_joints is None or len(body_joints) != n:
        body_joints = _body_joints(body, clip)
    joints = np.asarray(body_joints, dtype=np.float32)
    contacts = foot_contacts(joints, clip.fps) if show_contacts else None
    orbit = preset(camera, joints) if cameras is None else None
    renderer = MeshRenderer(width, height)
    writer = VideoWriter(Path(out), fps or clip.fps)
    try:
        for i in range(n):
            if cameras is not None:
                cam = cameras[i]
            else:
                cam = (follow(orbit, joints[i, 0]) if camera == "follow" else orbit).to_camera()
            scene = FrameScene(vertices=vertices[i], faces=body.faces,
                               joints=joints[i] if show_skeleton else None,
                               parents=clip.skeleton.parents if show_skeleton else None,
                               contacts=None if contacts is None else contacts[i],
                               show_grid=show_grid, show_shadow=show_shadow)
            writer.append(renderer.render(scene, cam))
            yield Progress(0.4 + 0.6 * (i + 1) / n, f"rendering frame {i + 1}/{n}")
        path = writer.close()
    except BaseException:
        writer.abort()  # nothing half-written is left looking complete
        raise
    finally:
        renderer.close()
    return Path(path)


def _body_joints(body: Any, clip: MotionClip) -> np.ndarray:
    """The body's SMPL-22 joints following the clip (falls back to the clip's own joints)."""
    try:
        return np.asarray(body.joints_smpl22(clip), dtype=np.float32)
    except (AttributeError, NotImplementedError):
        return clip.joints().astype(np.float32)
