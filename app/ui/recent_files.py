"""Recent files and the last-used folder, kept in QSettings (organisation "ActionStudio"), and a
menu that shows the recent files."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QMenu, QWidget

ORGANISATION = "ActionStudio"
APPLICATION = "Studio"
KEY = "recentFiles"
FOLDER_KEY = "lastFolder"
MAX_RECENT = 10


def default_folder() -> str:
    """Where file dialogs start before the user has chosen a folder: Documents if it exists, else home."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return docs if docs and Path(docs).is_dir() else str(Path.home())


class LastFolder:
    """The folder the user last opened from or saved to (never the app's own folders), in QSettings."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def get(self) -> str:
        value = self.settings.value(FOLDER_KEY, "")
        return str(value) if value and Path(str(value)).is_dir() else default_folder()

    def set(self, folder: str | Path) -> None:
        self.settings.setValue(FOLDER_KEY, str(Path(folder).resolve()))


class RecentFiles:
    """A most-recent-first list of paths persisted in QSettings."""

    def __init__(self, settings: QSettings | None = None, limit: int = MAX_RECENT) -> None:
        self.settings = settings or QSettings(ORGANISATION, APPLICATION)
        self.limit = limit

    def paths(self) -> list[str]:
        value = self.settings.value(KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])][: self.limit]

    def add(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        items = [p] + [q for q in self.paths() if q != p]
        self.settings.setValue(KEY, items[: self.limit])

    def remove(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        self.settings.setValue(KEY, [q for q in self.paths() if q != p])

    def clear(self) -> None:
        self.settings.setValue(KEY, [])


class RecentFilesMenu(QMenu):
    """A "Recent files" menu rebuilt each time it opens; calls `open_path(path)` on a choice."""

    def __init__(self, recent: RecentFiles, open_path: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.recent = recent
        self.open_path = open_path
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        paths = self.recent.paths()
        for i, path in enumerate(paths):
            action = self.addAction(f"&{(i + 1) % 10} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not paths:
            self.addAction("(none)").setEnabled(False)
        self.addSeparator()
        self.addAction("Clear list", self._clear).setEnabled(bool(paths))

    def _clear(self) -> None:
        self.recent.clear()
        self.rebuild()
