"""Rebuild data/real/ (real_mocap.npz + LICENSES.md) from ../shared in one command.

    .venv/bin/python scripts/build_real_corpus.py [--shared ../shared] [--out data/real]

Deterministic: the same inputs give the same windows, texts and arrays.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.corpus.real_mocap import build_windows, save_corpus  # noqa: E402

log = logging.getLogger("build_real_corpus")

ACKNOWLEDGEMENT = ("The data used in this project was obtained from mocap.cs.cmu.edu.\n"
                   "The database was created with funding from NSF EIA-0196217.\n")


def licenses_text(shared: Path) -> str:
    aclstm = (shared / "data/motion/cmu/aclstm/LICENSE").read_text().strip()
    deepmimic = (shared / "data/motion/deepmimic/LICENSE_DeepMimic_MIT.txt").read_text().strip()
    return f"""# Licences of the real motion-capture corpus (data/real/real_mocap.npz)

The corpus holds motion retargeted to the SMPL-22 skeleton from three sources. Each window's
metadata names its source file and licence (`meta["licence"]`).

## CMU Graphics Lab Motion Capture Database (sources `cmu-przestr`, `cmu-iclone`, `cmu-aclstm`)

From mocap.cs.cmu.edu: the motion data is free to use, including inside commercial
products; the data itself may not be resold (as raw data or in a collection of data).
Required acknowledgement:

> {ACKNOWLEDGEMENT.strip().replace(chr(10), chr(10) + '> ')}

The `cmu-przestr` and `cmu-iclone` files are community BVH conversions of CMU trials; the
`cmu-aclstm` salsa, martial-arts and Indian-dance files come from the acLSTM repository,
whose licence follows.

### acLSTM repository licence (MIT)

```
{aclstm}
```

## DeepMimic motion clips (source `deepmimic`)

The 20 clips of DeepMimic's `data/motions` (humanoid3d_*.txt), retargeted here, are under
the DeepMimic licence:

```
{deepmimic}
```
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "real")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("app.core", "app.engine.corpus.real_mocap"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    t0 = time.time()
    windows, stats = build_windows(args.shared)
    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / "real_mocap.npz"
    save_corpus(windows, npz)
    (args.out / "LICENSES.md").write_text(licenses_text(args.shared))
    (args.out / "ACKNOWLEDGEMENT").write_text(ACKNOWLEDGEMENT)
    log.info("%-12s %5s %6s %8s %8s %10s %10s", "source", "files", "short", "windows", "dropped", "min(src)", "min(win)")
    for src, st in stats.items():
        log.info("%-12s %5d %6d %8d %8d %10.1f %10.1f", src, st["files"], st["takes_too_short"], st["windows"],
                 st["rejected"], st["minutes_source"], st["minutes_windows"])
    total_min = sum(w.clip.duration for w in windows) / 60
    log.info("total: %d windows, %.1f minutes in windows, %s: %.2f MB, %.1f s",
             len(windows), total_min, npz, npz.stat().st_size / 1e6, time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
