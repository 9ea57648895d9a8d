"""Body panel: body model choice, phenotype sliders and overlay toggles.

Shape changes are edits: a slider move (once it settles, :data:`SETTLE_MS`) or Reset goes on the
studio's undo stack when one is given (Edit > Undo puts the previous shape back)."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QStandardItemModel, QUndoStack
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QFormLayout, QGroupBox, QLabel,
                               QPushButton, QSlider, QVBoxLayout, QWidget)

from .edit_history import StudioEdit

log = logging.getLogger(__name__)

PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")
SLIDER_STEPS = 100
DEFAULT_PHENOTYPE = {name: 0.5 for name in PHENOTYPES}
SETTLE_MS = 600  # a slider still for this long ends one shape edit (a drag is one undo step, not 40)


def query_bodies() -> dict[str, str | None]:
    """Available body models {name: None or the reason it is unavailable}."""
    try:
        from app.engine.body import available_bodies
        return dict(available_bodies())
    except Exception as exc:  # noqa: BLE001 - the panel must still open
        log.warning("could not list body models: %s", exc)
        return {"anny": None}


class BodyPanel(QDockWidget):
    """Emits bodyChanged(name) and phenotypeChanged(dict) when the user edits the body."""

    bodyChanged = Signal(str)
    phenotypeChanged = Signal(dict)

    def __init__(self, bodies: dict[str, str | None] | None = None, parent: QWidget | None = None,
                 undo_stack: QUndoStack | None = None) -> None:
        super().__init__("Body", parent)
        self.setObjectName("BodyPanel")
        self.undo_stack = undo_stack
        self._committed = dict(DEFAULT_PHENOTYPE)  # the shape as of the last edit on the stack
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.commit_shape)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.model_box = QComboBox()
        self.model_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_bodies(bodies if bodies is not None else query_bodies())
        self.model_box.currentIndexChanged.connect(self._model_changed)
        form = QFormLayout()
        form.addRow("Model", self.model_box)
        layout.addLayout(form)

        shape = QGroupBox("Phenotype")
        shape_form = QFormLayout(shape)
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        for name in PHENOTYPES:
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(0, SLIDER_STEPS)
            s.setValue(SLIDER_STEPS // 2)
            s.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            s.valueChanged.connect(self._slider_changed)
            label = QLabel("0.50")
            label.setMinimumWidth(32)
            row = QWidget()
            row_layout = QFormLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.addRow(s, label)
            self.sliders[name], self.value_labels[name] = s, label
            shape_form.addRow(name.capitalize(), row)
        reset = QPushButton("Reset")
        reset.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        reset.clicked.connect(self.reset_shape)
        shape_form.addRow(reset)
        layout.addWidget(shape)

        self.overlay_group = QGroupBox("Display")
        self._overlay_layout = QVBoxLayout(self.overlay_group)
        self.checkboxes: dict[str, QCheckBox] = {}
        layout.addWidget(self.overlay_group)
        layout.addStretch(1)
        self.setWidget(body)

    # --- models -----------------------------------------------------------
    def set_bodies(self, bodies: dict[str, str | None]) -> None:
        """Fill the model combo; unavailable models are disabled with the reason as tooltip."""
        self.model_box.blockSignals(True)
        self.model_box.clear()
        model = self.model_box.model()
        for i, (name, reason) in enumerate(bodies.items()):
            self.model_box.addItem(name.upper() if name.lower() == "smpl" else name.capitalize(), name)
            if reason:
                if isinstance(model, QStandardItemModel):
                    model.item(i).setEnabled(False)
                self.model_box.setItemData(i, f"Unavailable: {reason}", Qt.ItemDataRole.ToolTipRole)
        for i, reason in enumerate(bodies.values()):
            if not reason:
                self.model_box.setCurrentIndex(i)
                break
        self.model_box.blockSignals(False)

    def is_available(self, name: str) -> bool:
        i = self.model_box.findData(name)
        model = self.model_box.model()
        return i >= 0 and (not isinstance(model, QStandardItemModel) or model.item(i).isEnabled())

    def current_body(self) -> str:
        return str(self.model_box.currentData() or "anny")

    def _model_changed(self, index: int) -> None:
        self.bodyChanged.emit(self.current_body())

    # --- phenotype -----------------------------------------------------------
    def phenotype(self) -> dict[str, float]:
        return {name: s.value() / SLIDER_STEPS for name, s in self.sliders.items()}

    def set_phenotype(self, values: dict[str, float], emit: bool = False) -> None:
        for name, value in values.items():
            if name in self.sliders:
                s = self.sliders[name]
                s.blockSignals(True)
                s.setValue(int(round(float(value) * SLIDER_STEPS)))
                s.blockSignals(False)
                self.value_labels[name].setText(f"{s.value() / SLIDER_STEPS:.2f}")
        if emit:
            self.phenotypeChanged.emit(self.phenotype())
        else:  # the body's own shape, not an edit: later edits start from it
            self._committed = self.phenotype()

    def _slider_changed(self, _value: int) -> None:
        for name, s in self.sliders.items():
            self.value_labels[name].setText(f"{s.value() / SLIDER_STEPS:.2f}")
        self.phenotypeChanged.emit(self.phenotype())
        self._settle.start()

    def reset_shape(self) -> None:
        """Back to the average body (one undoable edit)."""
        self.set_phenotype(DEFAULT_PHENOTYPE, emit=True)
        self.commit_shape("Reset body shape")

    def commit_shape(self, text: str = "Change body shape") -> None:
        """Put the shape change since the last edit on the undo stack (nothing when unchanged)."""
        self._settle.stop()
        before, after = dict(self._committed), self.phenotype()
        if after == before:
            return
        self._committed = after
        if self.undo_stack is not None:
            self.undo_stack.push(StudioEdit(text, lambda: self._show_shape(before), lambda: self._show_shape(after)))

    def _show_shape(self, values: dict[str, float]) -> None:
        self._settle.stop()
        self._committed = dict(values)
        self.set_phenotype(values, emit=True)

    # --- overlays --------------------------------------------------------------
    def add_toggle(self, key: str, action: QAction) -> QCheckBox:
        """A checkbox kept in sync with a checkable action (shared with menus and shortcuts)."""
        text = action.text().replace("&", "")
        shortcut = action.shortcut().toString()
        box = QCheckBox(f"{text} ({shortcut})" if shortcut else text)
        box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.setToolTip(action.toolTip())
        box.setChecked(action.isChecked())
        box.toggled.connect(action.setChecked)
        action.toggled.connect(box.setChecked)
        self._overlay_layout.addWidget(box)
        self.checkboxes[key] = box
        return box
