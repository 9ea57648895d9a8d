"""Body models: skinned meshes posed by SMPL-22 motion clips.

``anny`` (Apache-2.0, always available; first use prepares a cache, see
:mod:`app.engine.body.prepare`) and ``smpl`` (only with user-supplied licensed
model files under ``models/smpl/``).
"""
from __future__ import annotations

from app.engine.body.base import BodyModel, UVLayout, body_root_trajectory
from app.engine.body.prepare import is_anny_prepared, load_anny_model, prepare_anny
from app.engine.body.smpl_body import smpl_available

BODY_NAMES = ("anny", "smpl")


def available_bodies() -> dict[str, str | None]:
    """Body name -> None when it can be used, else a one-line reason why not."""
    ok, reason = smpl_available()
    return {"anny": None, "smpl": None if ok else reason}


def get_body(name: str = "anny") -> BodyModel:
    """A new body instance (own phenotype; the underlying model is shared per process).

    ``anny`` blocks for about a minute the very first time (run :func:`prepare_anny`
    as an engine task beforehand to show progress).
    """
    if name == "anny":
        from app.engine.body.anny_body import AnnyBody

        return AnnyBody(load_anny_model())
    if name == "smpl":
        from app.engine.body.smpl_body import SmplBody

        return SmplBody()
    raise ValueError(f"unknown body {name!r}; known: {', '.join(BODY_NAMES)}")


__all__ = ["BodyModel", "UVLayout", "available_bodies", "body_root_trajectory", "get_body",
           "is_anny_prepared", "prepare_anny", "smpl_available"]
