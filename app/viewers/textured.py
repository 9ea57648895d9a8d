"""Textured body rendering for 2.5D clips: UV-textured mesh, backdrops, world or camera lights, masks.

:class:`TexturedMeshRenderer` extends :class:`MeshRenderer`: the body is drawn
seam-split (``vertices[vertex_index]`` with ``uv_faces``) with a base-colour
texture sampled per pixel (the studio shader's textured variant), in front of a
plain colour, an image, or a simple "scene" (checkered ground and a back wall,
solid geometry that writes depth). :meth:`render_frame` returns RGB, metric
depth and the person mask, aligned pixel for pixel.

Albedo textures are composed by :func:`compose_albedo`: the skin detail map
tinted by a skin tone, with clothing colours painted over UV regions given as
per-vertex labels (the labels come from the caller, e.g. the engine's avatar
code, since the viewers know nothing about body parts).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from app.viewers import gl_platform

gl_platform.configure()

import pyrender  # noqa: E402

from app.viewers.camera import Camera  # noqa: E402
from app.viewers.gl_backend import DynamicMesh  # noqa: E402
from app.viewers.mesh_renderer import MeshRenderer, _srgb_to_linear  # noqa: E402
from app.viewers.overlays import Geometry  # noqa: E402
from app.viewers.scene import WALL_Z, FrameScene, compute_vertex_normals  # noqa: E402

log = logging.getLogger(__name__)

SKIN_TONES = {"light": (0.93, 0.80, 0.70), "medium": (0.80, 0.62, 0.48), "tan": (0.68, 0.50, 0.36),
              "dark": (0.45, 0.31, 0.22)}
CLOTHING = {"denim": ((0.85, 0.85, 0.82), (0.20, 0.28, 0.45)), "sport": ((0.85, 0.18, 0.15), (0.12, 0.12, 0.14)),
            "casual": ((0.25, 0.45, 0.30), (0.55, 0.47, 0.35)), "none": (None, None)}
SHOE_COLOR = (0.15, 0.13, 0.12)
BACKGROUNDS = ("color", "image", "scene")
LABEL_SKIN, LABEL_TOP, LABEL_BOTTOM, LABEL_SHOES = 0, 1, 2, 3
GROUND_HALF = 6.0
LIGHT_PRESETS = {"studio": 1.0, "soft": 0.7, "bright": 1.35}


def compose_albedo(skin_detail: np.ndarray, uv: np.ndarray, uv_faces: np.ndarray, face_labels: np.ndarray,
                   skin_tone=SKIN_TONES["medium"], top=None, bottom=None, shoes=SHOE_COLOR,
                   size: int = 1024) -> np.ndarray:
    """An sRGB albedo texture [size, size, 3] uint8 (row 0 = top, UV origin bottom-left).

    ``skin_detail``: a grey detail map (any size, RGB/RGBA); ``face_labels`` [F]: one of
    LABEL_* per triangle; clothing colours of None leave the skin showing.
    """
    detail = cv2.resize(np.asarray(skin_detail)[..., :3], (size, size), interpolation=cv2.INTER_AREA)
    detail = detail.astype(np.float32).mean(-1, keepdims=True) / 255.0
    shade = 0.75 + 0.5 * (detail - detail.mean())  # keep the detail, centred on the tone
    img = np.clip(shade * np.asarray(skin_tone, np.float32), 0, 1)
    cloth_shade = 0.92 + 0.16 * (detail - detail.mean())
    for label, color in ((LABEL_TOP, top), (LABEL_BOTTOM, bottom), (LABEL_SHOES, shoes)):
        if color is None:
            continue
        sel = np.asarray(face_labels) == label
        if not sel.any():
            continue
        tri = np.asarray(uv, np.float64)[np.asarray(uv_faces)[sel]] * size
        tri[..., 1] = size - tri[..., 1]
        mask = np.zeros((size, size), np.uint8)
        cv2.fillPoly(mask, [np.rint(t * 8).astype(np.int32) for t in tri], 255, lineType=cv2.LINE_8, shift=3)
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0  # no skin bleeding at seams
        img[mask] = np.clip(cloth_shade[mask] * np.asarray(color, np.float32), 0, 1)
    return np.rint(img * 255).astype(np.uint8)


def sample_texture(texture: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear texture lookup: colours [N, 3] float32 in [0, 1] at UVs [N, 2] (origin bottom-left)."""
    h, w = texture.shape[:2]
    x = np.clip(uv[:, 0] * w - 0.5, 0, w - 1.001)
    y = np.clip((1.0 - uv[:, 1]) * h - 0.5, 0, h - 1.001)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    t = texture[..., :3].astype(np.float32) / 255.0
    return ((t[y0, x0] * (1 - fx) + t[y0, x0 + 1] * fx) * (1 - fy)
            + (t[y0 + 1, x0] * (1 - fx) + t[y0 + 1, x0 + 1] * fx) * fy).astype(np.float32)


@dataclass
class Backdrop:
    """What is behind the body: ``kind`` color / image / scene."""

    kind: str = "color"
    color: tuple[float, float, float] = (0.30, 0.33, 0.38)
    image: np.ndarray | None = None           # RGB uint8, resized to the frame
    ground_center: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if self.kind not in BACKGROUNDS:
            raise ValueError(f"unknown background {self.kind!r}; expected one of {', '.join(BACKGROUNDS)}")
        if self.kind == "image" and self.image is None:
            raise ValueError("an image background needs an image")


class _TexturedBody(DynamicMesh):
    """A seam-split body mesh with texture coordinates whose positions/normals are updated in place."""

    def __init__(self, positions, normals, texcoords, indices, material) -> None:
        geom = Geometry(positions, indices, normals)
        self.primitive = pyrender.Primitive(positions=positions, normals=normals, texcoord_0=texcoords,
                                            indices=indices, material=material)
        self.mesh = pyrender.Mesh([self.primitive], name="body")
        self.num_vertices = len(positions)
        self.num_indices = int(np.asarray(indices).size)
        self._has_normals, self._has_colors = True, False
        self._stage = np.empty((self.num_vertices, 8), np.float32)  # pyrender's layout: pos, normal, uv
        self._stage[:, :3], self._stage[:, 3:6], self._stage[:, 6:8] = positions, normals, texcoords
        del geom


class TexturedMeshRenderer(MeshRenderer):
    """MeshRenderer with a UV-textured body, backdrops, light modes and person masks."""

    def __init__(self, width: int, height: int, *, samples: int = 0) -> None:
        super().__init__(width, height, samples=samples)
        self._tex: tuple | None = None
        self._tex_body: _TexturedBody | None = None
        self._env_node: pyrender.Node | None = None
        self._env_key = None
        self.world_lights = False
        self.light_scale = 1.0
        self._base_intensity = [node.light.intensity for node, _ in self._lights]

    def set_texture(self, texture: np.ndarray, uv: np.ndarray, uv_faces: np.ndarray,
                    vertex_index: np.ndarray) -> None:
        """Use ``texture`` (sRGB uint8, row 0 = top) on the body through the UV layout."""
        self._tex = (np.ascontiguousarray(texture[..., :3]), np.asarray(uv, np.float32),
                     np.asarray(uv_faces, np.uint32), np.asarray(vertex_index, np.int64))
        self._tex_body = None

    def clear_texture(self) -> None:
        """Back to the plain (clay) body of :class:`MeshRenderer`."""
        self._tex, self._tex_body = None, None

    def set_lights(self, preset: str = "studio", world: bool = False) -> None:
        """Light intensity preset (studio / soft / bright); ``world`` fixes the lights in the world
        (consistent shading across cameras, for multi-view) instead of following the camera."""
        if preset not in LIGHT_PRESETS:
            raise ValueError(f"unknown light preset {preset!r}; expected one of {', '.join(LIGHT_PRESETS)}")
        self.light_scale, self.world_lights = LIGHT_PRESETS[preset], bool(world)

    # -- rendering --------------------------------------------------------------------------
    def render_frame(self, vertices: np.ndarray, faces: np.ndarray, camera: Camera, backdrop: Backdrop,
                     shadow: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(RGB uint8 [H, W, 3], depth float32 metres [H, W], person mask bool [H, W])."""
        bg = backdrop.color if backdrop.kind == "color" else (0.0, 0.0, 0.0)
        scene = FrameScene(vertices=vertices, faces=faces, show_grid=False,
                           show_shadow=shadow and backdrop.kind == "scene", background=tuple(bg))
        self._sync_env(backdrop)
        rgb, depth = self.render_with_depth(scene, camera)
        if backdrop.kind == "scene":
            mask = (depth > 0) & ~self._env_hit(depth, camera, backdrop)
        else:
            mask = depth > 0
        if backdrop.kind == "image":
            img = backdrop.image
            if img.shape[:2] != rgb.shape[:2]:
                img = cv2.resize(np.asarray(img)[..., :3], (self.width, self.height), interpolation=cv2.INTER_AREA)
            rgb = np.where(mask[..., None], rgb, img[..., :3]).astype(np.uint8)
        return rgb, depth, mask

    def _env_hit(self, depth: np.ndarray, camera: Camera, backdrop: Backdrop) -> np.ndarray:
        """Pixels whose depth is that of the analytic ground or wall (within 1.5 cm)."""
        h, w = depth.shape
        K = camera.intrinsics(w, h)
        c2w = np.linalg.inv(camera.world_to_camera_cv())
        xn = ((np.arange(w) - K[0, 2]) / K[0, 0]).astype(np.float32)[None, :]
        yn = ((np.arange(h) - K[1, 2]) / K[1, 1]).astype(np.float32)[:, None]
        r, eye = c2w[:3, :3].astype(np.float32), c2w[:3, 3]
        env = np.full((h, w), np.inf, np.float32)
        # world direction per unit camera z is linear in the normalised pixel coordinates
        for axis, plane in ((1, 0.0), (2, WALL_Z)):
            d = r[axis, 0] * xn + r[axis, 1] * yn + r[axis, 2]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (plane - eye[axis]) / d
            env = np.where(t > 0, np.minimum(env, t), env)
        return np.abs(depth - env) < 0.015

    def _set_camera(self, camera: Camera) -> None:
        super()._set_camera(camera)
        for (node, local), base in zip(self._lights, self._base_intensity):
            node.light.intensity = base * self.light_scale
            if self.world_lights:  # as if the camera looked from the front (+Z), whatever it is
                pose = np.eye(4)
                pose[:3, :3] = local[:3, :3]
                self._scene.set_pose(node, pose)

    def _sync_body(self, scene: FrameScene) -> None:
        if self._tex is None:
            return super()._sync_body(scene)
        if not self._visible("body", scene.has_body()):
            return
        texture, uv, uv_faces, vidx = self._tex
        verts = np.asarray(scene.vertices, np.float32)
        normals = compute_vertex_normals(verts, scene.faces)
        pos, nrm = verts[vidx], normals[vidx]
        if self._tex_body is None or "body" not in self._nodes:
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=0.7,
                baseColorTexture=pyrender.Texture(source=texture, source_channels="RGB"), doubleSided=False)
            # pyrender uploads row 0 (the image top) at t = 0, so bottom-left UVs index it unflipped
            tc = np.ascontiguousarray(uv, np.float32)
            self._tex_body = _TexturedBody(pos, nrm, tc, uv_faces, material)
            self._add("body", self._tex_body)
            self._faces = None
        else:
            self._tex_body.update(pos, nrm)
        self._nodes["body"].mesh.is_visible = True

    def _sync_env(self, backdrop: Backdrop) -> None:
        on = backdrop.kind == "scene"
        key = (tuple(np.round(backdrop.ground_center, 1)),) if on else None
        if key == self._env_key:
            return
        if self._env_node is not None:
            self._scene.remove_node(self._env_node)
            self._renderer.draw_order.pop(self._env_node, None)
            self._env_node = None
        self._env_key = key
        if on:
            mesh = _environment_mesh(backdrop.ground_center)
            self._env_node = self._scene.add(mesh, name="environment")
            self._renderer.draw_order[self._env_node] = -1


def _environment_mesh(center: tuple[float, float]) -> pyrender.Mesh:
    """A checkered ground (1 m squares, y = 0) and a back wall at z = WALL_Z, with vertex colours."""
    cx, cz = float(np.floor(center[0])), float(np.floor(center[1]))
    pos, col, idx = [], [], []
    for i, x0 in enumerate(np.arange(cx - GROUND_HALF, cx + GROUND_HALF)):
        for j, z0 in enumerate(np.arange(WALL_Z, cz + GROUND_HALF)):
            c = (0.72, 0.70, 0.66) if (i + j) % 2 else (0.60, 0.58, 0.55)
            base = len(pos)
            pos += [(x0, 0, z0), (x0, 0, z0 + 1), (x0 + 1, 0, z0 + 1), (x0 + 1, 0, z0)]
            col += [c] * 4
            idx += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    base = len(pos)
    x0, x1 = cx - GROUND_HALF - 1, cx + GROUND_HALF + 1
    pos += [(x0, 0, WALL_Z), (x1, 0, WALL_Z), (x1, 4.0, WALL_Z), (x0, 4.0, WALL_Z)]
    col += [(0.55, 0.60, 0.66)] * 4
    idx += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    pos = np.asarray(pos, np.float32)
    normals = np.zeros_like(pos)
    normals[:base, 1] = 1.0
    normals[base:, 2] = 1.0
    colors = np.concatenate([_srgb_to_linear(np.asarray(col, np.float32)), np.ones((len(col), 1), np.float32)], 1)
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                                  roughnessFactor=1.0, doubleSided=True)
    prim = pyrender.Primitive(positions=pos, normals=normals, color_0=colors,
                              indices=np.asarray(idx, np.uint32), material=material)
    return pyrender.Mesh([prim], name="environment")
