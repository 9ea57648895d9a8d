"""Feature normaliser: HumanML3D grouping, floors, numpy/torch application, pickle-free files."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from app.engine.repr.humanml3d import FEATURE_DIM, FOOT_CONTACT, RIC, ROOT_Y
from app.engine.repr.normalizer import Normalizer


def _data(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.01, 2.0, FEATURE_DIM)
    arrays = [rng.normal(1.0, 1.0, (n, FEATURE_DIM)) * scale for n in (30, 50, 7)]
    for a in arrays:
        a[:, ROOT_Y] = 0.9                       # constant dim -> floored std
        a[:, FOOT_CONTACT] = rng.integers(0, 2, (len(a), 4))
    return arrays


def test_fit_humanml3d_grouping_and_floor():
    arrays = _data()
    norm = Normalizer.fit(arrays)
    frames = np.concatenate(arrays)
    np.testing.assert_allclose(norm.mean, frames.mean(0), rtol=1e-5, atol=1e-6)
    assert norm.std[3] == pytest.approx(1e-2)                           # floored
    assert np.all(norm.std[RIC] == norm.std[RIC][0])                    # one std per part
    assert norm.std[RIC][0] == pytest.approx(frames[:, RIC].std(0).mean(), rel=1e-5)
    contact_std = frames[:, FOOT_CONTACT].std(0).mean() / 5.0
    assert norm.std[FOOT_CONTACT][0] == pytest.approx(contact_std, rel=1e-5)


def test_per_dim_and_round_trip():
    arrays = _data(1)
    norm = Normalizer.fit(arrays, grouping="per_dim", min_std=1e-3)
    x = arrays[0].astype(np.float32)
    z = norm.normalize(x)
    assert abs(float(np.concatenate([norm.normalize(a) for a in arrays])[:, 10].std()) - 1.0) < 1e-3
    np.testing.assert_allclose(norm.denormalize(z), x, rtol=1e-5, atol=1e-5)


def test_torch_tensors():
    import torch
    norm = Normalizer.fit(_data())
    x = np.asarray(_data(2)[1], dtype=np.float32)
    zt = norm.normalize(torch.from_numpy(x))
    assert isinstance(zt, torch.Tensor) and zt.dtype == torch.float32
    np.testing.assert_allclose(zt.numpy(), norm.normalize(x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(norm.denormalize(zt).numpy(), x, rtol=1e-5, atol=1e-5)


def test_save_load_without_pickles(tmp_path):
    norm = Normalizer.fit(_data())
    path = norm.save(Normalizer.path_beside(tmp_path / "t2m.pt"))
    assert path.name == "t2m.normalizer.npz"
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            with zf.open(name) as fh:
                assert np.lib.format.read_array(fh, allow_pickle=False) is not None
    back = Normalizer.load(path)
    np.testing.assert_array_equal(back.mean, norm.mean)
    np.testing.assert_array_equal(back.std, norm.std)
    assert back.representation == "humanml3d"


def test_rejects_bad_stats():
    with pytest.raises(ValueError):
        Normalizer(np.zeros(4), np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError):
        Normalizer.fit([np.zeros((3, 10))])                 # humanml3d grouping needs 263
    with pytest.raises(ValueError):
        Normalizer.fit([])
