"""Tiny random-weight text-to-motion pipelines with a fake text encoder (no MiniLM, no checkpoint), for tests."""
from __future__ import annotations

import zlib

import numpy as np

from app.engine.repr.normalizer import Normalizer
from app.engine.t2m.pipeline import TextToMotionPipeline

TINY_ATOM = dict(model_type="atom", d_model=32, enc_layers=1, dec_layers=1, heads=2, ff=64, codebook_size=16)
TINY_MDM = dict(model_type="mdm", d_model=32, layers=1, heads=2, ff=64, sampling_steps=4)


def fake_encoder(texts: list[str]) -> np.ndarray:
    """Deterministic stand-in for MiniLM: a unit vector seeded by the text."""
    out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(size=384) for t in texts])
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def tiny_pipeline(kind: dict = TINY_ATOM) -> TextToMotionPipeline:
    """A pipeline of config `kind` with random weights; the small std keeps its root motion plausible."""
    norm = Normalizer(np.r_[0.0, 0.0, 0.02, 0.9, np.zeros(259)], np.full(263, 0.02))
    return TextToMotionPipeline.from_config(kind, norm, device="cpu", text_encoder=fake_encoder)
