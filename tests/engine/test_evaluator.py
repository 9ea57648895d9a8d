"""Text-motion evaluator: metric sanity, network shapes, the committed checkpoint, eval-motion CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli.main import main as cli_main
from app.core.motion import rest_clip
from app.engine.evaluator import metrics as M
from app.engine.evaluator.model import Evaluator, EvaluatorConfig, pad_batch
from app.engine.repr.normalizer import Normalizer

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "evaluator"
CORPUS = REPO / "data" / "corpus"


# ----------------------------------------------------------------------------- metrics
def test_fid_zero_for_same_set_and_grows_with_noise(rng) -> None:
    a = rng.normal(size=(400, 16))
    assert M.fid(a, a) < 1e-6
    f = [M.fid(a, a + rng.normal(scale=s, size=a.shape)) for s in (0.1, 0.5, 1.0)]
    assert f[0] < f[1] < f[2]
    assert M.fid(a, a + 3.0) == pytest.approx(9 * 16, rel=1e-6)  # pure mean shift


def test_r_precision_aligned_and_random(rng) -> None:
    e = rng.normal(size=(128, 8))
    assert np.allclose(M.r_precision(e, e), 1.0)
    r = M.r_precision(rng.normal(size=(640, 8)), rng.normal(size=(640, 8)))
    assert r[0] < 0.1 and r[2] < 0.2 and r[0] <= r[1] <= r[2]
    assert M.mm_dist(e, e) == 0.0


def test_diversity_and_multimodality(rng) -> None:
    assert M.diversity(np.zeros((50, 4))) == 0.0
    assert M.diversity(rng.normal(size=(50, 4))) > 1.0
    assert M.multimodality([rng.normal(size=(1, 4))]) is None
    spread = M.multimodality([rng.normal(size=(5, 4)) * 2, rng.normal(size=(5, 4)) * 2])
    tight = M.multimodality([rng.normal(size=(5, 4)) * 0.1, rng.normal(size=(5, 4)) * 0.1])
    assert spread > tight > 0


def _joints(frames: int = 40) -> np.ndarray:
    return rest_clip(frames, fps=20.0).on_ground().joints()


def test_foot_skate_jitter_penetration(rng) -> None:
    static = _joints()
    assert M.foot_skate_ratio(static) == 0.0
    sliding = static.copy()
    sliding[..., 0] += np.arange(len(sliding))[:, None] * 0.05  # the whole body slides 5 cm/frame
    assert M.foot_skate_ratio(sliding) > 0.9
    lifted = sliding.copy()
    lifted[..., 1] += 0.3  # sliding in the air is not skating
    assert M.foot_skate_ratio(lifted) == 0.0
    assert M.ground_penetration(static) == pytest.approx(0.0, abs=1e-9)
    sunk = static.copy()
    sunk[..., 1] -= 0.1
    assert M.ground_penetration(sunk) == pytest.approx(0.1, abs=1e-6)
    noisy = static + rng.normal(scale=0.01, size=static.shape)
    assert M.jitter(noisy) > 10 * M.jitter(sliding) and M.jitter(static) == 0.0
    phys = M.physical_metrics([static, sunk])
    assert set(phys) == {"foot_skate", "jitter", "penetration"} and phys["penetration"] > 0


# ----------------------------------------------------------------------------- network
def _tiny() -> Evaluator:
    torch.manual_seed(0)
    cfg = EvaluatorConfig(width=32, layers=1, heads=2, ff=64, embed_dim=16)
    return Evaluator(cfg, Normalizer(np.zeros(263), np.ones(263)))


def test_forward_shapes_loss_and_long_motions(rng) -> None:
    model = _tiny()
    feats = [rng.normal(size=(n, 263)).astype(np.float32) for n in (40, 199, 120)]
    x, lengths = pad_batch(feats)
    emb = model.motion(x, lengths)
    assert emb.shape == (3, 16) and torch.allclose(emb.norm(dim=-1), torch.ones(3), atol=1e-5)
    loss, logits = model.loss(x, lengths, torch.randn(3, 384), torch.eye(3, dtype=torch.bool))
    assert logits.shape == (3, 3) and torch.isfinite(loss)
    loss.backward()
    assert model.motion.conv1[0].weight.grad is not None and model.text.mlp[0].weight.grad is not None
    # padding does not change a motion's embedding
    alone = model.embed_features([feats[0]])
    batched = model.embed_features(feats)
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-4)
    long = model.embed_features([rng.normal(size=(450, 263)).astype(np.float32)])  # 10 s windows averaged
    assert long.shape == (1, 16) and np.isclose(np.linalg.norm(long), 1.0)
    assert model.embed_text_vectors(rng.normal(size=(2, 384))).shape == (2, 16)


def test_save_load_round_trip(tmp_path: Path, rng) -> None:
    model = _tiny()
    model.save(tmp_path / "ev")
    again = Evaluator.load(tmp_path / "ev")
    f = [rng.normal(size=(60, 263)).astype(np.float32)]
    np.testing.assert_allclose(model.embed_features(f), again.embed_features(f), atol=1e-6)
    with pytest.raises(FileNotFoundError):
        Evaluator.load(tmp_path / "missing")


# ----------------------------------------------------------------------------- committed model
def test_committed_checkpoint_ranks_matching_texts() -> None:
    from app.engine.corpus.dataset import load_corpus
    from app.engine.evaluator.evaluate import get_evaluator

    assert (MODEL / "evaluator.safetensors").stat().st_size < 20e6
    ev = get_evaluator(MODEL)
    items = load_corpus(CORPUS, "test")[:64]
    m = ev.embed_features([it.features for it in items])
    t = ev.embed_texts([it.texts[0] for it in items])
    r = M.r_precision(t, m)
    assert r[2] > 0.5  # chance is 3/32
    sims = (t * m).sum(1)
    wrong = (t * np.roll(m, 1, axis=0)).sum(1)
    assert (sims > wrong).mean() > 0.8


# ----------------------------------------------------------------------------- CLI
def test_cli_bad_input(tmp_path: Path, capsys) -> None:
    assert cli_main(["eval-motion", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert cli_main(["eval-motion", str(tmp_path / "empty")]) == 2
    assert cli_main(["eval-motion", "--model", "no-such-model"]) == 2
    assert cli_main(["eval-motion"]) == 2
    err = capsys.readouterr().err
    assert "no-such-model" in err and "error:" in err


def test_cli_scores_a_prediction_folder(tmp_path: Path) -> None:
    from app.core.npz_io import save_npz
    from app.engine.corpus.dataset import build_corpus, load_corpus

    corpus = tmp_path / "corpus"  # a tiny corpus keeps the ground-truth side fast
    build_corpus(corpus, n=40, seed=3, real_path=tmp_path / "no_real.npz")
    pred = tmp_path / "pred"
    pred.mkdir()
    items = load_corpus(corpus, "train", include_real=False)[:6]
    for k, it in enumerate(items):
        clip = it.clip.copy()
        clip.text = "" if k else it.texts[1]  # empty: the CLI falls back to the sample's canonical text
        save_npz(clip, pred / f"{it.id}.npz")
    out = tmp_path / "row.json"
    args = ["eval-motion", str(pred), "--split", "train", "--corpus", str(corpus), "--json", str(out)]
    assert cli_main(args) == 0
    row = json.loads(out.read_text())["pred"]
    assert row["count"] == 6 and 0.0 <= row["R@1"] <= row["R@3"] <= 1.0 and row["FID"] >= 0
    assert row["MultiModality"] is None and row["Penetration"] < 0.01
    (pred / "stray.npz").write_bytes(b"not an npz")
    assert cli_main(args[:2] + args[4:6]) == 2


def test_normalized_mutual_info():
    from app.engine.evaluator.metrics import normalized_mutual_info as nmi
    assert nmi([0, 0, 1, 1, 2, 2], [7, 7, 3, 3, 9, 9]) == pytest.approx(1.0)
    assert nmi([0, 0, 1, 1], [4, 4, 4, 4]) == 0.0
    assert nmi([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < nmi([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]) < 1.0
