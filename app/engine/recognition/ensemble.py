"""Several A-TSCN models as one recogniser: their per-video outputs averaged.

A model directory is an ensemble when its ``config.json`` meta lists ``members`` (sub-directories,
each a full ``save_pretrained`` model with the same labels and features); the directory's own
weights are the first member.  Every output the recogniser reads (fused attention, frame
probabilities, frame evidence, video probabilities, clip probabilities and clip uncertainty) is
the members' mean, so a clip's top atom is the argmax of the mean clip probabilities.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from .model import ATSCN

log = logging.getLogger(__name__)

KEYS = ("att", "prob", "evidence", "video_prob", "clip_prob", "clip_u")


class ATSCNEnsemble:
    """Members that share labels, features and streams; ``cfg`` is the first member's (its
    ``unknown_threshold`` is the ensemble's, calibrated on the averaged outputs)."""

    def __init__(self, members: list[ATSCN], unknown_threshold: float | None = None) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0].cfg
        for m in members[1:]:
            if list(m.cfg.labels) != list(first.labels) or m.cfg.feature_version != first.feature_version \
                    or m.cfg.root_motion != first.root_motion:
                raise ValueError("ensemble members differ in labels or features")
        self.members = members
        self.cfg = first if unknown_threshold is None else replace(first, unknown_threshold=unknown_threshold)
        self.meta = getattr(members[0], "meta", {})

    def parameters(self):
        """The first member's parameters (for the device)."""
        return self.members[0].parameters()

    def eval(self) -> "ATSCNEnsemble":
        for m in self.members:
            m.eval()
        return self

    def save_pretrained(self, directory: str | Path, **meta) -> Path:
        """The first member in ``directory`` (with ``members`` in its meta), the others in
        ``member1``, ``member2``, ... below it."""
        directory = Path(directory)
        meta = {k: v for k, v in meta.items() if k != "members"}
        names = [f"member{k}" for k in range(1, len(self.members))]
        for name, m in zip(names, self.members[1:]):
            m.save_pretrained(directory / name, **meta)
        first = self.members[0]
        saved = first.cfg
        first.cfg = self.cfg
        try:
            first.save_pretrained(directory, **meta, members=names)
        finally:
            first.cfg = saved
        return directory


def mean_outputs(outputs: list[dict]) -> dict:
    """The members' per-video output dicts averaged key by key."""
    if len(outputs) == 1:
        return outputs[0]
    out = {k: np.mean([o[k] for o in outputs], axis=0) for k in KEYS}
    out["clip_u"] = float(out["clip_u"])
    return out


def load(directory: str | Path, device: str | None = None) -> ATSCN | ATSCNEnsemble:
    """A single model, or an ensemble when the directory's meta lists ``members``."""
    directory = Path(directory)
    first = ATSCN.from_pretrained(directory, device)
    meta = json.loads((directory / "config.json").read_text()).get("meta", {})
    names = meta.get("members") or []
    if not names:
        return first
    members = [first] + [ATSCN.from_pretrained(directory / n, device) for n in names]
    log.info("recognition ensemble of %d models from %s", len(members), directory)
    return ATSCNEnsemble(members, unknown_threshold=first.cfg.unknown_threshold)
