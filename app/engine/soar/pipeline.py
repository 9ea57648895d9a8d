"""RGB-route inference on videos: crop around the person, resize, window, SOAR, Dirichlet.

``RgbPipeline.from_pretrained(dir).recognize_frames(frames, fps, box)`` takes RGB frames [N, H, W,
3]: they are resampled to the model's 10 fps, cropped to a square around the person (``box``,
from BlazePose landmarks: :func:`person_box`), area-resized to the model size and cut into
16-frame windows (stride 8).  The windows' evidence is averaged into the clip's Dirichlet: its
top 5 and uncertainty K / S; each window also gets a label ("unknown" above the calibrated
threshold), merged into ``actions`` spans.  :func:`combine_opinions` fuses the RGB and skeleton
routes' opinions (``--route both``).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from app.core.errors import InvalidInputError

from .model import SOAR, dirichlet

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RGB_DIR = ROOT / "models" / "recognition" / "rgb"
MARGIN = 0.15
MIN_WINDOW_FRAMES = 8


def person_box(image_landmarks: np.ndarray, present: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """A square (x0, y0, x1, y1) around the person's landmarks [T, 33, 2] over all tracked
    frames (2nd-98th percentiles, 15 % margin), clipped to the frame."""
    pts = image_landmarks[present].reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(1)]
    if len(pts) == 0:
        raise InvalidInputError("no person tracked in the video")
    lo, hi = np.percentile(pts, 2, axis=0), np.percentile(pts, 98, axis=0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * (1 + 2 * MARGIN)
    side = max(8.0, min(side, float(max(width, height))))
    x0, y0 = centre - side / 2
    x0 = int(np.clip(round(x0), 0, max(0, width - side)))
    y0 = int(np.clip(round(y0), 0, max(0, height - side)))
    return x0, y0, int(min(width, x0 + side)), int(min(height, y0 + side))


def centre_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square (used when no person tracker is available)."""
    side = min(width, height)
    x0, y0 = (width - side) // 2, (height - side) // 2
    return x0, y0, x0 + side, y0 + side


def prepare_frames(frames: np.ndarray, fps: float, box: tuple[int, int, int, int], size: int,
                   out_fps: float) -> np.ndarray:
    """Frames resampled to ``out_fps`` (nearest), cropped to ``box`` and area-resized: [M, size, size, 3]."""
    import cv2

    n = len(frames)
    duration = n / max(fps, 1e-6)
    idx = np.minimum(np.rint(np.arange(0, duration, 1.0 / out_fps) * fps).astype(int), n - 1)
    x0, y0, x1, y1 = box
    out = [cv2.resize(np.ascontiguousarray(frames[i, y0:y1, x0:x1, :3]), (size, size), interpolation=cv2.INTER_AREA)
           for i in idx]
    return np.stack(out).astype(np.uint8) if out else np.zeros((0, size, size, 3), np.uint8)


def windows(n: int, length: int, stride: int) -> list[int]:
    """Start indices of ``length``-frame windows over ``n`` frames (the last one flush with the end)."""
    if n <= length:
        return [0]
    starts = list(range(0, n - length + 1, stride))
    if starts[-1] != n - length:
        starts.append(n - length)
    return starts


def combine_opinions(b1: np.ndarray, u1: float, b2: np.ndarray, u2: float) -> tuple[np.ndarray, float]:
    """Dempster's rule for two subjective opinions over the same K classes (belief masses b = e / S,
    uncertainty u = K / S, sum(b) + u = 1), as in trusted multi-view classification: returns the
    fused (beliefs, uncertainty).  Agreement sharpens the beliefs, conflict is discounted."""
    conflict = float(np.outer(b1, b2).sum() - np.dot(b1, b2))
    scale = 1.0 / max(1.0 - conflict, 1e-9)
    b = scale * (b1 * b2 + b1 * u2 + b2 * u1)
    return b, scale * u1 * u2


class RgbPipeline:
    """A loaded SOAR model plus video pre- and post-processing."""

    def __init__(self, model: SOAR, name: str = "") -> None:
        self.model = model.eval()
        self.cfg = model.cfg
        self.name = name or "soar"
        self.device = next(model.parameters()).device

    @classmethod
    def from_pretrained(cls, directory: str | Path = DEFAULT_RGB_DIR, device: str | None = None) -> "RgbPipeline":
        directory = Path(directory)
        if not (directory / "config.json").is_file() or not (directory / "model.safetensors").is_file():
            raise InvalidInputError(f"no RGB recognition model in {directory} (train one: scripts/train_soar.py)")
        try:
            model = SOAR.from_pretrained(directory, device)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        return cls(model, name=f"{directory.parent.name}/{directory.name}")

    @property
    def labels(self) -> list[str]:
        return list(self.cfg.labels)

    @torch.no_grad()
    def raw(self, clip: np.ndarray) -> dict:
        """Per-window evidence [W, K] and starts of prepared frames [M, S, S, 3] (M >= 8)."""
        t = self.cfg.frames
        if len(clip) < MIN_WINDOW_FRAMES:
            raise InvalidInputError(f"too short to recognise: {len(clip) / self.cfg.fps:.2f} s "
                                    f"(at least {MIN_WINDOW_FRAMES / self.cfg.fps:.1f} s needed)")
        if len(clip) < t:                         # pad a short clip by holding its last frame
            clip = np.concatenate([clip, np.repeat(clip[-1:], t - len(clip), 0)])
        starts = windows(len(clip), t, t // 2)
        batch = torch.from_numpy(np.stack([clip[s:s + t] for s in starts])).to(self.device)
        ev = self.model(batch)["evidence"].cpu().numpy()
        return {"evidence": ev, "starts": starts}

    def recognize_frames(self, frames: np.ndarray, fps: float, box: tuple[int, int, int, int], top: int = 5) -> dict:
        """The route's JSON fields for RGB frames [N, H, W, 3] at ``fps`` with the person in ``box``."""
        clip = prepare_frames(frames, fps, box, self.cfg.size, self.cfg.fps)
        r = self.raw(clip)
        ev = r["evidence"]
        probs, u = dirichlet(torch.from_numpy(ev.mean(0)))
        probs, u = probs.numpy(), float(u)
        order = np.argsort(-probs)[:top]
        wp, wu = dirichlet(torch.from_numpy(ev))
        duration = len(clip) / self.cfg.fps
        actions: list[dict] = []
        for s, p_w, u_w in zip(r["starts"], wp.numpy(), wu.numpy()):
            label = "unknown" if u_w > self.cfg.unknown_threshold else self.labels[int(p_w.argmax())]
            start, end = s / self.cfg.fps, min(duration, (s + self.cfg.frames) / self.cfg.fps)
            conf = round(float(1.0 - u_w if label == "unknown" else p_w.max()), 4)
            if actions and actions[-1]["label"] == label:
                actions[-1]["end_s"] = round(end, 3)
                actions[-1]["confidence"] = max(actions[-1]["confidence"], conf)
            else:
                if actions:
                    start = actions[-1]["end_s"]
                actions.append({"label": label, "start_s": round(start, 3), "end_s": round(end, 3),
                                "confidence": conf})
        actions = [a for a in actions if a["end_s"] > a["start_s"]]
        return {"clip": [{"label": self.labels[i], "probability": round(float(probs[i]), 4)} for i in order],
                "uncertainty": round(float(np.clip(u, 0.0, 1.0)), 4), "actions": actions, "route": "rgb",
                "model": self.name, "duration_s": round(duration, 3), "warnings": [],
                "_probs": probs, "_u": u}
