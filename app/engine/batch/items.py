"""Batch items: what one worker call processes, and how command-line inputs expand into them.

An item is keyed by (task, input, options): a rerun of the same command finds the same keys in
``results.jsonl`` and skips what is done. File inputs are keyed by their absolute path; prompts
by their text (the k-th repeat of a prompt gets ``#k`` and its own seed offset).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from app.core.errors import InvalidInputError

MAX_PROMPT_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class BatchItem:
    """One unit of batch work: ``input`` is a file path, or a prompt for text tasks."""

    task: str
    input: str
    key: str
    label: str                               # short name for tables and progress
    extra: dict[str, Any] = field(default_factory=dict)   # e.g. {"repeat": 2} for a repeated prompt

    @property
    def short_key(self) -> str:
        return self.key[:10]

    def out_stem(self) -> str:
        """A file-system-safe, unique stem for this item's outputs."""
        return f"{slug(self.label)}_{self.key[:8]}"


def item_key(task: str, input_id: str, options: dict[str, Any]) -> str:
    """Stable hex key of (task, input, options)."""
    blob = json.dumps([task, input_id, options], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return (s[:limit].rstrip("._-") or "item")


def expand_files(inputs: Sequence[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files as given, plus the files with a matching suffix under each folder (recursive, sorted,
    hidden files and folders skipped). Duplicates are dropped; a missing path is an error."""
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in inputs:
        p = Path(raw).expanduser()
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and (not suffixes or f.suffix.lower() in suffixes)
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.is_file():
            found = [p]
        else:
            raise InvalidInputError(f"{raw}: no such file or folder")
        for f in found:
            r = f.resolve()
            if r not in seen:
                seen.add(r)
                out.append(r)
    return out


def read_prompts(paths: Iterable[Path]) -> list[str]:
    """Prompts from text files, one a line; blank lines and lines starting with '#' are skipped."""
    prompts: list[str] = []
    for p in paths:
        if p.stat().st_size > MAX_PROMPT_FILE_BYTES:
            raise InvalidInputError(f"{p.name}: a prompt file over {MAX_PROMPT_FILE_BYTES // 1_000_000} MB")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{p.name}: not a UTF-8 text file of prompts") from None
        prompts += [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return prompts


def make_items(task: str, kind: str, inputs: Sequence[str | Path], suffixes: tuple[str, ...],
               options: dict[str, Any]) -> list[BatchItem]:
    """The items of a batch: files (``kind='files'``) or prompt lines (``kind='prompts'``)."""
    if not inputs:
        raise InvalidInputError("no inputs given")
    if kind == "prompts":
        files = expand_files(inputs, (".txt",))
        counts: dict[str, int] = {}
        items = []
        for prompt in read_prompts(files):
            k = counts[prompt] = counts.get(prompt, 0) + 1
            ident = prompt if k == 1 else f"{prompt}#{k}"
            items.append(BatchItem(task, prompt, item_key(task, ident, options), ident, {"repeat": k}))
    else:
        files = expand_files(inputs, suffixes)
        items = [BatchItem(task, str(f), item_key(task, str(f), options), f.name) for f in files]
    if not items:
        what = "prompts" if kind == "prompts" else f"files ({', '.join(suffixes)})"
        raise InvalidInputError(f"no {what} found in {', '.join(str(i) for i in inputs)}")
    return items
