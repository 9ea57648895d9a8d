"""Tasks around the body model: loading it and skinning whole clips."""
from __future__ import annotations

from typing import Any, Generator

import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.jobs import Progress

SKIN_CHUNK = 64


def load_body(name: str = "anny") -> Generator[Any, None, Any]:
    """Return a ready body model; Anny's one-time preparation reports progress."""
    from app.engine.body import available_bodies, get_body

    bodies = available_bodies()
    if name not in bodies:
        raise InvalidInputError(f"unknown body model {name!r}; choose from {', '.join(bodies)}")
    if bodies[name] is not None:
        raise InvalidInputError(f"body model {name!r} is unavailable: {bodies[name]}")
    if name == "anny":
        from app.engine.body.prepare import prepare_anny

        body = yield from prepare_anny()
        return body
    yield Progress(0.5, f"loading {name} body")
    return get_body(name)


def skin_clip(body: Any, clip: MotionClip, chunk: int = SKIN_CHUNK) -> Generator[Progress, None, np.ndarray]:
    """Vertices of the body following `clip` for every frame: [T, V, 3] float32, in chunks."""
    clip.validate()
    n = clip.num_frames
    out: np.ndarray | None = None
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        verts = body.pose(clip, range(start, stop))
        if out is None:
            out = np.empty((n,) + verts.shape[1:], dtype=np.float32)
        out[start:stop] = verts
        yield Progress(stop / n, f"posing body {stop}/{n}")
    assert out is not None
    return out


def posed_body(clip: MotionClip, body_name: str = "anny", body: Any = None, vertices: np.ndarray | None = None,
               lo: float = 0.0, mid: float = 0.2, hi: float = 0.4) -> Generator[Any, None, tuple[Any, np.ndarray]]:
    """(body, vertices [T, V, 3]) for `clip`, loading and posing only what the caller has not given.

    Progress: loading in [lo, mid], posing in [mid, hi] of the parent task.
    """
    from app.engine.tasks.steps import sub_task

    if body is None:
        body = yield from sub_task(load_body(body_name), lo, mid)
    if vertices is None:
        vertices = yield from sub_task(skin_clip(body, clip), mid, hi)
    return body, vertices
