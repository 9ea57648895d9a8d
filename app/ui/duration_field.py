"""Duration field of the prompt panel: seconds, or "Auto" (the length estimator sizes each action from its text).

With Auto on, the request carries no duration and the pipeline's length estimator (app/engine/t2m/length.py) gives
each part of the prompt the length its text suggests ("jumps once" short, "jumps three times" longer); the spin box
then shows the length used. Typing a duration (or setting one in code) turns Auto off.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QWidget

AUTO_TIP = ("Fit the length to the prompt: a learned length estimator reads each action's text "
            "(\"jumps once\" is short, \"jumps three times\" longer). Type a duration to set it yourself.")


class DurationField(QWidget):
    """A seconds spin box with an Auto check box; :meth:`value` is None while Auto is on."""

    changed = Signal()

    def __init__(self, seconds: float = 6.0, auto: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(1.0, 120.0)
        self.spin.setDecimals(1)
        self.spin.setSuffix(" s")
        self.spin.setValue(seconds)
        self.auto = QCheckBox("Auto")
        self.auto.setToolTip(AUTO_TIP)
        self.auto.setChecked(auto)
        self._quiet = False
        self.spin.valueChanged.connect(self._typed)
        self.auto.toggled.connect(self._auto_toggled)
        self._auto_toggled(auto)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.spin, 1)
        row.addWidget(self.auto)

    def _auto_toggled(self, on: bool) -> None:
        """Auto: the spin box greys its number (the length last used), still editable to leave Auto."""
        self.spin.setStyleSheet("color: #8a8a8a" if on else "")
        self.spin.setToolTip("Length the last generation used (Auto); type a duration to set it yourself" if on
                             else "Total duration; several actions share it equally")
        self.changed.emit()

    def _typed(self, _value: float) -> None:
        if not self._quiet:
            self.auto.setChecked(False)
        self.changed.emit()

    def value(self) -> float | None:
        """Seconds, or None for Auto."""
        return None if self.auto.isChecked() else float(self.spin.value())

    def setValue(self, seconds: float | None) -> None:  # noqa: N802 (Qt naming, as the spin box it replaces)
        """A duration (turns Auto off), or None (turns Auto on)."""
        if seconds is None:
            self.auto.setChecked(True)
        else:
            self.spin.setValue(float(seconds))
            self.auto.setChecked(False)

    def show_used(self, seconds: float) -> None:
        """Show the length a generation used without leaving Auto."""
        self._quiet = True
        try:
            self.spin.setValue(float(seconds))
        finally:
            self._quiet = False
