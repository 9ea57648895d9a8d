"""Choose the headless OpenGL platform (EGL or OSMesa) before PyOpenGL is imported.

PyOpenGL binds its platform (``PYOPENGL_PLATFORM``) on first import and cannot
switch afterwards, so :func:`configure` must run before anything imports
``OpenGL`` or ``pyrender``; ``app.viewers.mesh_renderer`` calls it at import.

Order of choice:

1. ``ACTION_STUDIO_GL`` (``egl`` or ``osmesa``), an explicit override;
2. an already set ``PYOPENGL_PLATFORM`` (respected as is);
3. EGL, when ``libEGL`` loads and a device display initialises (probed with
   ``ctypes``, without importing PyOpenGL);
4. OSMesa, when ``libOSMesa`` is present.

On Mesa without a GPU both give llvmpipe; EGL renders into framebuffer objects,
OSMesa into a client-memory buffer.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

OVERRIDE_ENV = "ACTION_STUDIO_GL"
_SUPPORTED = ("egl", "osmesa")
_EGL_PLATFORM_DEVICE_EXT = 0x313F
_chosen: str | None = None


def _load(name: str, fallback: str) -> ctypes.CDLL | None:
    for candidate in (ctypes.util.find_library(name), fallback):
        if not candidate:
            continue
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


def egl_usable() -> bool:
    """True if an EGL device display can be initialised (what pyrender's EGL platform uses)."""
    lib = _load("EGL", "libEGL.so.1")
    if lib is None:
        return False
    try:
        get_proc = lib.eglGetProcAddress
        get_proc.restype = ctypes.c_void_p
        get_proc.argtypes = [ctypes.c_char_p]
        query_addr = get_proc(b"eglQueryDevicesEXT")
        display_addr = get_proc(b"eglGetPlatformDisplayEXT")
        if not query_addr or not display_addr:
            return False
        query = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_int))(query_addr)
        get_display = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p,
                                       ctypes.c_void_p)(display_addr)
        devices = (ctypes.c_void_p * 8)()
        count = ctypes.c_int(0)
        if not query(8, devices, ctypes.byref(count)) or count.value < 1:
            return False
        display = get_display(_EGL_PLATFORM_DEVICE_EXT, devices[0], None)
        if not display:
            return False
        lib.eglInitialize.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                      ctypes.POINTER(ctypes.c_int)]
        lib.eglInitialize.restype = ctypes.c_uint
        major, minor = ctypes.c_int(0), ctypes.c_int(0)
        ok = bool(lib.eglInitialize(display, ctypes.byref(major), ctypes.byref(minor)))
        lib.eglTerminate.argtypes = [ctypes.c_void_p]
        lib.eglTerminate(display)
        return ok
    except (AttributeError, OSError):
        return False


def osmesa_usable() -> bool:
    """True if the OSMesa library can be loaded."""
    return _load("OSMesa", "libOSMesa.so.8") is not None


def configure() -> str | None:
    """Set ``PYOPENGL_PLATFORM`` once and return it (``'egl'``, ``'osmesa'``), or None if neither works."""
    global _chosen
    if _chosen is not None:
        return _chosen
    override = os.environ.get(OVERRIDE_ENV, "").strip().lower()
    current = os.environ.get("PYOPENGL_PLATFORM", "").strip().lower()
    if "OpenGL" in sys.modules and current:
        _chosen = current  # too late to change: PyOpenGL already bound its platform
        return _chosen
    if "OpenGL.platform" in sys.modules:
        log.warning("PyOpenGL was imported before app.viewers.gl_platform.configure(); "
                    "offscreen rendering may use the wrong GL platform")
    if override in _SUPPORTED:
        _chosen = override
    elif current:
        _chosen = current
    elif egl_usable():
        _chosen = "egl"
    elif osmesa_usable():
        _chosen = "osmesa"
    else:
        log.warning("no headless OpenGL platform (EGL or OSMesa) is usable")
        return None
    os.environ["PYOPENGL_PLATFORM"] = _chosen
    log.debug("headless OpenGL platform: %s", _chosen)
    return _chosen


def platform_name() -> str | None:
    """The platform chosen by :func:`configure` (configuring it if needed)."""
    return configure()


def describe_renderer() -> dict[str, str]:
    """GL vendor/renderer/version strings of the current context (call with a context current)."""
    from OpenGL import GL as gl

    def _get(name: int) -> str:
        value = gl.glGetString(name)
        return value.decode() if isinstance(value, bytes) else str(value)

    return {"platform": str(_chosen), "vendor": _get(gl.GL_VENDOR),
            "renderer": _get(gl.GL_RENDERER), "version": _get(gl.GL_VERSION)}
