"""Low-level GL pieces on top of pyrender: a faster offscreen renderer and in-place vertex buffers.

pyrender's stock offscreen path always draws into a 4x multisampled framebuffer,
blits it and reads back both depth and colour. On Mesa llvmpipe the multisampled
raster and the depth readback cost more than the draw itself, so
:class:`FastRenderer` draws into a single-sampled framebuffer by default
(``samples > 0`` restores multisampling), reads depth only when asked, and
reads colour into a preallocated array. :class:`DynamicMesh` keeps one pyrender
primitive whose vertex buffer is rewritten with ``glBufferSubData`` every frame,
instead of building a new ``pyrender.Mesh`` (and re-creating buffers) per frame.

Import this module only after :func:`app.viewers.gl_platform.configure`.
"""
from __future__ import annotations

import numpy as np

from app.viewers import gl_platform

gl_platform.configure()  # before the first OpenGL import

import pyrender  # noqa: E402
from OpenGL import GL as gl  # noqa: E402
from pyrender.constants import RenderFlags  # noqa: E402

from app.viewers.overlays import Geometry  # noqa: E402
from app.viewers.shaders import StudioShaderCache  # noqa: E402


class FastRenderer(pyrender.Renderer):
    """pyrender.Renderer with a single-sample framebuffer, optional depth readback and draw ordering.

    ``draw_order`` maps mesh nodes to an integer (lower draws first);
    ``overlay_primitives`` holds ids of primitives drawn "on top" (depth test
    always passes and they do not write depth); ``decal_primitives`` holds ids of
    primitives that are depth-tested but write no depth (ground decals), so the
    depth image shows only solid geometry.
    """

    def __init__(self, width: int, height: int, samples: int = 0) -> None:
        super().__init__(width, height)
        self._program_cache = StudioShaderCache()
        self.samples = int(samples)
        self.read_depth = False
        self.draw_order: dict = {}
        self.overlay_primitives: set[int] = set()
        self.decal_primitives: set[int] = set()
        self._color: np.ndarray | None = None
        self._depth: np.ndarray | None = None

    # -- drawing ---------------------------------------------------------------------------
    def _sorted_mesh_nodes(self, scene):
        return sorted(scene.mesh_nodes, key=lambda n: self.draw_order.get(n, 0))

    def _bind_and_draw_primitive(self, primitive, pose, program, flags):
        overlay = id(primitive) in self.overlay_primitives
        no_depth_write = overlay or id(primitive) in self.decal_primitives
        if overlay:
            gl.glDepthFunc(gl.GL_ALWAYS)
        if no_depth_write:
            gl.glDepthMask(gl.GL_FALSE)
        super()._bind_and_draw_primitive(primitive, pose, program, flags)
        if overlay:
            gl.glDepthFunc(gl.GL_LESS)
        if no_depth_write:
            gl.glDepthMask(gl.GL_TRUE)

    # -- framebuffers ----------------------------------------------------------------------
    def _configure_main_framebuffer(self):
        dims = (self.viewport_width, self.viewport_height)
        if self._main_fb is not None and self._main_fb_dims != dims:
            self._delete_main_framebuffer()
        if self._main_fb is not None:
            return
        self._main_fb, self._main_cb, self._main_db = self._make_fb(0)
        if self.samples > 0:
            self._main_fb_ms, self._main_cb_ms, self._main_db_ms = self._make_fb(self.samples)
        self._main_fb_dims = dims
        self._color = np.empty((dims[1], dims[0], 3), np.uint8)
        self._depth = np.empty((dims[1], dims[0]), np.float32)

    def _make_fb(self, samples: int):
        w, h = self.viewport_width, self.viewport_height
        cb, db = gl.glGenRenderbuffers(2)
        for rb, fmt in ((cb, gl.GL_RGBA8), (db, gl.GL_DEPTH_COMPONENT24)):
            gl.glBindRenderbuffer(gl.GL_RENDERBUFFER, rb)
            if samples:
                gl.glRenderbufferStorageMultisample(gl.GL_RENDERBUFFER, samples, fmt, w, h)
            else:
                gl.glRenderbufferStorage(gl.GL_RENDERBUFFER, fmt, w, h)
        fb = gl.glGenFramebuffers(1)
        gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, fb)
        gl.glFramebufferRenderbuffer(gl.GL_DRAW_FRAMEBUFFER, gl.GL_COLOR_ATTACHMENT0, gl.GL_RENDERBUFFER, cb)
        gl.glFramebufferRenderbuffer(gl.GL_DRAW_FRAMEBUFFER, gl.GL_DEPTH_ATTACHMENT, gl.GL_RENDERBUFFER, db)
        status = gl.glCheckFramebufferStatus(gl.GL_DRAW_FRAMEBUFFER)
        if status != gl.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"offscreen framebuffer incomplete (status {status:#x})")
        return fb, cb, db

    def _delete_main_framebuffer(self):
        for fb in (self._main_fb, self._main_fb_ms):
            if fb is not None:
                gl.glDeleteFramebuffers(1, [fb])
        rbs = [rb for rb in (self._main_cb, self._main_db, self._main_cb_ms, self._main_db_ms) if rb is not None]
        if rbs:
            gl.glDeleteRenderbuffers(len(rbs), rbs)
        self._main_fb = self._main_cb = self._main_db = None
        self._main_fb_ms = self._main_cb_ms = self._main_db_ms = None
        self._main_fb_dims = (None, None)

    def _configure_forward_pass_viewport(self, flags):
        self._configure_main_framebuffer()
        target = self._main_fb_ms if self.samples > 0 else self._main_fb
        gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, target)
        gl.glViewport(0, 0, self.viewport_width, self.viewport_height)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(gl.GL_TRUE)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDepthRange(0.0, 1.0)
        if self.samples > 0:
            gl.glEnable(gl.GL_MULTISAMPLE)

    def _read_main_framebuffer(self, scene, flags):
        w, h = self._main_fb_dims
        if self.samples > 0:
            gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self._main_fb_ms)
            gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, self._main_fb)
            gl.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, gl.GL_COLOR_BUFFER_BIT, gl.GL_NEAREST)
            if self.read_depth:
                gl.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, gl.GL_DEPTH_BUFFER_BIT, gl.GL_NEAREST)
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self._main_fb)
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        depth = None
        if self.read_depth:
            gl.glReadPixels(0, 0, w, h, gl.GL_DEPTH_COMPONENT, gl.GL_FLOAT, self._depth)
            depth = linear_depth(self._depth[::-1], scene.main_camera_node.camera.znear,
                                 scene.main_camera_node.camera.zfar)
        gl.glReadPixels(0, 0, w, h, gl.GL_RGB, gl.GL_UNSIGNED_BYTE, self._color)
        color = np.ascontiguousarray(self._color[::-1])
        return color, depth

    def render_offscreen(self, scene, flags: int = RenderFlags.NONE, read_depth: bool = False):
        """Draw ``scene`` into the offscreen framebuffer; return (rgb [H,W,3] uint8, depth or None)."""
        self.read_depth = read_depth
        return self.render(scene, flags | RenderFlags.OFFSCREEN)


def linear_depth(window_depth: np.ndarray, znear: float, zfar: float | None) -> np.ndarray:
    """Window-space depth in [0, 1] -> metres along the viewing axis; background (1.0) -> 0."""
    d = np.asarray(window_depth, dtype=np.float32)
    background = d >= 1.0
    ndc = 2.0 * d - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if zfar is None:
            out = 2.0 * znear / (1.0 - ndc)
        else:
            out = 2.0 * znear * zfar / (zfar + znear - ndc * (zfar - znear))
    out[background] = 0.0
    return out.astype(np.float32, copy=False)


class DynamicMesh:
    """One pyrender primitive whose vertex data (positions, normals, colours) is updated in place.

    Call :meth:`update` with the GL context current. Before the primitive is first
    uploaded (pyrender does it lazily at the first render) the new data is stored
    on the primitive instead, so the first upload is already current.
    """

    def __init__(self, geometry: Geometry, material, mode: int = pyrender.GLTF.TRIANGLES, name: str = "") -> None:
        g = geometry
        self.primitive = pyrender.Primitive(positions=g.positions, normals=g.normals, color_0=g.colors,
                                            indices=g.indices, material=material, mode=mode)
        self.mesh = pyrender.Mesh([self.primitive], name=name)
        self.num_vertices = len(g.positions)
        self.num_indices = 0 if g.indices is None else int(np.asarray(g.indices).size)
        self._has_normals = g.normals is not None
        self._has_colors = g.colors is not None
        stride = 3 + (3 if self._has_normals else 0) + (4 if self._has_colors else 0)
        self._stage = np.empty((self.num_vertices, stride), np.float32)  # interleaved like pyrender's VBO
        self._stage[:, :3] = g.positions
        if self._has_normals:
            self._stage[:, 3:6] = g.normals
        if self._has_colors:
            self._stage[:, stride - 4:] = self.primitive.color_0

    def compatible(self, geometry: Geometry) -> bool:
        """True if ``geometry`` has the same vertex count, index count and attributes."""
        n_idx = 0 if geometry.indices is None else int(np.asarray(geometry.indices).size)
        return (len(geometry.positions) == self.num_vertices and n_idx == self.num_indices
                and (geometry.normals is not None) == self._has_normals
                and (geometry.colors is not None) == self._has_colors)

    def update(self, positions: np.ndarray, normals: np.ndarray | None = None,
               colors: np.ndarray | None = None) -> None:
        """Replace vertex data; attributes passed as None keep their previous values."""
        stage = self._stage
        stage[:, 0:3] = positions
        if self._has_normals and normals is not None:
            stage[:, 3:6] = normals
        if self._has_colors and colors is not None:
            stage[:, -4:] = colors
        p = self.primitive
        if p._vaid is None:  # not on the GPU yet: pyrender uploads these at the next render
            p.positions = stage[:, 0:3]
            if self._has_normals:
                p.normals = stage[:, 3:6]
            if self._has_colors:
                p.color_0 = stage[:, -4:]
            return
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, p._buffers[0])
        gl.glBufferSubData(gl.GL_ARRAY_BUFFER, 0, stage.nbytes, stage)
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, 0)
