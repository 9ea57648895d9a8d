"""scripts/atom_val_counts.py: the counted repetitions read from a predicate's verdict."""
import importlib.util
import sys
from pathlib import Path

SCRIPTS = Path(__file__).parents[2] / "scripts"


def _module():
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("atom_val_counts", SCRIPTS / "atom_val_counts.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(SCRIPTS))


def test_counted_reads_the_moving_sides_count_and_ignores_measures():
    counted = _module().counted
    assert counted({"claps": 6, "min_dist_m": 0.012, "front_m": 0.26}) == 6
    assert counted({"l_up": 0.0, "r_up": 0.548, "l_swings": 0, "r_swings": 2}) == 2   # the waving side
    assert counted({"winds_l": 0.0, "winds_r": 1.85}) is None                        # no integer count
    assert counted({"ok_flag": True}) is None


def test_a_real_clap_verdict_gives_its_count():
    import numpy as np
    from app.engine.evaluator.predicates_body import clap

    class K:   # the joints clap() reads: wrists 20 / 21, body-local forward offset
        t = np.linspace(0, 4, 81)
        joints = np.zeros((81, 22, 3))
        joints[:, 20, 0] = 0.2 * (1 + np.cos(2 * np.pi * t))      # 4 meetings (x = 0) at t = 0.5, 1.5, 2.5, 3.5
        local = np.zeros((81, 22, 3))
        local[:, 20:22, 2] = 0.3

    verdict = clap(K(), count=4)
    assert _module().counted(verdict.values) == verdict.values["claps"] == 4 and verdict.ok
