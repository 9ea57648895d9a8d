"""Batched generation for evaluation and the evaluator's generator registry entries.

HumanML3D protocol (as MDM/ATOM): each test text is generated with its ground-truth duration
(the corpus item's length; 6 s when a text is unknown).  Texts are generated in batches of
similar length with padding masks; foot locking is applied as in the app.
``register_generators()`` makes ``atom`` and ``mdm`` available to ``eval-motion --model``.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch

from app.core.motion import MotionClip
from app.engine.repr.humanml3d import features_to_clip

from .foot_lock import foot_lock as apply_foot_lock
from .pipeline import MODELS_DIR, TextToMotionPipeline, select_cond
from .spans import to_ground

log = logging.getLogger(__name__)


@torch.no_grad()
def batch_generate(pipe: TextToMotionPipeline, texts: list[str], frames: list[int], seed: int = 0,
                   batch_size: int = 32, foot_lock: bool = True) -> tuple[list[MotionClip], float]:
    """One clip per (text, frame count) and the mean model seconds per generated 10 s."""
    frames = [int(min(max(f, 2), pipe.cfg.max_frames)) for f in frames]
    order = np.argsort(frames, kind="stable")
    out: list[MotionClip | None] = [None] * len(texts)
    emb_all = pipe.encode_texts(list(texts))
    model_s, model_frames = 0.0, 0
    for b, start in enumerate(range(0, len(order), batch_size)):
        idx = order[start:start + batch_size]
        lengths = torch.tensor([frames[i] for i in idx], device=pipe.device)
        emb = select_cond(emb_all, idx)
        gen = torch.Generator(device=pipe.device).manual_seed(int(seed) * 100003 + b)
        t0 = time.perf_counter()
        feats, _ = pipe.model.sample(emb, int(lengths.max()), generator=gen, lengths=lengths)
        model_s += time.perf_counter() - t0
        model_frames += int(lengths.sum())
        feats = pipe.normalizer.denormalize(feats.float().cpu().numpy())
        for k, i in enumerate(idx):
            clip = features_to_clip(feats[k, :frames[i]], pipe.fps, limbs=pipe.limbs)
            clip = to_ground(clip)
            if foot_lock:
                clip, _ = apply_foot_lock(clip)
            clip.text = texts[i]
            out[i] = clip
    per_10s = model_s / max(model_frames, 1) * 10 * pipe.fps
    return out, per_10s  # type: ignore[return-value]


def _corpus_lengths(split: str) -> dict[str, int]:
    from app.engine.corpus.dataset import load_corpus
    return {it.texts[0]: it.clip.num_frames - 1 for it in load_corpus(split=split)}


def make_generator(model: str, split: str = "test"):
    """A generator fn(texts, seed) -> clips for the evaluator registry."""
    state: dict = {}

    def fn(texts: list[str], seed: int) -> list[MotionClip]:
        if "pipe" not in state:
            state["pipe"] = TextToMotionPipeline.from_pretrained(MODELS_DIR / model)
            state["lengths"] = _corpus_lengths(split)
        lengths = [state["lengths"].get(t, 120) for t in texts]
        return batch_generate(state["pipe"], texts, lengths, seed)[0]

    return fn


def register_generators() -> list[str]:
    """Register the committed models that exist ('atom', 'mdm') with the evaluator."""
    from app.engine.evaluator.generators import register_generator
    names = []
    for name in ("atom", "mdm"):
        if (Path(MODELS_DIR) / name / "model.safetensors").is_file():
            register_generator(name, make_generator(name), replace=True)
            names.append(name)
    return names
