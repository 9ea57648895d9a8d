"""Training schedules of ATOM's loss: the spectral term's ramp and the curriculum's masked-frame share."""
from __future__ import annotations

import math

SCHEDULES = ("constant", "linear", "square", "exponential")


def spec_weight(progress: float, start: float, ramp: float = 0.1) -> float:
    """Share of ``w_spec`` in use at training progress: 0 before ``start``, then linear up to 1 over ``ramp``."""
    if start <= 0:
        return 1.0
    return min(max((progress - start) / ramp, 0.0), 1.0)


def mask_ratio(progress: float, max_ratio: float = 0.5, schedule: str = "linear", end: float = 0.75) -> float:
    """Share of masked input frames at training progress in [0, 1] (reaches max_ratio at `end`)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown mask schedule {schedule!r}; use one of {SCHEDULES}")
    p = min(max(progress / end, 0.0), 1.0) if end > 0 else 1.0
    if schedule == "constant":
        f = 1.0
    elif schedule == "linear":
        f = p
    elif schedule == "square":
        f = p * p
    else:  # exponential: (e^{4p} - 1) / (e^4 - 1)
        f = (math.exp(4.0 * p) - 1.0) / (math.exp(4.0) - 1.0)
    return float(max_ratio * f)
