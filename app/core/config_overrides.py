"""``KEY=VALUE`` overrides of dataclass configs (the training scripts' ``--set``)."""
from __future__ import annotations

from dataclasses import replace


def apply_overrides(cfg, pairs: list[str]):
    """A copy of dataclass `cfg` with KEY=VALUE strings applied (ints, floats, bools 1/0/true/false, comma lists)."""
    for kv in pairs:
        key, value = kv.split("=", 1)
        if not hasattr(cfg, key):
            raise ValueError(f"unknown config key {key!r}")
        old = getattr(cfg, key)
        if isinstance(old, bool):
            new = value.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(old, list):
            items = [v for v in value.split(",") if v]
            new = [type(old[0])(v) for v in items] if old else items
        else:
            new = type(old)(value)
        cfg = replace(cfg, **{key: new})
    return cfg
