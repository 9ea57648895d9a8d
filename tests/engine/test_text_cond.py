"""Prompt slots and the word-level text path of ATOM (tiny random-weight model, fake encoder)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.t2m.text_cond import as_text_cond, pad_tokens, parse_slots
from tests.t2m_fakes import TINY_ATOM, fake_encoder

TINY_WORDS = dict(TINY_ATOM, word_emb=True, word_layers=1)


@pytest.mark.parametrize("text,slots", [
    ("the man waves hello with the right hand", [2, 0, 0, 0]),
    ("a girl waves with her left hand three times", [1, 0, 0, 3]),
    ("someone walks backward slowly", [0, 2, 1, 0]),
    ("a dancer jumps twice", [0, 0, 0, 2]),
    ("does 5 squats quickly", [0, 0, 2, 5]),
    ("raises both arms above the head", [3, 5, 0, 0]),
    ("turns around to the left", [1, 4, 0, 0]),
    ("turns about 90 degrees to the right", [2, 0, 0, 0]),
    # "one foot" / "one knee" name a limb, not a count (session 25: "hops on one foot three times" read 1)
    ("a man hops on one foot three times", [0, 0, 0, 3]),
    ("the woman drops to one knee, then rises", [0, 0, 0, 0]),
    ("stands on one leg and hops, 4 times", [0, 0, 0, 4]),
])
def test_parse_slots(text, slots):
    assert parse_slots(text).tolist() == slots


def test_as_text_cond_wraps_pooled_vectors():
    texts = ["kicks with the left leg", "kicks with the right leg"]
    cond = as_text_cond(fake_encoder(texts), texts)
    assert cond.tokens.shape == (2, 1, 384) and cond.mask.all()
    assert cond.slots[:, 0].tolist() == [1, 2]
    tok, mask = pad_tokens([np.ones((3, 4)), np.ones((1, 4))])
    assert tok.shape == (2, 3, 4) and mask.sum(1).tolist() == [3, 1]


def test_word_level_atom_hears_the_side_slot():
    """Same pooled vector, only the side slot differs: the word-level decoder's output must differ."""
    from app.engine.repr.normalizer import Normalizer
    from app.engine.t2m.pipeline import TextToMotionPipeline

    norm = Normalizer(np.zeros(263), np.ones(263))
    pipe = TextToMotionPipeline.from_config(TINY_WORDS, norm, device="cpu",
                                            text_encoder=lambda t: fake_encoder(["same"] * len(t)))
    a, _ = pipe.sample_features("waves with the left hand", 20, seed=3)
    b, _ = pipe.sample_features("waves with the right hand", 20, seed=3)
    c, _ = pipe.sample_features("waves with the left hand", 20, seed=3)
    assert np.allclose(a, c)
    assert np.abs(a - b).mean() > 1e-4


def test_word_level_atom_trains_on_token_batches():
    from app.engine.t2m.atom_model import ATOM
    from app.engine.t2m.config import config_from_dict

    torch.manual_seed(0)
    model = ATOM(config_from_dict(TINY_WORDS))
    b, t, length = 3, 12, 5
    batch = {"x": torch.randn(b, t, 263), "lengths": torch.tensor([12, 10, 8]), "text": torch.randn(b, 384),
             "tokens": torch.randn(b, length, 384), "token_mask": torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] + [0] * 4]).bool(),
             "slots": torch.tensor([[1, 0, 0, 2], [2, 1, 0, 0], [0, 0, 2, 3]])}
    loss, logs = model.loss(batch, 0.5)
    loss.backward()
    assert torch.isfinite(loss)
    assert model.token_proj.weight.grad is not None and model.token_proj.weight.grad.abs().sum() > 0
    assert model.slot_emb[0].weight.grad.abs().sum() > 0


def test_kl_free_bits_floor_the_penalty():
    """Below the free-bits floor the KL adds a constant (no pull of z to the prior); above it, it counts."""
    from app.engine.t2m.atom_model import ATOM
    from app.engine.t2m.config import config_from_dict

    batch = {"x": torch.randn(2, 8, 263), "lengths": torch.tensor([8, 8]), "text": torch.randn(2, 384)}
    losses = {}
    for fb in (0.0, 50.0):
        torch.manual_seed(0)
        model = ATOM(config_from_dict(dict(TINY_ATOM, kl_free_bits=fb, w_joint=0.0)))
        g = torch.Generator().manual_seed(1)
        loss, logs = model.loss(batch, 0.0, g)
        losses[fb] = (float(loss), logs["kl"])
    (l0, kl0), (l1, kl1) = losses[0.0], losses[50.0]
    assert kl0 == pytest.approx(kl1)                       # the logged KL is the real one
    d = TINY_ATOM["d_model"]
    floor = 50.0 * d
    assert kl0 < floor
    assert l1 - l0 == pytest.approx(0.1 * (floor - kl0), rel=1e-3)   # w_kl 0.1 x (floor - real KL)
