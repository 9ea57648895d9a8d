"""Weight-space ensembling of two fine-tunes of one model (WiSE-FT, Wortsman et al., CVPR 2022).

Two exported models that share a config and a normaliser (e.g. the shipped weights and a run continued from them on
new text forms) are merged as ``(1 - alpha) * a + alpha * b``, tensor by tensor. The result is exported like any other
model and judged by the same readouts; no data is touched here.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .config import config_from_dict

log = logging.getLogger(__name__)

#: config keys that describe a training run, not the architecture; they may differ between the two models
RUN_KEYS = frozenset({"train_steps", "train_minutes", "train_batch", "train_items", "merged_from", "how",
                      "init_from"})
#: prefixes of the loss terms' settings (weights ``w_*``, the prior path's ``prior_path_*``): training only
LOSS_PREFIXES = ("w_", "prior_path_")


def _run_only(key: str) -> bool:
    return key in RUN_KEYS or key.startswith(LOSS_PREFIXES)


class MergeError(ValueError):
    """The two models cannot be merged (different architecture, normaliser or tensors)."""


def _arch(model_dir: Path) -> dict:
    """The config's architecture and sampling keys, a key the file leaves out read as its default (an export
    written before a setting existed equals one that writes the setting at its default)."""
    cfg = json.loads((model_dir / "config.json").read_text())
    full = dict(asdict(config_from_dict(cfg)), **cfg)
    return {k: v for k, v in full.items() if not _run_only(k)}


def _same_normalizer(a: Path, b: Path) -> bool:
    na, nb = np.load(a / "normalizer.npz"), np.load(b / "normalizer.npz")
    if set(na.files) != set(nb.files):
        return False
    for k in na.files:
        x, y = na[k], nb[k]
        if x.shape != y.shape or (x.dtype.kind == "f" and not np.allclose(x, y)) or (
                x.dtype.kind != "f" and not np.array_equal(x, y)):
            return False
    return True


def merge_weights(a: dict, b: dict, alpha: float) -> dict:
    """``(1 - alpha) * a + alpha * b`` for float tensors; other tensors (counters, indices) must be equal in both."""
    if set(a) != set(b):
        raise MergeError(f"tensor names differ: {sorted(set(a) ^ set(b))[:5]}")
    out = {}
    for k, ta in a.items():
        tb = b[k]
        if ta.shape != tb.shape:
            raise MergeError(f"{k}: shape {tuple(ta.shape)} vs {tuple(tb.shape)}")
        if ta.is_floating_point():
            out[k] = ((1.0 - alpha) * ta.double() + alpha * tb.double()).to(ta.dtype).contiguous()
        elif bool((ta == tb).all()):
            out[k] = ta.clone()
        else:
            raise MergeError(f"{k}: non-float tensor differs between the two models")
    return out


def merge_exports(a_dir: str | Path, b_dir: str | Path, alpha: float, out_dir: str | Path) -> Path:
    """Write the merged model of two exports to ``out_dir`` (config and normaliser of ``a``, plus its vocabulary)."""
    from safetensors.torch import load_file, save_file

    if not 0.0 <= alpha <= 1.0:
        raise MergeError(f"alpha must lie in [0, 1], got {alpha}")
    a_dir, b_dir, out_dir = Path(a_dir), Path(b_dir), Path(out_dir)
    arch_a, arch_b = _arch(a_dir), _arch(b_dir)
    if arch_a != arch_b:
        keys = sorted(k for k in arch_a.keys() | arch_b.keys() if arch_a.get(k) != arch_b.get(k))
        raise MergeError(f"configs differ in {keys}")
    if not _same_normalizer(a_dir, b_dir):
        raise MergeError("normalisers differ: the two models do not read the same feature scale")
    merged = merge_weights(load_file(str(a_dir / "model.safetensors")), load_file(str(b_dir / "model.safetensors")),
                           alpha)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(merged, str(out_dir / "model.safetensors"))
    cfg = json.loads((a_dir / "config.json").read_text())
    cfg["merged_from"] = {"a": str(a_dir), "b": str(b_dir), "alpha": alpha}
    (out_dir / "config.json").write_text(json.dumps(cfg, indent=1))
    shutil.copyfile(a_dir / "normalizer.npz", out_dir / "normalizer.npz")
    if (a_dir / "vocabulary.json").exists():
        shutil.copyfile(a_dir / "vocabulary.json", out_dir / "vocabulary.json")
    log.info("merged %s and %s at alpha %.2f -> %s", a_dir, b_dir, alpha, out_dir)
    return out_dir
