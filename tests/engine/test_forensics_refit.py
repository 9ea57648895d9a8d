"""The shipped calibrated forensics model is what its script makes from the committed per-clip features."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "data" / "videos" / "dev"
FEATURES = ROOT / "data" / "forensics" / "dev_features"


@pytest.mark.skipif(not (DEV / "SOURCES.tsv").is_file(), reason="needs the labelled dev clips' list (../shared)")
def test_refit_from_committed_features_reproduces_the_shipped_model(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import fit_forensics

    out = tmp_path / "calibrated.json"
    rc = fit_forensics.main(["--cached-only", "--cache", str(FEATURES), "--dev", str(DEV),
                             "--out", str(out), "--report", str(tmp_path / "report.md")])
    assert rc == 0
    made = json.loads(out.read_text())
    shipped = json.loads((ROOT / "models" / "forensics" / "calibrated.json").read_text())
    assert made["cues"] == shipped["cues"]
    assert made["coef"] == pytest.approx(shipped["coef"], abs=1e-9)
    assert "blur_speed_coupling" not in made["cues"]          # shown by the inspector, never scored
