"""A cheap batch task for the Ray tests (registered by the tests only, imported in the workers).

A ``.probe`` file holds JSON ``{"n": 3}`` -> row ``value`` 6. Special contents: ``CRASH`` kills
the worker process; ``FLAKY`` fails only on the first try (a marker file remembers);
``SLEEP s`` sleeps s seconds; anything else that is not JSON is a corrupt file.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from app.core.errors import InvalidInputError
from app.engine.batch.registry import BatchTask

INITS = {"count": 0}   # per process: how many times a worker (its "models") was built here

PROBE = BatchTask("probe", "batch_probe:ProbeWorker", suffixes=(".probe",), fields=("value", "runs", "inits"))


class ProbeWorker:
    def __init__(self, options: dict[str, Any], out_dir: Path) -> None:
        INITS["count"] += 1
        self.scale = int(options.get("scale", 2))
        self.out_dir = Path(out_dir)
        self.runs = 0

    def run(self, item) -> dict[str, Any]:
        self.runs += 1
        data = Path(item.input).read_bytes()
        if data.startswith(b"CRASH"):
            os._exit(3)
        if data.startswith(b"FLAKY"):
            marker = self.out_dir / f"{Path(item.input).name}.tried"
            if not marker.exists():
                marker.write_text("1")
                raise RuntimeError("flaky the first time")
        elif data.startswith(b"SLEEP"):
            time.sleep(float(data.split()[1]))
            return {"value": 0, "runs": self.runs, "inits": INITS["count"]}
        try:
            n = json.loads(data)["n"] if not data.startswith(b"FLAKY") else 5
        except (ValueError, KeyError, TypeError):
            raise InvalidInputError(f"{Path(item.input).name}: not a probe file") from None
        return {"value": n * self.scale, "runs": self.runs, "inits": INITS["count"]}
