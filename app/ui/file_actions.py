"""File handling for the studio window: open, save, export, drag-and-drop, errors.

All reading, writing and rendering runs as engine jobs; the GUI thread only shows
dialogs and applies results. A failed open leaves the current clip untouched.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .recent_files import LastFolder
from .studio_tasks import MOTION_SUFFIXES, load_clip_task, save_clip_task

if TYPE_CHECKING:
    from .recent_files import RecentFiles
    from .studio_state import StudioState
    from .viewport import Viewport

log = logging.getLogger(__name__)

OPEN_FILTER = ("Motion files (*.bvh *.npz);;BVH (*.bvh);;npz (*.npz);;"
               "Videos: track the body and recognise its actions (*.mp4 *.mov *.m4v *.avi *.mkv *.webm);;All files (*)")
VIDEO_OPEN_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.gif);;All files (*)"
SAVE_FILTERS = {"Motion npz (*.npz)": (".npz", None), "BVH (*.bvh)": (".bvh", None),
                "SMPL/AMASS npz (*.npz)": (".npz", "smpl")}
VIDEO_FILTERS = {"MP4 video (*.mp4)": ".mp4", "Animated GIF (*.gif)": ".gif"}
GLTF_FILTERS = {"glTF binary (*.glb)": ".glb", "glTF with embedded buffer (*.gltf)": ".gltf"}
FBX_FILTERS = {"FBX (*.fbx)": ".fbx"}
EXPORT_SIZE = (1280, 720)


def is_motion_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MOTION_SUFFIXES


def is_video_path(path: str | Path) -> bool:
    from app.engine.recognition.inputs import is_video
    return is_video(path)


def motion_paths_from_mime(mime: QMimeData, videos: bool = False) -> list[str]:
    """Local .bvh/.npz files (and videos, with `videos`) among dropped URLs (others are ignored)."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()
            and (is_motion_path(u.toLocalFile()) or (videos and is_video_path(u.toLocalFile())))]


def with_suffix(path: str, suffix: str) -> str:
    return path if path.lower().endswith(suffix) else path + suffix


class FileActions:
    """The studio's file operations: open, save, export, drop.

    It holds the shared studio state (the shown clip, body and posed mesh; the status line; the engine bridge)
    and a few collaborators, not the window: the recent-files list, the viewport (what an exported video shows),
    the video route (`recognize`) and the widget that parents its dialogs.  `quiet()` true: errors go to the
    status line only (tests)."""

    def __init__(self, state: "StudioState", recent: "RecentFiles", viewport: "Viewport",
                 recognize: Callable[[Path], Any], parent: QWidget, quiet: Callable[[], bool] = lambda: False) -> None:
        self.state, self.recent, self.viewport = state, recent, viewport
        self.recognize, self.parent, self.quiet = recognize, parent, quiet
        self.folder = LastFolder(recent.settings)  # dialogs start in the user's last folder
        self.error_box: QMessageBox | None = None
        self.last_error: str | None = None

    @property
    def last_dir(self) -> str:
        """The user's last-used folder (QSettings), else Documents or home; never the app's assets."""
        return self.folder.get()

    @last_dir.setter
    def last_dir(self, folder: str) -> None:
        self.folder.set(folder)

    # --- errors ----------------------------------------------------------------
    def show_error(self, message: str, title: str = "Action Studio") -> None:
        """One line in the status bar and a non-blocking warning box; never a traceback."""
        message = (message or "unknown error").strip().splitlines()[0]
        self.last_error = message
        log.warning("%s", message)
        self.state.message(message, 15000)
        if self.quiet():
            return
        if self.error_box is not None:
            self.error_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self.parent)
        box.setModal(False)
        box.show()
        self.error_box = box

    # --- open ------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open motion", self.last_dir, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, autoplay: bool = False, remember: bool = True):
        """Load a motion file on the engine; the current clip stays until it succeeds.

        remember: a successful open makes its folder the dialogs' start (not for the built-in default clip).
        """
        path = Path(path)
        if is_video_path(path):  # the studio shows a video as the body tracked in it, with its actions
            return self.recognize_video(path, remember)
        self.state.message(f"Opening {path.name}…", 0)

        def done(loaded) -> None:
            if remember:
                self.last_dir = str(path.parent)
                self.recent.add(path)
            self.state.show_clip(loaded, autoplay=autoplay, unsaved=False)

        def failed(msg: str) -> None:
            if not path.exists():
                self.recent.remove(path)
            self.show_error(msg, "Could not open motion")

        return self.state.bridge.run(f"Open {path.name}", load_clip_task, path, on_done=done, on_error=failed)

    # --- drag and drop ------------------------------------------------------------
    def accepts_drop(self, mime: QMimeData) -> bool:
        return bool(motion_paths_from_mime(mime, videos=self.state.tab != "Forensics"))

    def drop(self, mime: QMimeData) -> bool:
        """A motion file opens; a video (outside the Forensics tab) is tracked and its actions recognised."""
        paths = motion_paths_from_mime(mime, videos=self.state.tab != "Forensics")
        if not paths:
            return False
        self.open_path(paths[0], autoplay=True)
        return True

    # --- videos: the tracked body and its actions -------------------------------------------
    def recognize_video_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Recognise actions in a video", self.last_dir,
                                              VIDEO_OPEN_FILTER)
        if path:
            self.recognize_video(path)

    def recognize_video(self, path: str | Path, remember: bool = True):
        """Track the person in `path` on the engine, show the body and the actions on the timeline."""
        path = Path(path)
        if remember and path.is_file():
            self.last_dir = str(path.parent)
        self.state.message(f"Tracking the body in {path.name}…", 0)
        return self.recognize(path)

    # --- save / export -----------------------------------------------------------------
    def _clip_or_warn(self):
        clip = self.state.clip
        if clip is None:
            self.show_error("there is no motion to save")
        return clip

    def save_as_dialog(self, only: str | None = None) -> None:
        """Save dialog; `only` restricts to one filter (the Export menu's BVH/npz/SMPL npz)."""
        clip = self._clip_or_warn()
        if clip is None:
            return
        filters = [only] if only else list(SAVE_FILTERS)
        start = str(Path(self.last_dir) / (clip.name or "motion"))
        path, chosen = QFileDialog.getSaveFileName(self.parent, "Save motion as", start, ";;".join(filters))
        if not path:
            return
        suffix, flavor = SAVE_FILTERS.get(chosen, SAVE_FILTERS[filters[0]])
        self.save_path(with_suffix(path, suffix), flavor)

    def save_path(self, path: str | Path, flavor: str | None = None):
        clip = self._clip_or_warn()
        if clip is None:
            return None
        path = Path(path)
        self.last_dir = str(path.parent)

        def done(written) -> None:
            self.state.message(f"Saved {Path(written).name}", 8000)
            self.state.mark_saved(clip)
            if flavor is None:
                self.recent.add(written)

        return self.state.bridge.run(f"Save {path.name}", save_clip_task, clip.copy(), path, flavor,
                                   on_done=done, on_error=lambda m: self.show_error(m, "Could not save"))

    def _ask_export_path(self, title: str, filters: dict[str, str]) -> str | None:
        """Ask where to export the current clip; a name without one of `filters`' suffixes gets the chosen one."""
        clip = self._clip_or_warn()
        if clip is None:
            return None
        default = next(iter(filters.values()))
        start = str(Path(self.last_dir) / ((clip.name or "motion") + default))
        path, chosen = QFileDialog.getSaveFileName(self.parent, title, start, ";;".join(filters))
        if not path:
            return None
        self.last_dir = str(Path(path).parent)
        return path if path.lower().endswith(tuple(filters.values())) else path + filters.get(chosen, default)

    def export_video_dialog(self) -> None:
        if path := self._ask_export_path("Export video", VIDEO_FILTERS):
            self.export_video(path)

    def export_video(self, path: str | Path, size: tuple[int, int] = EXPORT_SIZE):
        """Render the clip offscreen on the engine (as the viewport shows it) into MP4/GIF."""
        from app.engine.tasks.render_video import render_clip_video

        clip = self._clip_or_warn()
        if clip is None:
            return None
        path = Path(path)
        st, vp = self.state, self.viewport
        camera = vp.preset_name
        flags = vp.flags
        kwargs = dict(width=size[0], height=size[1], camera=camera, body_name=st.body_name,
                      show_skeleton=flags.get("skeleton", False), show_grid=flags.get("grid", True),
                      show_shadow=flags.get("shadow", True), show_contacts=flags.get("contacts", False))
        if st.body is not None:
            kwargs["body"] = st.body
            if st.vertices is not None and len(st.vertices) == clip.num_frames:
                kwargs["vertices"] = st.vertices
                # what the viewport shows: its camera per frame (snapshotted here) and the body's joints
                kwargs["cameras"] = [vp.camera_for_frame(i) for i in range(clip.num_frames)]
                if vp.mesh_joints is not None and len(vp.mesh_joints) == clip.num_frames:
                    kwargs["body_joints"] = vp.mesh_joints
        return st.bridge.run(
            f"Export {path.name}", render_clip_video, clip.copy(), path, **kwargs,
            on_done=lambda p: st.message(f"Exported {Path(p).name}", 8000),
            on_error=lambda m: self.show_error(m, "Could not export video"))

    def export_gltf_dialog(self) -> None:
        if path := self._ask_export_path("Export glTF", GLTF_FILTERS):
            self.export_gltf(path)

    def export_gltf(self, path: str | Path):
        """Skeleton + animation + the shown body (skinned, its current shape) as .glb/.gltf, on the engine.

        Without a body with skin weights (Anny not ready yet, or another body) the file is
        skeleton-only and the status bar says so.
        """
        from app.engine.body.gltf_export import export_gltf_task

        clip = self._clip_or_warn()
        if clip is None:
            return None
        path = Path(path)
        self.last_dir = str(path.parent)
        st = self.state
        body = st.body if getattr(st.body, "name", None) == "anny" else None

        def done(result) -> None:
            note = f" ({result.note})" if result.note else " with the body mesh"
            st.message(f"Exported {Path(result.path).name}{note}", 12000)

        return st.bridge.run(f"Export {path.name}", export_gltf_task, clip.copy(), path, body,
                              on_done=done, on_error=lambda m: self.show_error(m, "Could not export glTF"))

    def export_fbx_dialog(self) -> None:
        from app.engine.export.fbx import FbxUnavailableError, bpy_available

        if not bpy_available():  # say how to enable it instead of asking for a file name
            self.show_error(str(FbxUnavailableError()), "FBX export is not installed")
            return
        if path := self._ask_export_path("Export FBX", FBX_FILTERS):
            self.export_fbx(path)

    def export_fbx(self, path: str | Path):
        """Skeleton + animation + the shown body (skinned, textured) as FBX, converted by Blender on the engine.

        Blender runs in a subprocess; the job shows its progress and Cancel stops it.
        """
        from app.engine.export.fbx import export_fbx_task

        clip = self._clip_or_warn()
        if clip is None:
            return None
        path = Path(path)
        self.last_dir = str(path.parent)
        st = self.state
        body = st.body if getattr(st.body, "name", None) == "anny" else None

        def done(result) -> None:
            note = f" ({result.note})" if result.note else " with the body mesh"
            st.message(f"Exported {Path(result.path).name}{note} in {result.seconds:.1f} s", 12000)

        return st.bridge.run(f"Export {path.name}", export_fbx_task, clip.copy(), path, body,
                              on_done=done, on_error=lambda m: self.show_error(m, "Could not export FBX"))
