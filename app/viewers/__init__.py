"""Qt-free viewers: cameras, per-frame scenes and the offscreen (EGL/OSMesa) mesh renderer.

``import app.viewers`` stays light: OpenGL is only loaded when ``MeshRenderer``
(or ``app.viewers.mesh_renderer``) is first used, after the GL platform was chosen.
"""
from __future__ import annotations

from typing import Any

from app.viewers.camera import Camera, OrbitCamera, follow, preset
from app.viewers.scene import FrameScene, compute_vertex_normals, foot_contacts

__all__ = ["Camera", "OrbitCamera", "preset", "follow", "FrameScene", "compute_vertex_normals",
           "foot_contacts", "MeshRenderer", "GLUnavailableError", "VideoWriter", "write_video"]


def __getattr__(name: str) -> Any:
    if name in ("MeshRenderer", "GLUnavailableError"):
        from app.viewers import mesh_renderer
        return getattr(mesh_renderer, name)
    if name in ("write_video", "VideoWriter"):
        from app.viewers import video
        return getattr(video, name)
    raise AttributeError(f"module 'app.viewers' has no attribute {name!r}")
