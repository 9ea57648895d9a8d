"""The JSON report (schema documented in docs/forensics.md) and the folder CSV row."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from app import __version__

from .appearance import APPEARANCE_CUES
from .pipeline import ForensicReport
from .residual_cues import RESIDUAL_CUES
from .scoring import WEIGHTS

SCHEMA, SCHEMA_VERSION = "action-studio-forensics-report", 1
CUE_ORDER = tuple(WEIGHTS) + tuple(k for k in {**APPEARANCE_CUES, **RESIDUAL_CUES} if k not in WEIGHTS)
CSV_FIELDS = ("file", "authenticity_score", "probability_generated", "verdict", "confidence", "coverage",
              "families_measured", "cues_measured", "people", "drift_frames", "frames", "seconds",
              "error") + CUE_ORDER


def _num(x: Any, nd: int = 6) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return round(f, nd) if math.isfinite(f) else None


def _curve(a: np.ndarray | None) -> list | None:
    return None if a is None else [_num(v, 5) for v in np.asarray(a, float)]


def report_dict(report: ForensicReport) -> dict:
    """The report as a JSON-ready dict (NaN -> null)."""
    v = report.verdict
    cues = {}
    for name, c in report.cues.items():
        ref = None
        if c.reference:
            ref = {k: (_num(x) if isinstance(x, (int, float)) else x) for k, x in c.reference.items() if k != "per_frame"}
        cues[name] = {"group": c.group, "label": c.label, "measured": c.measured, "value": _num(c.value),
                      "reference": ref, "score": _num(c.score, 4), "suspicion": _num(c.suspicion, 4),
                      "weight": c.weight, "reason": c.reason or None, "per_frame": _curve(c.per_frame)}
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "generator": f"Action Studio {__version__}",
        "complete": report.complete,
        "authenticity_score": _num(v.authenticity, 4) if v else None,
        "verdict": v.verdict if v else "uncertain",
        "confidence": _num(v.confidence, 4) if v else 0.0,
        "coverage": _num(v.coverage, 4) if v else 0.0,
        "probability_generated": _num(v.probability, 4) if v else None,
        "calibrated": bool(v.calibrated) if v else False,
        "families_measured": list(v.families) if v else [],
        "reasons": list(v.reasons) if v else [],
        "video": dict(report.video.to_dict(), analysed_frames=report.num_frames,
                      analysis_fps=_num(report.analysis_fps, 3)),
        "timeline": {"times": _curve(report.times), "frame_indices": [int(i) for i in report.frame_indices],
                     "suspicion": _curve(v.timeline if v else None),
                     "appearance_drift": None if report.drift is None else [
                         {"frame": int(i), "cues": report.drift_why[i]} for i in np.flatnonzero(report.drift)]},
        "people": None if report.people is None else {"max_at_once": report.people.max_people,
                                                      "tracks": len(report.people.boxes),
                                                      "main_followed": report.people.max_people >= 2},
        "cues": cues,
        "stages": dict(report.stage_seconds),
        "warnings": list(dict.fromkeys(report.warnings + report.video.warnings)),
    }


def write_json(report: ForensicReport, path: str | Path) -> Path:
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(report_dict(report), indent=1, allow_nan=False), encoding="utf-8")
    tmp.replace(p)
    return p


def csv_row(report: ForensicReport | None, file: str, error: str = "") -> dict:
    """One CSV row; ``report=None`` with an ``error`` for files that could not be analysed."""
    row: dict[str, Any] = {k: "" for k in CSV_FIELDS}
    row["file"] = file
    row["error"] = error
    if report is not None and report.verdict is not None:
        v = report.verdict
        row.update(authenticity_score=f"{v.authenticity:.4f}", verdict=v.verdict, confidence=f"{v.confidence:.3f}",
                   coverage=f"{v.coverage:.3f}", frames=report.num_frames,
                   probability_generated="" if v.probability is None else f"{v.probability:.4f}",
                   families_measured=";".join(v.families),
                   cues_measured=sum(c.measured for c in report.cues.values()),
                   people="" if report.people is None else report.people.max_people,
                   drift_frames="" if report.drift is None else int(np.sum(report.drift)),
                   seconds=report.stage_seconds.get("total", ""))
        for name, c in report.cues.items():
            if name in row and c.measured:
                row[name] = f"{c.value:.6g}"
    return row


def write_csv(rows: list[dict], path: str | Path) -> Path:
    p = Path(path)
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    return p
