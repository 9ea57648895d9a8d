"""Gaussian avatars bound to the body mesh: appearance textures, the avatar model, fitting and metrics."""
from __future__ import annotations

from app.engine.avatar.appearance import Appearance, BodyTexture, body_texture
from app.engine.avatar.model import GaussianAvatar, ring_cameras

__all__ = ["Appearance", "BodyTexture", "GaussianAvatar", "body_texture", "ring_cameras"]
