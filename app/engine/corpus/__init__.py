"""Procedural, licence-free atomic actions on SMPL-22 and their labelled compositions."""
from __future__ import annotations

from .compose import compose, frame_labels, random_composition
from .describe import describe
from .registry import ATOMS, AtomSpec, families, generate, sample_params

__all__ = ["ATOMS", "AtomSpec", "compose", "describe", "families", "frame_labels", "generate",
           "random_composition", "sample_params"]
