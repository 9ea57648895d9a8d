"""Studio entry point: `run_studio(argv) -> exit status`."""
from __future__ import annotations

import argparse
import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .recent_files import APPLICATION, ORGANISATION

log = logging.getLogger(__name__)
PLACEHOLDER = "#8e939b"  # hint text in empty fields: readable on the dark base, still dimmer than text


def dark_palette() -> QPalette:
    """A neutral dark palette that suits a 3D viewport."""
    pal = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2d31", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f2125", QPalette.ColorRole.AlternateBase: "#2b2d31",
        QPalette.ColorRole.ToolTipBase: "#f0f0f0", QPalette.ColorRole.ToolTipText: "#1f2125",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#34373c",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff5252",
        QPalette.ColorRole.Highlight: "#4e9af1", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#4e9af1",
        QPalette.ColorRole.PlaceholderText: PLACEHOLDER,  # Qt's default is barely visible on a dark base
    }
    for role, color in colors.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c8088"))
    return pal


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists) with the studio's names and style."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "action-studio"] + list(argv or []))
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Action Studio")
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    return app


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="action-studio", description="Open the Action Studio window.")
    parser.add_argument("path", nargs="?", help="a .bvh or .npz motion to open")
    parser.add_argument("--no-body", action="store_true", help="show the skeleton only (skip the body model)")
    args, _unknown = parser.parse_known_args(argv)  # Qt options (e.g. -platform) pass through
    return args


def run_studio(argv: list[str] | None = None) -> int:
    """Show the studio window (at once), then load the clip and the body in the background."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    app = make_application([a for a in argv if a != args.path])
    from .main_window import MainWindow  # imports the viewers (and GL set-up) after Qt

    win = MainWindow()
    win.show()
    QTimer.singleShot(0, lambda: win.start(args.path, prepare_body=not args.no_body))
    return int(app.exec())
