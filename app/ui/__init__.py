"""The PySide6 studio: main window, viewport, timeline, panels and the Qt bridge to the engine."""
