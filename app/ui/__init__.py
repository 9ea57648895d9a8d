"""The PySide6 studio: main window, viewport, timeline, panels and the Qt bridge to the engine."""
from . import qt_compat as _qt_compat  # noqa: F401  (PySide6 reference-count work-arounds, first)
