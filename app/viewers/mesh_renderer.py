"""Offscreen viewport renderer: draws a :class:`FrameScene` from a :class:`Camera` into numpy images.

Threading: a GL context belongs to the thread that created it. Create one
``MeshRenderer`` per thread that renders (the UI's render worker, a video export
job ...) and call every method, ``close()`` included, from that thread.

Speed: the body mesh stays on the GPU; each frame only its positions and normals
are rewritten in place (``glBufferSubData``). Drawing is single-sampled by
default (``samples=4`` for smoother edges at a cost on software GL), colour is
read back as RGB only, and depth is read only by :meth:`render_with_depth`.
"""
from __future__ import annotations

import logging
import math
import threading

import numpy as np

from app.core.errors import ActionStudioError
from app.core.skeleton import FOOT_JOINTS
from app.viewers import gl_platform

gl_platform.configure()

import pyrender  # noqa: E402  (after the platform is chosen)

from app.viewers import overlays  # noqa: E402
from app.viewers.camera import Camera  # noqa: E402
from app.viewers.gl_backend import DynamicMesh, FastRenderer  # noqa: E402
from app.viewers.scene import FrameScene, compute_vertex_normals  # noqa: E402

log = logging.getLogger(__name__)

# Studio lights, fixed to the camera so the body is well lit from any orbit angle:
# (direction the light comes FROM in camera coordinates: x right, y up, +z toward viewer, intensity, colour)
STUDIO_LIGHTS = (
    ((-0.55, 0.65, 0.55), 2.8, (1.00, 0.97, 0.92)),   # key: upper left front, warm
    ((0.75, 0.15, 0.45), 1.1, (0.85, 0.90, 1.00)),    # fill: right, cool
    ((0.10, 0.55, -0.85), 1.8, (1.00, 1.00, 1.00)),   # rim: behind, above
)
AMBIENT = (0.22, 0.23, 0.26)
ORDER = {"body": 0, "grid": 1, "shadow": 2, "contacts": 3, "skeleton": 4}


class GLUnavailableError(ActionStudioError):
    """No offscreen OpenGL context (EGL or OSMesa) could be created."""


def _srgb_to_linear(c) -> np.ndarray:
    """The PBR shader gamma-encodes its output; feed it linear colours so sRGB inputs come out as given."""
    return np.power(np.clip(np.asarray(c, np.float32), 0.0, 1.0), 2.2)


def _light_pose(direction_from: np.ndarray) -> np.ndarray:
    """Pose of a pyrender directional light (which shines along its -Z axis) coming from ``direction_from``."""
    z = direction_from / np.linalg.norm(direction_from)
    x = np.cross([0.0, 1.0, 0.0], z)
    if np.linalg.norm(x) < 1e-6:
        x = np.array([1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, np.cross(z, x), z
    return pose


class MeshRenderer:
    """Renders :class:`FrameScene` objects at ``width`` x ``height`` (see the module notes on threads)."""

    def __init__(self, width: int, height: int, *, samples: int = 0) -> None:
        self.width, self.height = self._check_size(width, height)
        self._thread = threading.get_ident()
        try:
            self._offscreen = pyrender.OffscreenRenderer(self.width, self.height)
        except Exception as exc:  # noqa: BLE001 - any platform failure means "no GL here"
            raise GLUnavailableError(
                f"no offscreen OpenGL ({gl_platform.platform_name() or 'no platform'}): {exc}") from exc
        platform = self._offscreen._platform
        platform.make_current()
        self._offscreen._renderer.delete()
        self._renderer = FastRenderer(self.width, self.height, samples=samples)
        self._offscreen._renderer = self._renderer
        self._scene = pyrender.Scene(bg_color=[0.3, 0.33, 0.38, 1.0], ambient_light=list(AMBIENT))
        self._cam = pyrender.PerspectiveCamera(yfov=math.radians(40.0), znear=0.05, zfar=200.0)
        self._cam_node = self._scene.add(self._cam, pose=np.eye(4))
        self._lights = []
        for direction, intensity, color in STUDIO_LIGHTS:
            node = self._scene.add(pyrender.DirectionalLight(color=list(color), intensity=intensity), pose=np.eye(4))
            self._lights.append((node, _light_pose(np.asarray(direction, float))))
        self._nodes: dict[str, pyrender.Node] = {}
        self._dyn: dict[str, DynamicMesh] = {}
        self._faces: np.ndarray | None = None
        self._grid_key: tuple | None = None
        self.info = gl_platform.describe_renderer()
        log.debug("MeshRenderer %dx%d on %s", self.width, self.height, self.info)

    # -- public API ------------------------------------------------------------------------
    def render(self, scene: FrameScene, camera: Camera) -> np.ndarray:
        """RGB image [H, W, 3] uint8 of ``scene`` seen from ``camera``."""
        rgb, _ = self._render(scene, camera, read_depth=False)
        return rgb

    def render_with_depth(self, scene: FrameScene, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
        """(RGB [H, W, 3] uint8, depth [H, W] float32 metres along the view axis, 0 = background).

        Depth holds solid geometry only: the body (and the skeleton when it is not
        drawn on top); the grid, shadow and contact discs write no depth.
        """
        return self._render(scene, camera, read_depth=True)

    def resize(self, width: int, height: int) -> None:
        """Change the output size (the framebuffer is re-created at the next render)."""
        self._check_thread()
        self.width, self.height = self._check_size(width, height)

    def close(self) -> None:
        """Free GL resources (idempotent). Call from the creating thread."""
        if self._offscreen is None:
            return
        try:
            self._offscreen.delete()
        except Exception as exc:  # noqa: BLE001 - best effort at shutdown
            log.debug("renderer cleanup failed: %s", exc)
        self._offscreen = None

    def __enter__(self) -> "MeshRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_offscreen", None) is not None and threading.get_ident() == self._thread:
            self.close()

    # -- internals -------------------------------------------------------------------------
    @staticmethod
    def _check_size(width: int, height: int) -> tuple[int, int]:
        w, h = int(width), int(height)
        if not (1 <= w <= 8192 and 1 <= h <= 8192):
            raise ValueError(f"render size must be 1..8192 pixels, got {width}x{height}")
        return w, h

    def _check_thread(self) -> None:
        if self._offscreen is None:
            raise RuntimeError("MeshRenderer is closed")
        if threading.get_ident() != self._thread:
            raise RuntimeError("MeshRenderer used from another thread: create one per thread")

    def _render(self, scene: FrameScene, camera: Camera, read_depth: bool):
        self._check_thread()
        self._offscreen._platform.make_current()
        r = self._renderer
        r.viewport_width, r.viewport_height = self.width, self.height
        self._scene.bg_color = [*map(float, scene.background), 1.0]
        self._set_camera(camera)
        self._sync_body(scene)
        self._sync_grid(scene)
        self._sync_shadow(scene)
        self._sync_contacts(scene)
        self._sync_skeleton(scene)
        return r.render_offscreen(self._scene, read_depth=read_depth)

    def _set_camera(self, camera: Camera) -> None:
        self._cam.yfov = math.radians(camera.fov_y_deg)
        self._cam.znear, self._cam.zfar = camera.znear, camera.zfar
        self._cam.aspectRatio = self.width / self.height
        pose = camera.camera_to_world()
        self._scene.set_pose(self._cam_node, pose)
        for node, local in self._lights:
            light_pose = np.eye(4)
            light_pose[:3, :3] = pose[:3, :3] @ local[:3, :3]
            self._scene.set_pose(node, light_pose)

    def _add(self, name: str, dyn: DynamicMesh | None, mesh: pyrender.Mesh | None = None,
             overlay: bool = False, decal: bool = False) -> pyrender.Node:
        old = self._nodes.pop(name, None)
        if old is not None:
            self._scene.remove_node(old)
            self._renderer.draw_order.pop(old, None)
            for prim in old.mesh.primitives:
                self._renderer.overlay_primitives.discard(id(prim))
                self._renderer.decal_primitives.discard(id(prim))
        mesh = dyn.mesh if dyn is not None else mesh
        node = self._scene.add(mesh, name=name)
        self._nodes[name] = node
        self._renderer.draw_order[node] = ORDER[name.rstrip("0123456789")]
        if dyn is not None:
            self._dyn[name] = dyn
        if overlay:
            self._renderer.overlay_primitives.add(id(mesh.primitives[0]))
        if decal:
            self._renderer.decal_primitives.add(id(mesh.primitives[0]))
        return node

    def _visible(self, name: str, on: bool) -> bool:
        node = self._nodes.get(name)
        if node is not None:
            node.mesh.is_visible = on
        return on

    def _sync_body(self, scene: FrameScene) -> None:
        if not self._visible("body", scene.has_body()):
            return
        verts = np.asarray(scene.vertices, dtype=np.float32)
        faces = scene.faces
        normals = scene.normals if scene.normals is not None else compute_vertex_normals(verts, faces)
        dyn = self._dyn.get("body")
        same = dyn is not None and "body" in self._nodes and (faces is self._faces or (
            dyn.num_vertices == len(verts) and dyn.num_indices == np.asarray(faces).size
            and np.array_equal(faces, self._faces)))
        if not same:
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[*_srgb_to_linear(scene.body_color), 1.0], metallicFactor=0.0,
                roughnessFactor=0.62, doubleSided=False)
            geom = overlays.Geometry(verts, np.asarray(faces, np.uint32), np.asarray(normals, np.float32))
            self._add("body", DynamicMesh(geom, material, name="body"))
            self._faces = faces
        else:
            self._faces = faces
            dyn.primitive.material.baseColorFactor = [*_srgb_to_linear(scene.body_color), 1.0]
            dyn.update(verts, normals)
        self._nodes["body"].mesh.is_visible = True

    def _sync_grid(self, scene: FrameScene) -> None:
        if not self._visible("grid", scene.show_grid):
            return
        key = (float(scene.grid_extent), tuple(scene.grid_color))
        if key != self._grid_key:
            geom = overlays.grid_lines(scene.grid_extent, color=tuple(_srgb_to_linear(scene.grid_color)))
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[0.0, 0.0, 0.0, 1.0], emissiveFactor=[1.0, 1.0, 1.0], metallicFactor=0.0,
                roughnessFactor=1.0, alphaMode="BLEND", doubleSided=True)
            prim = pyrender.Primitive(positions=geom.positions, color_0=geom.colors, indices=geom.indices,
                                      material=material, mode=pyrender.GLTF.LINES)
            self._add("grid", None, pyrender.Mesh([prim], name="grid"), decal=True)
            self._grid_key = key
        anchor = scene.ground_anchor()
        pose = np.eye(4)
        if anchor is not None:  # keep the (fading) grid around the body, snapped to whole metres
            pose[0, 3], pose[2, 3] = np.round(anchor[0]), np.round(anchor[1])
        self._scene.set_pose(self._nodes["grid"], pose)

    def _sync_shadow(self, scene: FrameScene) -> None:
        anchor = scene.ground_anchor()
        on = scene.show_shadow and anchor is not None
        pts = np.asarray(scene.vertices if scene.has_body() else scene.joints, np.float32) if on else None
        groups = [pts]
        if on and scene.has_body() and len(scene.body_splits) > 1 and sum(scene.body_splits) == len(pts):
            groups = np.split(pts, np.cumsum(scene.body_splits)[:-1])  # one shadow per body
        existing = sum(1 for n in self._nodes if n.startswith("shadow"))
        for k in range(max(len(groups), existing)):
            name = "shadow" if k == 0 else f"shadow{k}"
            if self._visible(name, on and k < len(groups)):
                self._sync_one_shadow(name, scene, groups[k])

    def _sync_one_shadow(self, name: str, scene: FrameScene, pts: np.ndarray) -> None:
        if name not in self._nodes:
            geom = overlays.shadow_disc()
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[0.0, 0.0, 0.0, 1.0], metallicFactor=0.0, roughnessFactor=1.0,
                alphaMode="BLEND", doubleSided=True)
            prim = pyrender.Primitive(positions=geom.positions, color_0=geom.colors, indices=geom.indices,
                                      material=material)
            self._add(name, None, pyrender.Mesh([prim], name=name), decal=True)
        bottom = float(pts[:, 1].min())
        low = pts[pts[:, 1] < bottom + 0.6]  # footprint of the lower body (ignores outstretched arms)
        lo, hi = low.min(axis=0), low.max(axis=0)
        height = max(bottom, 0.0)
        fade = float(np.clip(1.0 - height / 1.5, 0.25, 1.0))
        sx = 0.5 * (hi[0] - lo[0]) + 0.22 + 0.3 * height
        sz = 0.5 * (hi[2] - lo[2]) + 0.22 + 0.3 * height
        pose = np.diag([sx, 1.0, sz, 1.0])
        pose[0, 3], pose[1, 3], pose[2, 3] = (lo[0] + hi[0]) / 2, overlays.GROUND_EPS, (lo[2] + hi[2]) / 2
        node = self._nodes[name]
        node.mesh.primitives[0].material.baseColorFactor = [0.0, 0.0, 0.0, scene.shadow_opacity * fade]
        self._scene.set_pose(node, pose)

    def _sync_contacts(self, scene: FrameScene) -> None:
        show = scene.contacts is not None and scene.joints is not None and len(scene.joints) > max(FOOT_JOINTS)
        if not self._visible("contacts", show):
            return
        feet = np.asarray(scene.joints, np.float32)[list(FOOT_JOINTS)][:, [0, 2]]
        geom = overlays.contact_discs(feet, np.asarray(scene.contacts, bool)[: len(FOOT_JOINTS)])
        dyn = self._dyn.get("contacts")
        if dyn is None or "contacts" not in self._nodes:
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[0.0, 0.0, 0.0, 1.0], metallicFactor=0.0, roughnessFactor=1.0,
                emissiveFactor=list(_srgb_to_linear(scene.contact_color)), doubleSided=True)
            self._add("contacts", DynamicMesh(geom, material, name="contacts"), decal=True)
        else:
            dyn.update(geom.positions)
            dyn.primitive.material.emissiveFactor = _srgb_to_linear(scene.contact_color)

    def _sync_skeleton(self, scene: FrameScene) -> None:
        if not self._visible("skeleton", scene.has_skeleton()):
            return
        geom = overlays.skeleton_mesh(scene.joints, scene.parents, scene.resolved_joint_colors(),
                                      scene.joint_radius, scene.bone_radius)
        geom.colors[:, :3] = _srgb_to_linear(geom.colors[:, :3])
        dyn = self._dyn.get("skeleton")
        on_top = scene.skeleton_on_top and scene.has_body()
        if dyn is None or "skeleton" not in self._nodes or not dyn.compatible(geom):
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=0.5)
            dyn = DynamicMesh(geom, material, name="skeleton")
            self._add("skeleton", dyn, overlay=True)
        else:
            dyn.update(geom.positions, geom.normals, geom.colors)
        prim_id = id(dyn.primitive)
        if on_top:
            self._renderer.overlay_primitives.add(prim_id)
        else:
            self._renderer.overlay_primitives.discard(prim_id)
