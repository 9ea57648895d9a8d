"""The 2.5D tab's IDOL side: generate with a tiny random-weight model, show it, follow the timeline,
export; an untrained model disables the button; bad input and cancel leave one line and no folder."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from conftest import gl_available

pytestmark = pytest.mark.skipif(not gl_available(), reason="no offscreen OpenGL")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("diffusers")
    from app.engine.body import is_anny_prepared
    from app.engine.idol.config import IDOL_TINY
    from app.engine.idol.pipeline import IdolPipeline

    if not is_anny_prepared():
        pytest.skip("the Anny body is not prepared on this machine")
    folder = tmp_path_factory.mktemp("idol") / "model"
    IdolPipeline.from_config(IDOL_TINY).save_pretrained(folder, info={"steps": 0})
    return folder


def _state(engine):
    from app.core.motion import MotionClip
    from app.core.skeleton import smpl22_skeleton
    from app.ui.bridge import EngineBridge
    from app.ui.studio_state import StudioState

    state = StudioState(EngineBridge(engine))
    rot = np.zeros((8, 22, 3))
    rot[:, 16, 2] = np.linspace(0.0, 1.2, 8)  # a raised arm, so frames differ
    state.clip = MotionClip(20.0, np.tile([0.0, 0.93, 0.0], (8, 1)), rot, smpl22_skeleton(), name="wave")
    return state


def _tab(qtbot, state, model, cache):
    from app.ui.tab_2p5d import Tab2p5d

    tab = Tab2p5d(state)
    qtbot.addWidget(tab)
    tab.idol.set_model_dir(model)
    tab.idol.cache_root = cache
    tab.resize(1000, 800)
    tab.show()
    return tab


def test_generate_shows_follows_timeline_and_exports(qtbot, engine, tiny_model, tmp_path, monkeypatch):
    from app.ui import idol_panel

    state = _state(engine)
    tab = _tab(qtbot, state, tiny_model, tmp_path / "cache")
    panel = tab.idol
    assert panel.generate_button.isEnabled() and not panel.export_button.isEnabled()
    panel.seed.setValue(7)
    panel.frames.setValue(4)
    panel.background.setCurrentText("scene")
    panel.sampler.setCurrentIndex(panel.sampler.findData("dpm"))
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert panel.running and panel.generate_button.text() == "Cancel"  # the GUI did not wait for it
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    g = panel.result
    assert g.frames == 4 and g.meta["seed"] == 7 and g.meta["background"] == "scene"
    assert g.meta["sampler"] == "dpm"  # the panel's sampler choice reached the task
    assert tab.showing_generated and tab.titles[0].text() == "Generated RGB (IDOL)"
    for label in (tab.rgb_label, tab.depth_label):
        assert (label.pixmap().width(), label.pixmap().height()) == (256, 256)
    assert "seed 7" in panel.info.text() and "person IoU RGB vs depth" in panel.info.text()
    assert tab.depth.shape == (256, 256) and len(tab.points.points) == len(g.points[0])
    assert abs(tab.depth[g.depth[0] > 0].mean() - g.depth[0][g.depth[0] > 0].mean()) < 1e-6
    tab.set_frame(4)  # 0.2 s at 20 fps -> generated frame 2 at 10 fps
    assert tab.gen_index == 2 and tab.status.text().startswith("IDOL frame 3/4")
    tab.set_frame(7)  # past the generated clip: its last frame is held
    assert tab.gen_index == 3
    qtbot.waitUntil(lambda: tab.parallax_phase is not None, timeout=5000)  # parallax from the generated depth
    dest = tmp_path / "picked"
    dest.mkdir()
    monkeypatch.setattr(idol_panel.QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(dest)))
    job = panel.export()
    qtbot.waitUntil(lambda: job.state.finished, timeout=10000)
    assert {"meta.json", "rgb.mp4", "depth_vis.mp4", "depth", "mask"} <= {p.name for p in dest.iterdir()}
    assert len(list((dest / "depth").glob("*.png"))) == 4
    panel.show_exact.setChecked(True)
    assert not tab.showing_generated and tab.titles[0].text() == "RGB"
    assert [p.name.startswith("run-") for p in (tmp_path / "cache").iterdir()] == [True]
    tab.shutdown()


def test_untrained_model_disables_the_button(qtbot, tmp_path):
    from types import SimpleNamespace

    from app.ui.tab_2p5d import Tab2p5d

    tab = Tab2p5d(SimpleNamespace(vertices=None, faces=None, body=None, bridge=None, clip=None))
    qtbot.addWidget(tab)
    (tmp_path / "empty").mkdir()
    tab.idol.set_model_dir(tmp_path / "empty")
    assert not tab.idol.generate_button.isEnabled()
    assert "IDOL model not trained yet: run scripts/train_idol.py" in tab.idol.generate_button.toolTip()
    assert tab.idol.generate() is None and "not trained" in tab.idol.info.text()
    tab.shutdown()


def test_unreadable_image_and_cancel_leave_one_line_and_no_folder(qtbot, engine, tiny_model, tmp_path,
                                                                   monkeypatch):
    from app.ui import idol_panel

    state = _state(engine)
    cache = tmp_path / "cache"
    tab = _tab(qtbot, state, tiny_model, cache)
    panel = tab.idol
    bad = tmp_path / "person.png"
    bad.write_bytes(b"not an image")
    monkeypatch.setattr(idol_panel.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    panel.appearance.setCurrentText(idol_panel.IMAGE_ITEM)  # opens the (patched) dialog
    assert panel.appearance.currentText() == "person.png" and panel.options().appearance == str(bad)
    job = panel.generate()
    qtbot.waitUntil(lambda: panel.info.text().startswith("IDOL failed"), timeout=10000)
    text = panel.info.text()
    assert text.startswith("IDOL failed:") and "person.png" in text and "\n" not in text
    assert panel.generate_button.text() == "Generate (IDOL)" and panel.generate_button.isEnabled()
    panel.appearance.setCurrentText("dark-sport")

    def cancel_midway(j, event):
        if event == "progress" and j.name.startswith("IDOL") and (j.fraction or 0) > 0.3:
            j.cancel()

    engine.subscribe(cancel_midway)
    job = panel.generate()
    qtbot.waitUntil(lambda: panel.info.text() == "IDOL generation cancelled", timeout=60000)
    engine.unsubscribe(cancel_midway)
    assert job.state.value == "cancelled"
    assert panel.result is None and not tab.showing_generated
    assert list(cache.iterdir()) == []  # no run folder, no partial one
    tab.shutdown()
