"""Small stand-ins for the body model used by the window tests."""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment


class FakeBody:
    """A 'body' of one triangle per joint triple; height scales it so re-skins are visible."""

    name = "fake"

    def __init__(self) -> None:
        self._phenotype = {k: 0.5 for k in ("gender", "age", "muscle", "weight", "height", "proportions")}
        self.faces = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)
        self.pose_calls = 0

    @property
    def phenotype(self) -> dict[str, float]:
        return dict(self._phenotype)

    def set_phenotype(self, **values: float) -> None:
        self._phenotype.update(values)

    def pose(self, clip: MotionClip, frames=None) -> np.ndarray:
        self.pose_calls += 1
        idx = np.arange(clip.num_frames)[frames] if isinstance(frames, slice) else np.asarray(list(frames))
        j = clip.joints()[idx]
        scale = 0.5 + self._phenotype["height"]
        return (j[:, [0, 15, 20, 21]] * scale).astype(np.float32)


def make_clip(frames: int = 40, fps: float = 30.0, name: str = "wave") -> MotionClip:
    """A small moving clip with two labelled segments."""
    t = np.arange(frames) / fps
    rots = np.zeros((frames, 22, 3))
    rots[:, 18, 2] = 0.8 * np.sin(2 * np.pi * t)  # left elbow waves
    trans = np.stack([0.3 * t, np.full(frames, 0.95), np.zeros(frames)], axis=1)
    segs = [Segment(0.0, frames / fps / 2, "raise arm", "raise"), Segment(frames / fps / 2, frames / fps, "wave", "wave")]
    return MotionClip(fps, trans, rots, segments=segs, name=name)


class FakeJointBody(FakeBody):
    """A fake body that also reports its own joints (like AnnyBody.pose_with_joints)."""

    def pose_with_joints(self, clip: MotionClip, frames=None):
        v = self.pose(clip, frames)
        idx = np.asarray(list(frames))
        return v, (clip.joints()[idx] * 2.0).astype(np.float32)


def make_window(qtbot, engine, settings):
    """A shown MainWindow with the 2D painter renderer, an available fake Anny and SMPL greyed out."""
    from app.ui.main_window import MainWindow
    from app.ui.scene_render import painter_renderer_factory

    w = MainWindow(engine=engine, settings=settings, renderer_factory=painter_renderer_factory,
                   bodies={"anny": None, "smpl": "SMPL model files are not installed"})
    w.quiet_errors = True
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def generate_in_panel(qtbot, panel, text: str, seconds: float, samples: int, seed: int | None = None,
                      timeout_ms: int = 60000):
    """Fill the prompt panel, press Generate and wait for the new history entry; its samples."""
    panel.text.setPlainText(text)
    panel.seconds.setValue(seconds)
    if seed is not None:
        panel.seed.setValue(seed)
    panel.samples.setValue(samples)
    n = len(panel.history)
    assert panel.generate() is not None
    qtbot.waitUntil(lambda: len(panel.history) == n + 1, timeout=timeout_ms)
    return panel.current.result.samples
