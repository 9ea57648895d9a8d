"""The studio's actions (menus, toolbar, keyboard shortcuts) in one place."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

CAMERA_PRESETS = ("front", "side", "top", "follow")


@dataclass
class StudioActions:
    open: QAction
    save_as: QAction
    export_video: QAction
    export_bvh: QAction
    export_npz: QAction
    export_smpl: QAction
    export_gltf: QAction
    export_fbx: QAction
    quit: QAction
    play: QAction
    step_back: QAction
    step_forward: QAction
    step_back_10: QAction
    step_forward_10: QAction
    home: QAction
    end: QAction
    loop: QAction
    skeleton: QAction
    grid: QAction
    shadow: QAction
    contacts: QAction
    textured: QAction
    recognize: QAction
    recognize_video: QAction
    auto_label: QAction
    cameras: dict[str, QAction]
    camera_group: QActionGroup
    undo: QAction | None = None
    redo: QAction | None = None


def _action(win: QMainWindow, text: str, shortcut: str | QKeySequence.StandardKey | None = None,
            checkable: bool = False, checked: bool = False, tip: str = "") -> QAction:
    a = QAction(text, win)
    if shortcut is not None:
        a.setShortcut(QKeySequence(shortcut))
        # shortcuts work wherever focus is inside the window (not only the focused widget)
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if checkable:
        a.setCheckable(True)
        a.setChecked(checked)
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    win.addAction(a)
    return a


def _fbx_action(win: QMainWindow) -> QAction:
    """File > Export > FBX; without Blender's module (bpy) its text and tip say how to enable it."""
    from app.engine.export.fbx import fbx_unavailable_reason

    reason = fbx_unavailable_reason()
    if reason is None:
        return _action(win, "&FBX with body…", tip="Skeleton, animation and the skinned, textured body for "
                       "Maya, MotionBuilder, Unity, Unreal (written by Blender)")
    return _action(win, f"&FBX ({reason})…", tip=f"FBX export is not installed: {reason}")


def _undo_actions(win: QMainWindow, stack: QUndoStack) -> tuple[QAction, QAction]:
    """Undo / redo of the stack's edits (their text names the edit), window-wide shortcuts."""
    out = []
    for make, keys in ((stack.createUndoAction, QKeySequence.StandardKey.Undo),
                       (stack.createRedoAction, QKeySequence.StandardKey.Redo)):
        act = make(win)
        act.setShortcuts(keys)
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        win.addAction(act)
        out.append(act)
    return out[0], out[1]


def build_actions(win: QMainWindow, undo_stack: QUndoStack | None = None) -> StudioActions:
    """Create the actions on `win` (Edit > Undo / Redo of `undo_stack`'s edits when given); the caller
    connects their `triggered`/`toggled` signals."""
    cameras: dict[str, QAction] = {}
    group = QActionGroup(win)
    group.setExclusive(True)
    for i, name in enumerate(CAMERA_PRESETS, start=1):
        a = _action(win, name.capitalize(), str(i), checkable=True, checked=(name == "follow"),
                    tip=f"{name.capitalize()} camera ({i})")
        group.addAction(a)
        cameras[name] = a
    return StudioActions(
        open=_action(win, "&Open…", "Ctrl+O", tip="Open a BVH or npz motion (Ctrl+O)"),
        save_as=_action(win, "&Save As…", "Ctrl+S", tip="Save the motion as npz, BVH or SMPL npz (Ctrl+S)"),
        export_video=_action(win, "&Video (MP4/GIF)…", "Ctrl+E", tip="Render the motion to a video (Ctrl+E)"),
        export_bvh=_action(win, "&BVH…"),
        export_npz=_action(win, "&npz…"),
        export_smpl=_action(win, "&SMPL npz…"),
        export_gltf=_action(win, "&glTF (GLB) with body…",
                            tip="Skeleton, animation and the skinned body for Blender, Unity, three.js"),
        export_fbx=_fbx_action(win),
        quit=_action(win, "&Quit", "Ctrl+Q"),
        play=_action(win, "&Play/Pause", "Space", tip="Play or pause (Space)"),
        step_back=_action(win, "Previous frame", "Left"),
        step_forward=_action(win, "Next frame", "Right"),
        step_back_10=_action(win, "Back 10 frames", "Shift+Left"),
        step_forward_10=_action(win, "Forward 10 frames", "Shift+Right"),
        home=_action(win, "First frame", "Home"),
        end=_action(win, "Last frame", "End"),
        loop=_action(win, "&Loop", "L", checkable=True, checked=True),
        skeleton=_action(win, "S&keleton", "K", checkable=True, checked=False, tip="Skeleton overlay (K)"),
        grid=_action(win, "&Grid", "G", checkable=True, checked=True, tip="Ground grid (G)"),
        shadow=_action(win, "S&hadow", None, checkable=True, checked=True, tip="Soft shadow"),
        contacts=_action(win, "Foot &contacts", None, checkable=True, checked=False, tip="Foot contact markers"),
        textured=_action(win, "&Textured body", "T", checkable=True, checked=True,
                         tip="Skin and clothing texture, as in the 2.5D and Multi-view tabs (T); off: plain clay, "
                             "which shows the shape and shading best"),
        recognize=_action(win, "&Recognise actions", "Ctrl+R",
                          tip="Label the shown motion's actions on the timeline: what was asked and what the "
                              "recogniser sees (Ctrl+R)"),
        recognize_video=_action(win, "Recognise actions in a &video…", "Ctrl+Shift+R",
                                tip="Track the person in a video, show the body and its actions (Ctrl+Shift+R)"),
        auto_label=_action(win, "&Label generated motion automatically", None, checkable=True, checked=True,
                           tip="Recognise every generated motion and compare it with the prompt"),
        cameras=cameras,
        camera_group=group,
        **dict(zip(("undo", "redo"), _undo_actions(win, undo_stack) if undo_stack is not None else ())),
    )


def build_menus(win: QMainWindow, a: StudioActions, recent_menu: QMenu) -> tuple[QToolBar, QMenu]:
    """Menus and the main toolbar; returns the toolbar and the View menu."""
    bar = win.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open)
    file_menu.addMenu(recent_menu)
    file_menu.addAction(a.save_as)
    export = file_menu.addMenu("&Export")
    for act in (a.export_video, a.export_bvh, a.export_npz, a.export_smpl, a.export_gltf, a.export_fbx):
        export.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    if a.undo is not None and a.redo is not None:
        edit = bar.addMenu("&Edit")
        edit.addAction(a.undo)
        edit.addAction(a.redo)

    play_menu = bar.addMenu("&Playback")
    for act in (a.play, a.step_back, a.step_forward, a.step_back_10, a.step_forward_10, a.home, a.end):
        play_menu.addAction(act)
    play_menu.addSeparator()
    play_menu.addAction(a.loop)

    motion = bar.addMenu("&Motion")
    for act in (a.recognize, a.recognize_video):
        motion.addAction(act)
    motion.addSeparator()
    motion.addAction(a.auto_label)

    view = bar.addMenu("&View")
    for act in (a.skeleton, a.grid, a.shadow, a.contacts, a.textured):
        view.addAction(act)
    view.addSeparator()
    cam_menu = view.addMenu("&Camera")
    for act in a.cameras.values():
        cam_menu.addAction(act)

    tools = QToolBar("Main", win)
    tools.setObjectName("MainToolbar")
    tools.setMovable(False)
    tools.addAction(a.open)
    tools.addAction(a.save_as)
    tools.addAction(a.export_video)
    tools.addSeparator()
    for act in a.cameras.values():
        tools.addAction(act)
    tools.addSeparator()
    tools.addAction(a.skeleton)
    tools.addAction(a.grid)
    win.addToolBar(tools)
    return tools, view
