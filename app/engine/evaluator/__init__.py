"""Text-motion evaluator (HumanML3D-style) and the metrics of generated motion."""
from __future__ import annotations

__all__ = ["evaluate_motions", "reference_row", "register_generator", "evaluate_model"]


def __getattr__(name: str):  # lazy: importing the package must not import torch
    if name in ("evaluate_motions", "reference_row"):
        from . import evaluate
        return getattr(evaluate, name)
    if name in ("register_generator", "evaluate_model"):
        from . import generators
        return getattr(generators, name)
    raise AttributeError(name)
