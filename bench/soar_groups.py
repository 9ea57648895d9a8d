"""Where the RGB route's open-set errors come from: clip uncertainty by test group, and seed ensembles.

    .venv/bin/python bench/soar_groups.py --runs .cache/soar/runs_s50 --data .cache/soar/data200

For every finished run ``{variant}_s{seed}/model`` the test clips are scored once; printed per variant:

- mean uncertainty (K / S) of known clips in their family's scene (aligned) and in another scene
  (conflicting), and of unknown clips in their family's scene and in another;
- AUROC of known-aligned / known-conflicting clips against unknown clips in their family's scene and
  in another scene (a scene-biased model should find unknowns in a foreign scene easy and unknowns
  at home hard);
- the seed ensemble: evidence averaged over the variant's seeds, its AUROC and accuracy.

Nothing here is trained or tuned; the figures describe models trained by ``scripts/train_soar.py``.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("soar_groups")


def summary(evidence: np.ndarray, truth: np.ndarray, known: np.ndarray, aligned: np.ndarray,
            atoms: np.ndarray) -> dict[str, float]:
    """Group means of K / S, AUROCs per known/unknown group and per held-out atom, accuracy."""
    from app.engine.recognition.metrics import auroc

    u = evidence.shape[1] / (evidence.sum(1) + evidence.shape[1])
    groups = {"known_al": known & aligned, "known_cf": known & ~aligned,
              "unk_home": ~known & aligned, "unk_away": ~known & ~aligned}
    out = {f"u_{k}": float(u[g].mean()) for k, g in groups.items()}
    for kn in ("known_al", "known_cf"):
        for un in ("unk_home", "unk_away"):
            sel = groups[kn] | groups[un]
            out[f"auroc_{kn}_vs_{un}"] = auroc(u[sel], groups[un][sel])
    out["auroc_all"] = auroc(u, ~known)
    for atom in sorted(set(atoms[~known])):
        sel = known | (atoms == atom)
        out[f"auroc_{atom}"] = auroc(u[sel], ~known[sel])
    out["acc"] = float((evidence.argmax(1) == truth)[known].mean())
    out["acc_cf"] = float((evidence.argmax(1) == truth)[known & ~aligned].mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default=str(ROOT / ".cache" / "soar" / "runs"))
    ap.add_argument("--data", default=str(ROOT / ".cache" / "soar" / "data"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    torch.set_num_threads(args.threads)
    from app.engine.soar.data import load_split
    from app.engine.soar.evaluate import clip_evidence
    from app.engine.soar.model import SOAR

    test = load_split(args.data, "test")
    by_variant: dict[str, list[tuple[str, np.ndarray]]] = {}
    labels = None
    for model_dir in sorted(Path(args.runs).glob("*_s[0-9]*/model")):
        model = SOAR.from_pretrained(model_dir, "cpu")
        labels = list(model.cfg.labels)
        by_variant.setdefault(model_dir.parent.name.rsplit("_s", 1)[0], []).append(
            (model_dir.parent.name, clip_evidence(model, test.rgb).numpy()))
    if labels is None:
        raise SystemExit(f"no finished runs under {args.runs}")
    known = np.asarray([a in labels for a in test.atoms])
    truth = np.asarray([labels.index(a) if a in labels else -1 for a in test.atoms])
    aligned = np.asarray(test.aligned, bool)
    atoms = np.asarray(test.atoms)
    log.info("test: %d known (%d aligned), %d unknown (%d in their family's scene)", known.sum(),
             (known & aligned).sum(), (~known).sum(), (~known & aligned).sum())
    for variant, runs in by_variant.items():
        rows = [(name, summary(ev, truth, known, aligned, atoms)) for name, ev in runs]
        if len(runs) > 1:
            rows.append((f"{variant} ensemble ({len(runs)})",
                         summary(np.mean([ev for _, ev in runs], 0), truth, known, aligned, atoms)))
        for name, s in rows:
            log.info("%-24s %s", name, "  ".join(f"{k} {v:.3f}" for k, v in s.items()))


if __name__ == "__main__":
    main()
