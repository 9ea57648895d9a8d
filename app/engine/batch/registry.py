"""The batch task registry: one :class:`BatchTask` entry per ``main.py batch TASK``.

A task names its worker class by import path (``"module:Class"``); the class is imported only
inside the worker processes, where ``Class(options, out_dir)`` loads the models once and
``.run(item)`` returns the flat summary fields of one item's row. ``Class.check(options)``
(optional) validates options on the driver before any worker starts. Adding a task is one
``register_task`` call (or one entry in ``_BUILTIN``).
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from app.core.errors import InvalidInputError

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv")
MOTION_SUFFIXES = (".npz", ".bvh", ".glb", ".gltf")


@dataclass(frozen=True)
class BatchTask:
    """How to run one kind of batch item."""

    name: str
    worker: str                          # "package.module:Class", imported in the worker process
    kind: str = "files"                  # "files" (paths; folders expand) or "prompts" (text files, one a line)
    suffixes: tuple[str, ...] = ()       # what a folder expands to
    fields: tuple[str, ...] = ()         # summary columns of the CSV and the studio table
    requires: tuple[str, ...] = ()       # modules that must exist, else the task is unavailable
    unavailable: str = ""                # what to tell the user then
    help: str = ""

    def missing(self) -> str | None:
        """Why the task cannot run here, or None."""
        for mod in self.requires:
            try:
                found = importlib.util.find_spec(mod) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                return self.unavailable or f"{self.name} is not available ({mod} is missing)"
        return None

    def worker_class(self) -> Any:
        mod, _, cls = self.worker.partition(":")
        return getattr(importlib.import_module(mod), cls)

    def check(self, options: dict[str, Any]) -> None:
        """Run the worker class's option check on the driver (raises InvalidInputError)."""
        reason = self.missing()
        if reason:
            raise InvalidInputError(reason)
        check = getattr(self.worker_class(), "check", None)
        if check is not None:
            check(options)


_W = "app.engine.batch.workers"
INSPECT_FIELDS = ("verdict", "authenticity_score", "probability_generated", "confidence", "coverage", "frames",
                  "families_measured", "cues_measured", "report")
_BUILTIN = (
    BatchTask("inspect", f"{_W}:InspectWorker", suffixes=VIDEO_SUFFIXES, fields=INSPECT_FIELDS,
              help="forensic report of each video (real or generated?)"),
    BatchTask("generate", f"{_W}:GenerateWorker", kind="prompts",
              fields=("prompt", "frames", "fps", "skate_after", "notes", "output"),
              help="text to motion for each line of the prompt files"),
    BatchTask("render2p5d", f"{_W}:Render2p5dWorker", suffixes=MOTION_SUFFIXES[:2], fields=("frames", "fps", "output"),
              help="2.5D clip (RGB + depth) of each motion"),
    BatchTask("recognize", f"{_W}:RecognizeWorker", suffixes=MOTION_SUFFIXES + VIDEO_SUFFIXES,
              fields=("top_label", "top_probability", "uncertainty", "actions", "output"),
              requires=("app.engine.recognition.pipeline", "app.engine.tasks.recognize_task"),
              unavailable="recognition is not available in this installation (app.engine.recognition is missing)",
              help="recognise the actions in each motion or video"),
)
TASKS: dict[str, BatchTask] = {t.name: t for t in _BUILTIN}


def register_task(task: BatchTask) -> BatchTask:
    """Add (or replace) a task; returns it."""
    TASKS[task.name] = task
    return task


def get_task(name: str | BatchTask) -> BatchTask:
    if isinstance(name, BatchTask):
        return name
    if name not in TASKS:
        raise InvalidInputError(f"unknown batch task {name!r}; use one of {', '.join(TASKS)}")
    return TASKS[name]
