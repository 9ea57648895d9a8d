"""Results on disk: ``results.jsonl`` (every attempt, appended and flushed as it finishes) and
``results.csv`` (one row per finished item, rewritten from the JSONL when a run ends).

Row statuses: ``ok``; ``error`` (failed twice, final); ``retry`` (a first failure, retried at
once). The last row of a key decides: ``ok`` and ``error`` are done (``error`` is rerun with
``retry_errors``); ``retry`` or no row means the item still has to run.
"""
from __future__ import annotations

import csv
import json
import logging
import math
import os
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger(__name__)

JSONL, CSV, LOCK = "results.jsonl", "results.csv", ".batch.lock"
BASE_FIELDS = ("item", "status", "error", "attempt", "seconds", "task", "input", "key", "worker", "finished")
FINAL = ("ok", "error")


def _clean(v: Any) -> Any:
    """JSON-safe value (NaN/inf -> None, numpy scalars -> Python)."""
    if hasattr(v, "item") and callable(v.item) and not isinstance(v, (list, dict, str)):
        try:
            v = v.item()
        except (TypeError, ValueError):
            v = str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def read_rows(path: str | Path) -> list[dict]:
    """All rows of a JSONL file; an unreadable line (e.g. cut by a power loss) is skipped with a warning."""
    p = Path(path)
    if not p.is_file():
        return []
    rows = []
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s line %d is not JSON: skipped", p.name, n)
                continue
            if isinstance(row, dict) and "key" in row:
                rows.append(row)
    return rows


def latest(rows: Iterable[dict]) -> dict[str, dict]:
    """The last row of each key, in first-seen order of keys."""
    out: dict[str, dict] = {}
    for r in rows:
        out[r["key"]] = r
    return out


class ResultStore:
    """Append-only JSONL plus a CSV view for one batch output folder."""

    def __init__(self, out_dir: str | Path, fields: tuple[str, ...] = ()) -> None:
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.dir / JSONL
        self.csv = self.dir / CSV
        self.fields = tuple(dict.fromkeys(BASE_FIELDS + tuple(fields)))
        self.rows = read_rows(self.jsonl)
        self._fh = None
        self._csv_fh = None
        self._csv_writer: csv.DictWriter | None = None
        self._lock_fh = None

    def lock(self) -> None:
        """Hold the folder for this run: a second batch writing the same results would mix them up."""
        try:
            import fcntl
        except ImportError:   # not POSIX: no lock
            return
        from app.core.errors import ActionStudioError

        fh = open(self.dir / LOCK, "a")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise ActionStudioError(f"{self.dir}: another batch is writing its results there") from None
        self._lock_fh = fh

    # --- reading ----------------------------------------------------------------------
    def done_keys(self, retry_errors: bool = False) -> set[str]:
        done = ("ok",) if retry_errors else FINAL
        return {k for k, r in latest(self.rows).items() if r.get("status") in done}

    def final_rows(self) -> list[dict]:
        return [r for r in latest(r for r in self.rows if r.get("status") in FINAL).values()]

    # --- writing ----------------------------------------------------------------------
    def append(self, row: dict) -> dict:
        """Write one row to the JSONL (flushed and synced) and, when final, to the CSV."""
        row = _clean(row)
        if self._fh is None:
            self._fh = open(self.jsonl, "a", encoding="utf-8")
        self._fh.write(json.dumps(row, allow_nan=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.rows.append(row)
        if row.get("status") in FINAL:
            self._csv_append(row)
        return row

    def _csv_append(self, row: dict) -> None:
        if self._csv_writer is None:
            header = self._csv_header()
            fresh = header is None or not set(self.fields) <= set(header)
            if fresh:   # new file, or another task's columns: rewrite it with the union of both
                self.fields = tuple(dict.fromkeys((header or ()) + self.fields))
                self.write_csv(exclude=row["key"])
            self._csv_fh = open(self.csv, "a", newline="", encoding="utf-8")
            self._csv_writer = csv.DictWriter(self._csv_fh, fieldnames=list(self.fields), extrasaction="ignore")
        self._csv_writer.writerow(_csv_values(row))
        self._csv_fh.flush()

    def _csv_header(self) -> tuple[str, ...] | None:
        if not self.csv.is_file():
            return None
        with open(self.csv, newline="", encoding="utf-8") as fh:
            first = next(csv.reader(fh), None)
        return tuple(first) if first else None

    def write_csv(self, exclude: str | None = None) -> Path:
        """Rewrite the CSV from the JSONL: the last final row of each key (atomic replace)."""
        tmp = self.csv.with_name(f".{self.csv.name}.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(self.fields), extrasaction="ignore")
            w.writeheader()
            for r in self.final_rows():
                if r["key"] != exclude:
                    w.writerow(_csv_values(r))
        tmp.replace(self.csv)
        return self.csv

    def close(self) -> None:
        """Close the files and leave a CSV without duplicate keys."""
        for fh in (self._fh, self._csv_fh):
            if fh is not None:
                fh.close()
        self._fh = self._csv_fh = None
        self._csv_writer = None
        if any(r.get("status") in FINAL for r in self.rows):
            header = self._csv_header() or ()
            self.fields = tuple(dict.fromkeys(tuple(header) + self.fields))
            self.write_csv()
        if self._lock_fh is not None:
            self._lock_fh.close()     # releases the lock
            self._lock_fh = None


def _csv_values(row: dict) -> dict:
    return {k: (json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)) for k, v in row.items()}
