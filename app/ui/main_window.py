"""The studio's main window: viewport, timeline, body and jobs docks, menus."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from app.core.motion import rest_clip
from app.engine.jobs import Engine, Job, JobState

from .actions import build_actions, build_menus
from .atom_strip import AtomStrip
from .body_panel import BodyPanel
from .bridge import EngineBridge
from .file_actions import FileActions
from .jobs_panel import JobsPanel
from .recognition_controller import RecognitionController
from .recognition_lane import RecognitionLane
from .recent_files import RecentFiles, RecentFilesMenu
from .render_thread import RendererFactory
from .studio_tasks import LoadedClip, SkinResult, clip_task, shape_preview_task, skin_task
from .timeline import Timeline
from .viewport import Viewport

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIP = REPO_ROOT / "assets" / "motions" / "default.npz"
RESKIN_DEBOUNCE_MS = 250
PREPARE_TEXT = "Preparing body model (one-time)…"


def _shared(name: str) -> property:
    """A window attribute kept in the shared StudioState (what the panels and tabs read)."""
    return property(lambda self: getattr(self.state, name), lambda self, value: setattr(self.state, name, value))


def anny_prepared() -> bool:
    try:
        from app.engine.body.prepare import is_anny_prepared
        return bool(is_anny_prepared())
    except Exception:  # noqa: BLE001
        return False


class MainWindow(QMainWindow):
    """The studio window. Pass an Engine (a started one is reused) or let it create one."""

    def __init__(self, engine: Engine | None = None, settings: QSettings | None = None,
                 renderer_factory: RendererFactory | None = None, bodies: dict | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Action Studio")
        self.resize(1600, 1000)
        self.setAcceptDrops(True)
        self.quiet_errors = False  # tests set this to skip the message box
        self._own_engine = engine is None
        self.engine = (engine or Engine()).start()
        self.bridge = EngineBridge(self.engine, self)
        self.recent = RecentFiles(settings)
        from .studio_state import StudioState
        self.state = StudioState(self.bridge, self.recent.settings, self)  # what the panels share

        self.clip_path: Path | None = None
        self.joints: np.ndarray | None = None
        self._clip_serial = 0
        self._skin_job: Job | None = None
        self._preview_job: Job | None = None
        self._body_job: Job | None = None
        self._autoplay_on_mesh = False

        self.viewport = Viewport(renderer_factory)
        self.timeline = Timeline()
        self.action_lane = RecognitionLane(self.state)  # asked vs recognised actions, under the segment bands
        self.timeline.layout().addWidget(self.action_lane)
        self.recognition = RecognitionController(self.state, self)
        self.files = FileActions(self.state, self.recent, self.viewport, self.recognition.recognize_video, self,
                                 quiet=lambda: self.quiet_errors)
        self.atom_strip = AtomStrip()  # per-frame codebook attention, under the action lanes
        self.timeline.layout().addWidget(self.atom_strip)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.viewport, 1)
        self.setCentralWidget(central)
        self.timeline_dock = QDockWidget("Timeline", self)  # under every tab but Forensics: 2.5D plays along
        self.timeline_dock.setObjectName("TimelineDock")
        self.timeline_dock.setWidget(self.timeline)
        self.timeline_dock.setTitleBarWidget(QWidget())
        self.timeline_dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline_dock)

        self.body_panel = BodyPanel(bodies, self, self.state.undo)
        self.jobs_panel = JobsPanel(self.bridge, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.body_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.jobs_panel)
        from .prompt_panel import PromptPanel
        self.state.phenotype_source = self.body_panel.phenotype
        self.prompt_panel = PromptPanel(self.state, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.prompt_panel)
        self.tabifyDockWidget(self.body_panel, self.prompt_panel)
        self.prompt_panel.raise_()
        self.resizeDocks([self.body_panel, self.jobs_panel], [280, 300], Qt.Orientation.Horizontal)

        self.actions_ = build_actions(self, self.state.undo)
        self.recent_menu = RecentFilesMenu(self.recent, self.files.open_path, self)
        _, view_menu = build_menus(self, self.actions_, self.recent_menu)
        view_menu.addSeparator()
        view_menu.addAction(self.body_panel.toggleViewAction())
        view_menu.addAction(self.jobs_panel.toggleViewAction())
        view_menu.addAction(self.prompt_panel.toggleViewAction())
        for key in ("skeleton", "grid", "shadow", "contacts", "textured"):
            self.body_panel.add_toggle(key, getattr(self.actions_, key))

        self.clip_label = QLabel("no motion")
        self.stats_label = QLabel()
        self.statusBar().addPermanentWidget(self.clip_label)
        self.statusBar().addPermanentWidget(self.stats_label)

        self._reskin_timer = QTimer(self)
        self._reskin_timer.setSingleShot(True)
        self._reskin_timer.setInterval(RESKIN_DEBOUNCE_MS)
        self._reskin_timer.timeout.connect(lambda: self.request_skin(preview=True))
        self._connect()

        from .forensics_tab import ForensicsTab
        self.forensics_tab = ForensicsTab(self.bridge, self)
        self.add_tab("Forensics", self.forensics_tab)
        from .tab_2p5d import Tab2p5d
        from .tab_multiview import TabMultiview
        self.tab_2p5d, self.tab_multiview = Tab2p5d(self.state), TabMultiview(self.state)
        self.add_tab("2.5D", self.tab_2p5d)
        self.add_tab("Multi-view", self.tab_multiview)
        for tab in (self.tab_2p5d, self.tab_multiview):
            self.timeline.frameChanged.connect(tab.set_frame)
        from .quit_guard import QuitGuard
        from .studio_state import DockScope
        self.quit_guard = QuitGuard(self, self.state, self.bridge, self.engine, self.files.save_as_dialog)
        self.dock_scope = DockScope(self.state, ("Forensics",), [self.timeline_dock, self.prompt_panel,
                                                                  self.body_panel])
        self.state.tabChanged.connect(lambda tab: self.timeline.pause() if tab == "Forensics" else None)

    def add_tab(self, title: str, widget: QWidget) -> int:
        """Add a top-level tab; the first call turns the central area into tabs ('Studio' first)."""
        tabs = self.centralWidget()
        if not isinstance(tabs, QTabWidget):
            studio = self.takeCentralWidget()
            tabs = QTabWidget()
            tabs.setDocumentMode(True)
            tabs.addTab(studio, "Studio")
            self.setCentralWidget(tabs)
            tabs.currentChanged.connect(lambda i: self.state.set_tab(tabs.tabText(i)))
        return tabs.addTab(widget, title)

    # --- wiring ------------------------------------------------------------------
    def _connect(self) -> None:
        a, tl, vp = self.actions_, self.timeline, self.viewport
        a.open.triggered.connect(self.files.open_dialog)
        a.save_as.triggered.connect(lambda: self.files.save_as_dialog())
        a.export_video.triggered.connect(self.files.export_video_dialog)
        a.export_bvh.triggered.connect(lambda: self.files.save_as_dialog("BVH (*.bvh)"))
        a.export_npz.triggered.connect(lambda: self.files.save_as_dialog("Motion npz (*.npz)"))
        a.export_smpl.triggered.connect(lambda: self.files.save_as_dialog("SMPL/AMASS npz (*.npz)"))
        a.export_gltf.triggered.connect(self.files.export_gltf_dialog)
        a.export_fbx.triggered.connect(self.files.export_fbx_dialog)
        a.quit.triggered.connect(self.request_quit)
        a.play.triggered.connect(tl.toggle_play)
        a.step_back.triggered.connect(lambda: tl.step(-1))
        a.step_forward.triggered.connect(lambda: tl.step(1))
        a.step_back_10.triggered.connect(lambda: tl.step(-10))
        a.step_forward_10.triggered.connect(lambda: tl.step(10))
        a.home.triggered.connect(tl.go_home)
        a.end.triggered.connect(tl.go_end)
        a.loop.toggled.connect(tl.set_loop)
        tl.loop_box.toggled.connect(a.loop.setChecked)
        for key in ("skeleton", "grid", "shadow", "contacts", "textured"):
            getattr(a, key).toggled.connect(lambda on, k=key: vp.set_flag(k, on))
            vp.flags[key] = getattr(a, key).isChecked()
        for name, act in a.cameras.items():
            act.triggered.connect(lambda _=False, n=name: vp.set_preset(n))
        tl.frameChanged.connect(vp.set_frame)
        tl.frameChanged.connect(self.atom_strip.set_frame)
        self.atom_strip.frameClicked.connect(tl.set_frame)
        tl.playingChanged.connect(vp.set_playing)
        vp.statsChanged.connect(self.stats_label.setText)
        vp.renderFailed.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.body_panel.phenotypeChanged.connect(lambda _: self._reskin_timer.start())
        self.body_panel.bodyChanged.connect(self.start_body)
        self.bridge.jobProgress.connect(self._job_progress)
        self.bridge.jobStarted.connect(self._job_progress)
        st = self.state
        st.showClipRequested.connect(self.set_loaded)
        st.frameRequested.connect(tl.set_frame)
        st.selectionRequested.connect(lambda a, b: tl.strip.set_selection((a, b)))
        st.attentionRequested.connect(self.atom_strip.set_attention)
        st.lanesRequested.connect(vp.set_lanes)
        st.messageRequested.connect(self.statusBar().showMessage)
        tl.strip.selectionChanged.connect(st.selectionChanged)
        tl.frameChanged.connect(self.action_lane.set_frame)
        self.action_lane.frameClicked.connect(tl.set_frame)
        a.recognize.triggered.connect(st.request_recognition)
        a.recognize_video.triggered.connect(self.files.recognize_video_dialog)
        a.auto_label.setChecked(st.auto_label)
        a.auto_label.toggled.connect(st.set_auto_label)
        st.autoLabelChanged.connect(a.auto_label.setChecked)
        vp.laneClicked.connect(st.laneClicked)

    # the panels' view of the window: the shared state holds the current clip, body and posed mesh
    clip = _shared("clip")
    body = _shared("body")
    vertices = _shared("vertices")
    faces = _shared("faces")
    body_name = _shared("body_name")

    # --- startup -------------------------------------------------------------------
    def start(self, path: str | Path | None = None, prepare_body: bool = True) -> None:
        """Open `path` (or the default clip) and get the body model ready (prepared once)."""
        if path:
            self.files.open_path(path, autoplay=True)
        else:
            self.open_default_clip()
        if prepare_body:
            self.start_body(self.body_panel.current_body())

    def open_default_clip(self) -> None:
        if DEFAULT_CLIP.is_file():
            self.files.open_path(DEFAULT_CLIP, autoplay=True, remember=False)  # not the dialogs' folder
        else:
            log.info("no %s; using a procedural rest clip", DEFAULT_CLIP)
            clip = rest_clip(90)
            clip.name = "rest pose"
            self.bridge.run("Default clip", clip_task, clip,
                            on_done=lambda lc: self.set_loaded(lc, autoplay=True), on_error=self.files.show_error)

    # --- clip ------------------------------------------------------------------------
    def set_loaded(self, loaded: LoadedClip, autoplay: bool = False) -> None:
        """Show a clip prepared on the engine (joints precomputed) and re-skin the body for it."""
        self.timeline.pause()
        self.clip, self.clip_path, self.joints = loaded.clip, loaded.path, loaded.joints
        self._clip_serial += 1
        self.vertices = None
        self.viewport.set_motion(loaded.joints, loaded.clip.skeleton.parents, loaded.contacts)
        self.atom_strip.set_attention(None)  # the prompt panel sets it again for generated clips
        self.timeline.strip.frame = 0
        self.timeline.set_clip(loaded.clip.num_frames, loaded.clip.fps, loaded.clip.segments)
        name = loaded.clip.name or (loaded.path.name if loaded.path else "motion")
        self.setWindowTitle(f"{name} — Action Studio")
        self.clip_label.setText(f"{name}: {loaded.clip.num_frames} frames @ {loaded.clip.fps:g} fps, "
                                f"{loaded.clip.duration:.1f} s")
        self.statusBar().showMessage(f"Opened {name}", 5000)
        self._autoplay_on_mesh = autoplay
        self.state.clip_shown(loaded)
        if self.body is not None:
            self.request_skin()
        elif autoplay and (self._body_job is None or self._body_job.state.finished):
            self.timeline.play()

    # --- body --------------------------------------------------------------------------
    def start_body(self, name: str) -> None:
        """Load (and prepare once) a body model on the engine, then skin the clip."""
        from app.engine.tasks.body_tasks import load_body

        if self._body_job is not None and not self._body_job.state.finished:
            self._body_job.cancel()
        self.body_name = name
        first_time = name == "anny" and not anny_prepared()
        if first_time:
            self.viewport.set_banner(PREPARE_TEXT, 0.0)
        self._body_job = self.bridge.run(
            "Prepare body model (one-time)" if first_time else f"Load body {name}", load_body, name,
            on_done=self._body_ready, on_error=self._body_failed, on_cancel=lambda: self.viewport.set_banner(None))

    def _body_ready(self, body: Any) -> None:
        self.viewport.set_banner(None)
        self.body = body
        self.viewport.set_body(body)
        phenotype = getattr(body, "phenotype", None)
        if isinstance(phenotype, dict) and phenotype:
            if any(abs(phenotype.get(k, 0.5) - v) > 1e-6 for k, v in self.body_panel.phenotype().items()):
                self.body_panel.set_phenotype(phenotype)
        self.request_skin()

    def _body_failed(self, message: str) -> None:
        self.viewport.set_banner(None)
        self.files.show_error(f"body model: {message}", "Body model unavailable")
        if self._autoplay_on_mesh:
            self._autoplay_on_mesh = False
            self.timeline.play()

    def request_skin(self, preview: bool = False) -> None:
        """(Re)compute the body vertices of every frame in the background; the old mesh stays meanwhile.

        preview: first re-shape only the shown frame, so slider changes show at once.
        """
        if self.body is None or self.clip is None:
            return
        for job in (self._skin_job, self._preview_job):
            if job is not None and not job.state.finished:
                job.cancel()
        serial, phenotype = self._clip_serial, self.body_panel.phenotype()
        if preview:
            self._preview_job = self.bridge.run(
                "Shape preview", shape_preview_task, self.body, self.clip, phenotype, self.timeline.frame, serial,
                on_done=self._preview_done)
        self._skin_job = self.bridge.run(
            "Pose body", skin_task, self.body, self.clip, phenotype, serial,
            on_done=self._skin_done, on_error=lambda m: self.files.show_error(f"posing the body failed: {m}"))

    def _preview_done(self, result: tuple[int, int, np.ndarray]) -> None:
        serial, frame, verts = result
        if serial == self._clip_serial and self.vertices is not None:
            self.viewport.set_preview(frame, verts)

    def _skin_done(self, result: SkinResult) -> None:
        if result.clip_serial != self._clip_serial:
            return  # a newer clip was opened meanwhile
        self.vertices, self.faces = result.vertices, result.faces
        self.viewport.set_mesh(result.vertices, result.faces, result.joints, result.contacts)
        self.state.bodyPosed.emit()
        if self._autoplay_on_mesh:
            self._autoplay_on_mesh = False
            self.timeline.play()

    def _job_progress(self, job: Job) -> None:
        if job is self._body_job and self.viewport.banner:
            percent = "" if job.fraction is None else f"  {int(round(100 * job.fraction))}%"
            self.viewport.set_banner(PREPARE_TEXT + percent, job.fraction)

    # --- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, ev: QDragEnterEvent) -> None:  # noqa: N802
        if self.files.accepts_drop(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev: QDragMoveEvent) -> None:  # noqa: N802
        self.dragEnterEvent(ev)

    def dropEvent(self, ev: QDropEvent) -> None:  # noqa: N802
        if self.files.drop(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    # --- shutdown -------------------------------------------------------------------------
    def request_quit(self) -> None:
        """File > Quit: asks about running jobs and unsaved generated motion first."""
        if self.quit_guard.may_quit():
            self.close()

    def closeEvent(self, ev: QCloseEvent) -> None:  # noqa: N802
        if ev.spontaneous() and not self.quit_guard.may_quit():  # the window's close button
            ev.ignore()
            return
        self.timeline.pause()
        self._reskin_timer.stop()
        self.viewport.shutdown()
        for tab in (self.tab_2p5d, self.tab_multiview, self.forensics_tab):
            if hasattr(tab, "shutdown"):
                tab.shutdown()  # their render workers
        self.bridge.shutdown()
        if self._own_engine:
            self.engine.stop()
        super().closeEvent(ev)

    def job_states(self) -> dict[str, JobState]:
        """name -> state of the engine's jobs (handy for tests and the screenshot script)."""
        return {j.name: j.state for j in self.engine.jobs}
