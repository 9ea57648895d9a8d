"""Body appearance: skin tone and clothing colours, composed into an albedo texture on the body's UVs.

Clothing regions come from the body's rest (T-pose) geometry and, for Anny, its
body-part segmentation map: triangles of the head, hands and feet keep skin
(feet get shoes); the rest of the body is split into a top (torso and the upper
arms down to the elbows, below the neck) and a bottom (pelvis and legs down to
the ankles).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from app.core.errors import InvalidInputError
from app.viewers.textured import (CLOTHING, LABEL_BOTTOM, LABEL_SHOES, LABEL_SKIN, LABEL_TOP, SHOE_COLOR,
                                  SKIN_TONES, compose_albedo, sample_texture)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Appearance:
    skin: str = "medium"
    clothing: str = "denim"

    def __post_init__(self) -> None:
        if self.skin not in SKIN_TONES:
            raise InvalidInputError(f"unknown skin tone {self.skin!r}; choose from {', '.join(SKIN_TONES)}")
        if self.clothing not in CLOTHING:
            raise InvalidInputError(f"unknown clothing {self.clothing!r}; choose from {', '.join(CLOTHING)}")


@dataclass
class BodyTexture:
    """Everything a renderer needs to texture the body, plus per-vertex colours for the avatar."""

    texture: np.ndarray        # [S, S, 3] uint8 sRGB
    uv: np.ndarray             # [U, 2]
    uv_faces: np.ndarray       # [F, 3]
    vertex_index: np.ndarray   # [U]
    face_labels: np.ndarray    # [F] LABEL_*
    vertex_colors: np.ndarray  # [V, 3] float32 in [0, 1]


def _load_rgb(path) -> np.ndarray | None:
    try:
        from PIL import Image

        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except Exception as exc:  # noqa: BLE001 - a missing optional asset only loses detail
        log.warning("texture %s unavailable: %s", path, exc)
        return None


def face_labels(body) -> np.ndarray:
    """LABEL_* per triangle from the rest pose (and the segmentation map when the body has one)."""
    verts = body.rest_vertices()
    faces = np.asarray(body.faces)
    cent = verts[faces].mean(1)
    joints = body.skeleton_smpl22().rest_positions()
    names = list(body.skeleton_smpl22().names)
    j = {n: joints[names.index(n)] for n in ("pelvis", "neck", "left_elbow", "right_elbow", "left_ankle",
                                             "right_ankle", "left_wrist", "right_wrist")}
    part = np.zeros(len(faces), np.int32)  # 0 body, 1 head, 2 hands, 3 feet
    seg_path = getattr(body, "segmentation_texture_path", lambda: None)()
    uvl = body.uv()
    seg = _load_rgb(seg_path) if seg_path is not None and uvl is not None else None
    if seg is not None:
        uvc = uvl.uv[uvl.uv_faces].mean(1)
        col = np.rint(sample_texture(seg, uvc) * 255)
        bright = col.max(1) > 60
        red, green, blue = col[:, 0], col[:, 1], col[:, 2]
        feet = bright & (red > 200) & (blue > 200)
        hands = bright & ~feet & (((red > 200) & (green < 80)) | ((green > 200) & (red < 60) & (blue < 60)))
        part[bright] = 1
        part[hands], part[feet] = 2, 3
    else:  # geometry only: head above the neck, hands beyond the wrists, feet below the ankles
        part[cent[:, 1] > j["neck"][1]] = 1
        part[np.abs(cent[:, 0]) > abs(j["left_wrist"][0])] = 2
        part[cent[:, 1] < j["left_ankle"][1] + 0.02] = 3
    labels = np.full(len(faces), LABEL_SKIN, np.int32)
    body_part = part == 0
    elbow_x = 0.5 * (abs(j["left_elbow"][0]) + abs(j["right_elbow"][0]))
    waist = j["pelvis"][1] + 0.04
    top = body_part & (cent[:, 1] >= waist) & (cent[:, 1] < j["neck"][1] - 0.02) & (np.abs(cent[:, 0]) < elbow_x)
    bottom = body_part & (cent[:, 1] < waist) & (cent[:, 1] > max(j["left_ankle"][1], j["right_ankle"][1]) + 0.04)
    labels[top], labels[bottom], labels[part == 3] = LABEL_TOP, LABEL_BOTTOM, LABEL_SHOES
    return labels


def body_texture(body, appearance: Appearance = Appearance(), size: int = 1024) -> BodyTexture:
    """Compose the albedo texture of ``body`` (needs a UV layout) for ``appearance``."""
    uvl = body.uv()
    if uvl is None:
        raise InvalidInputError(f"body {body.name!r} has no UV layout to texture")
    labels = _cached_labels(body)
    detail_path = body.texture_path()
    detail = _load_rgb(detail_path) if detail_path is not None else None
    if detail is None:
        detail = np.full((8, 8, 3), 128, np.uint8)
    top, bottom = CLOTHING[appearance.clothing]
    tex = compose_albedo(detail, uvl.uv, uvl.uv_faces, labels, SKIN_TONES[appearance.skin], top, bottom,
                         SHOE_COLOR if top is not None else None, size=size)
    colors = sample_texture(tex, uvl.uv)
    vcol = np.zeros((body.num_vertices, 3), np.float32)
    count = np.zeros(body.num_vertices, np.float32)
    np.add.at(vcol, uvl.vertex_index, colors)
    np.add.at(count, uvl.vertex_index, 1.0)
    vcol /= np.maximum(count, 1.0)[:, None]
    return BodyTexture(tex, uvl.uv, uvl.uv_faces, uvl.vertex_index, labels, vcol)


_LABELS: dict[int, np.ndarray] = {}


def _cached_labels(body) -> np.ndarray:
    key = id(body)
    if key not in _LABELS:
        _LABELS.clear()
        _LABELS[key] = face_labels(body)
    return _LABELS[key]


