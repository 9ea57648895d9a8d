"""IDOL inputs at generation time: a motion, an appearance and a background -> the model's conditions.

The motion is resampled to the training rate (10 fps) and posed on the Anny body at its default
shape; its SMPL-22 joints seen by a following front camera give the pose images and the depth range,
exactly as for the training clips. The appearance is a preset ``SKIN-CLOTHING`` (e.g.
``medium-denim``, the reference rendered in the rest pose like half the training references) or
an image file of a person (resized to the model size). The background is a colour name or
``#rrggbb``, ``room`` (a procedural room), ``scene`` (the renderer's ground and wall) or an image.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import InvalidInputError
from app.core.motion import MotionClip
from app.engine.idol.conditions import depth_bounds, draw_pose, project
from app.engine.idol.render_data import STRIDE, ClipSpec, make_cameras, room_image

log = logging.getLogger(__name__)

MAX_FRAMES = 64                 # the motion modules' positional embeddings
DEFAULT_ROOM = {"wall": (0.75, 0.72, 0.66), "floor": (0.45, 0.40, 0.36), "horizon": 0.6, "stripes": 3,
                "door": True}


@dataclass
class IdolInputs:
    spec: ClipSpec
    appearance_image: np.ndarray | None   # a user image (uint8 RGB) or None for a preset
    background_image: np.ndarray | None


def _read_image(path: Path, what: str) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is bad input
        raise InvalidInputError(f"{path.name}: cannot read the {what} image ({exc.__class__.__name__})") from None


def parse_appearance(spec: str) -> tuple[tuple, tuple | None, tuple | None, np.ndarray | None]:
    """(skin, top, bottom, image): a preset ``SKIN-CLOTHING`` or an image file of a person."""
    from app.viewers.textured import CLOTHING, SKIN_TONES

    s = (spec or "medium-denim").strip()
    skin, _, cloth = s.partition("-")
    if skin in SKIN_TONES and (cloth or "denim") in CLOTHING:
        top, bottom = CLOTHING[cloth or "denim"]
        return SKIN_TONES[skin], top, bottom, None
    path = Path(s)
    if path.is_file():
        return SKIN_TONES["medium"], None, None, _read_image(path, "appearance")
    raise InvalidInputError(f"appearance {spec!r}: use SKIN-CLOTHING (skin {', '.join(SKIN_TONES)}; clothing "
                            f"{', '.join(CLOTHING)}) or an existing image file of a person")


def parse_background(spec: str) -> tuple[str, tuple, dict, np.ndarray | None]:
    """(kind, colour, room, image) from a colour, ``room``, ``scene`` or an image file."""
    from app.engine.tasks.render2p5d import NAMED_COLORS

    s = (spec or "grey").strip()
    if s in ("scene", "room"):
        return s, (0.3, 0.33, 0.38), DEFAULT_ROOM, None
    if s.lower() in NAMED_COLORS:
        return "color", NAMED_COLORS[s.lower()], DEFAULT_ROOM, None
    if s.startswith("#") and len(s) == 7:
        try:
            return "color", tuple(int(s[i:i + 2], 16) / 255.0 for i in (1, 3, 5)), DEFAULT_ROOM, None
        except ValueError:
            pass
    path = Path(s)
    if path.is_file():
        return "image", (0.3, 0.33, 0.38), DEFAULT_ROOM, _read_image(path, "background")
    raise InvalidInputError(f"background {spec!r}: use a colour ({', '.join(NAMED_COLORS)} or #rrggbb), 'room', "
                            "'scene' or an existing image file")


def check_request(frames: int, steps: int, size: int | None = None) -> None:
    if not 1 <= int(frames) <= MAX_FRAMES:
        raise InvalidInputError(f"--frames {frames}: use 1..{MAX_FRAMES}")
    if not 1 <= int(steps) <= 1000:
        raise InvalidInputError(f"--steps {steps}: use 1..1000")
    if size is not None and not 16 <= int(size) <= 1024:
        raise InvalidInputError(f"--size {size}: use 16..1024 (and the trained model's size)")


def make_inputs(appearance: str, background: str) -> IdolInputs:
    """Parse the user's appearance and background into a clip recipe (camera: follow, front, 10 deg)."""
    skin, top, bottom, app_img = parse_appearance(appearance)
    kind, colour, room, bg_img = parse_background(background)
    spec = ClipSpec("input", 0, tuple(skin), top, bottom, {}, "color" if kind == "image" else kind, colour, room,
                    "follow", 0.0, 10.0, 0.85, "rest", 0, "input")
    return IdolInputs(spec, app_img, bg_img)


def to_model_rate(clip: MotionClip, frames: int) -> MotionClip:
    """The motion at 10 fps (2x the 20 fps stride of the training clips), ``frames`` long (last frame held)."""
    fps = 20.0 / STRIDE
    src = clip.resample(fps) if abs(clip.fps - fps) > 1e-6 else clip
    idx = np.minimum(np.arange(frames), src.num_frames - 1)
    return MotionClip(fps, src.trans[idx].copy(), src.rotations[idx].copy(), src.skeleton, name=clip.name)


def conditions(renderer, inputs: IdolInputs, clip: MotionClip, size: int) -> dict:
    """Pose images, background frames, reference image, cameras, keypoints and depth range for ``clip``.

    ``renderer``: a :class:`ClipRenderer` at ``size`` with the body (default shape)."""
    from app.viewers.textured import Backdrop

    spec = inputs.spec
    body = renderer.body
    verts, joints = body.pose_with_joints(clip)
    cams = make_cameras(spec, np.asarray(joints))
    kp = project(np.asarray(joints), cams, size)
    if inputs.background_image is not None:
        bg_frame = cv2.resize(inputs.background_image, (size, size), interpolation=cv2.INTER_AREA)
        background = np.repeat(bg_frame[None], len(cams), 0)
    else:
        backdrop = renderer.backdrop(spec)
        if backdrop.kind == "scene":
            backdrop.ground_center = (float(joints[0, 0, 0]), float(joints[0, 0, 2]))
        far = np.full_like(verts[0], 1.0e4)
        background = np.stack([renderer.renderer.render_frame(far, body.faces, c, backdrop, shadow=False)[0]
                               for c in cams])
    if inputs.appearance_image is not None:
        ref = cv2.resize(inputs.appearance_image, (size, size), interpolation=cv2.INTER_AREA)
    else:
        renderer.set_appearance(spec)
        ref = renderer.reference(replace(spec, ref_kind="rest"), clip, Backdrop("color", color=(0.5, 0.5, 0.5)))
    return {"pose": draw_pose(kp, size), "background": background, "reference": ref, "cameras": cams,
            "keypoints": kp, "near_far": depth_bounds(kp), "joints": np.asarray(joints)}
