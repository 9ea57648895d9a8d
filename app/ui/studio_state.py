"""The studio's shared state: what panels read and the requests they make, as signals.

Panels (the prompt panel, the side-by-side samples) depend on this small object instead of
reaching into the main window: they read ``clip``, ``body``, the posed ``vertices``/``faces``,
``phenotype()``, ``bridge`` and ``settings``, and ask for things (show a clip, go to a frame,
select frames, show attention, side lanes, a status message) by calling methods that emit signals.
The action lanes (what was asked, what the recogniser sees: :mod:`app.engine.recognition.lanes`)
live here too: ``lanes`` (an ActionLanes or None), ``lanes_status`` (a line while recognising or
when it failed) and ``auto_label`` (label every generation; kept in the settings), each with its
signal, so the timeline's lane widget and the menus only talk to this object.
The main window owns one, keeps ``clip``, ``body`` and the mesh current, says which top-level tab
is shown (``tabChanged``) and connects the requests to its widgets; ``loaded`` is the LoadedClip shown
(the window sets it through :meth:`clip_shown`). ``undo`` is the studio's stack of edits
(:mod:`.edit_history`: a panel pushes an edit, the Edit menu undoes it).  ``unsaved`` is true while a
generated motion has been shown and not saved since (the window asks before quitting then).
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QSettings, Signal

from app.core.motion import MotionClip

from .bridge import EngineBridge
from .edit_history import new_stack

AUTO_LABEL_KEY = "recognition/auto_label"


class StudioState(QObject):
    """Current clip and body, plus request/notification signals between panels and the window."""

    # notifications (the window emits them)
    clipChanged = Signal(object)        # the LoadedClip now shown
    selectionChanged = Signal(int, int)  # timeline frames [start, end); (-1, -1) = none
    bodyPosed = Signal()                # the window's body was posed for the current clip and shape
    laneClicked = Signal(int)           # a side-by-side body (or its number) was clicked
    tabChanged = Signal(str)            # the top-level tab now shown ("Studio", "Forensics", "2.5D" ...)
    # requests (panels emit them through the methods below)
    showClipRequested = Signal(object, bool)  # LoadedClip, autoplay
    frameRequested = Signal(int)
    selectionRequested = Signal(int, int)
    attentionRequested = Signal(object)        # [T, K] codebook attention or None
    lanesRequested = Signal(object, int)       # side-by-side lanes, selected lane
    messageRequested = Signal(str, int)        # status bar text, milliseconds
    # action lanes (asked vs recognised)
    lanesChanged = Signal(object)              # ActionLanes or None
    lanesStatusChanged = Signal(str)           # "recognising…", an error, or "" when idle
    autoLabelChanged = Signal(bool)
    recognizeRequested = Signal()              # Motion > Recognise actions on the shown clip

    def __init__(self, bridge: EngineBridge, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.clip: MotionClip | None = None
        self.loaded: Any = None  # the LoadedClip shown (clip, path, joints, contacts)
        self.undo = new_stack(self)
        self.body: Any = None
        self.body_name = "anny"  # the body asked for (the loaded one may still be on its way)
        self.vertices: Any = None  # [T, V, 3] posed body of the current clip, or None while posing
        self.faces: Any = None
        self.tab = "Studio"
        self.unsaved_clip: MotionClip | None = None  # a generated clip shown and not saved since
        self.phenotype_source: Callable[[], dict[str, float]] = dict
        self.lanes: Any = None  # ActionLanes of the shown clip, or None
        self.lanes_status = ""
        self._auto_label = True if settings is None else settings.value(AUTO_LABEL_KEY, True, type=bool)

    def phenotype(self) -> dict[str, float]:
        """The body shape the window poses with."""
        return dict(self.phenotype_source())

    @property
    def unsaved(self) -> bool:
        return self.unsaved_clip is not None

    def mark_saved(self, clip: MotionClip | None) -> None:
        """`clip` was written to a file: a generated clip no longer counts as unsaved."""
        if clip is not None and clip is self.unsaved_clip:
            self.unsaved_clip = None

    # --- action lanes -------------------------------------------------------------------
    @property
    def auto_label(self) -> bool:
        """Recognise every generated motion as soon as it is shown."""
        return bool(self._auto_label)

    def set_auto_label(self, on: bool) -> None:
        if bool(on) != self._auto_label:
            self._auto_label = bool(on)
            if self.settings is not None:
                self.settings.setValue(AUTO_LABEL_KEY, self._auto_label)
            self.autoLabelChanged.emit(self._auto_label)

    def set_lanes(self, lanes: Any) -> None:
        """Show `lanes` (None clears) for the current clip."""
        self.lanes = lanes
        self.lanesChanged.emit(lanes)

    def set_lanes_status(self, text: str) -> None:
        if text != self.lanes_status:
            self.lanes_status = text
            self.lanesStatusChanged.emit(text)

    def request_recognition(self) -> None:
        self.recognizeRequested.emit()

    def set_tab(self, name: str) -> None:
        if name != self.tab:
            self.tab = name
            self.tabChanged.emit(name)

    def clip_shown(self, loaded: Any) -> None:
        """The window now shows `loaded` (notification: ``clipChanged``)."""
        self.loaded = loaded
        self.clipChanged.emit(loaded)

    # --- requests ------------------------------------------------------------------------
    def show_clip(self, loaded: Any, autoplay: bool = False, unsaved: bool = True) -> None:
        """Show a clip made in the studio (generated, edited): it counts as unsaved until saved
        (`unsaved` false: a clip with its own source, e.g. a body tracked in a video)."""
        if unsaved:
            self.unsaved_clip = getattr(loaded, "clip", None)
        self.showClipRequested.emit(loaded, bool(autoplay))

    def request_frame(self, frame: int) -> None:
        self.frameRequested.emit(int(frame))

    def select_frames(self, f0: int, f1: int) -> None:
        self.selectionRequested.emit(int(f0), int(f1))

    def show_attention(self, attention: Any) -> None:
        self.attentionRequested.emit(attention)

    def show_lanes(self, lanes: list, selected: int = 0) -> None:
        self.lanesRequested.emit(lanes, int(selected))

    def message(self, text: str, ms: int = 8000) -> None:
        self.messageRequested.emit(str(text), int(ms))


class DockScope(QObject):
    """Hides docks (panels that do not apply) while one of `hidden_on` tabs is shown and brings back the ones
    that were open, the front one of tabbed docks in front again; a dock the user closed stays closed."""

    def __init__(self, state: StudioState, hidden_on: tuple[str, ...], docks: list[Any]) -> None:
        super().__init__(state)
        self.hidden_on, self.docks = tuple(hidden_on), list(docks)
        self._restore: list[tuple[Any, bool]] | None = None  # (dock, was in front) of the docks hidden here
        state.tabChanged.connect(self.tab_changed)

    def tab_changed(self, tab: str) -> None:
        if tab in self.hidden_on and self._restore is None:
            self._restore = [(d, d.isVisible()) for d in self.docks if d.toggleViewAction().isChecked()]
            for dock, _ in self._restore:
                dock.hide()
        elif tab not in self.hidden_on and self._restore is not None:
            restore, self._restore = self._restore, None
            for dock, _ in restore:
                dock.show()
            for dock, front in restore:
                if front:
                    dock.raise_()
