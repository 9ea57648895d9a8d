"""Pack IDOL training clips small enough to travel to a lent GPU machine (64 MiB per call, code included).

    .venv/bin/python scripts/idol_device_pack.py --train 1800 --test 64 --out .gpu/idol_data.tar.xz

The shards written by ``scripts/build_idol_data.py`` are zip-deflated npz files (~36 KB a clip); this
re-saves the first ``--train`` train clips and the first ``--test`` test clips (only the first
``--test-frames`` frames: the benchmark scores each test clip's first window) as uncompressed npz
shards and compresses the lot with multi-threaded xz (~28 KB a clip). ``scripts/idol_device_run.sh``
unpacks it there; ``app.engine.idol.data.load_clips`` reads the shards unchanged. Nothing is
re-rendered: the clips are the same bytes as here.
"""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
log = logging.getLogger("idol_device_pack")


def repack(src: Path, dst: Path, split: str, limit: int, frames: int = 0) -> int:
    """Copy the first ``limit`` clips of ``split`` into uncompressed shards; returns the clip count."""
    from app.engine.idol.data import ARRAYS

    done = 0
    for f in sorted(src.glob(f"{split}_*.npz")):
        if done >= limit:
            break
        with np.load(f, allow_pickle=False) as d:
            arrays = {k: d[k] for k in ("specs", *ARRAYS)}
        n = min(len(arrays["rgb"]), limit - done)
        out = {k: (v if k == "specs" else v[:n]) for k, v in arrays.items()}
        if n < len(arrays["rgb"]):   # specs is one JSON list: keep its first n recipes
            out["specs"] = np.asarray(json.dumps(json.loads(str(arrays["specs"]))[:n]))
        if frames:
            for k in ("rgb", "depth", "mask", "keypoints", "background", "world_to_camera"):
                out[k] = out[k][:, :frames]
        np.savez(dst / f.name, **out)
        done += n
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / ".cache" / "idol" / "data"))
    ap.add_argument("--train", type=int, default=1800)
    ap.add_argument("--test", type=int, default=64)
    ap.add_argument("--test-frames", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / ".gpu" / "idol_data.tar.xz"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idol_pack_") as tmp:
        n_train = repack(Path(args.data), Path(tmp), "train", args.train)
        n_test = repack(Path(args.data), Path(tmp), "test", args.test, args.test_frames)
        if n_train < args.train or n_test < args.test:
            raise SystemExit(f"only {n_train} train / {n_test} test clips in {args.data}")
        files = sorted(p.name for p in Path(tmp).iterdir())
        with open(out, "wb") as fh:
            tar = subprocess.Popen(["tar", "-C", tmp, "-cf", "-", *files], stdout=subprocess.PIPE)
            subprocess.run(["xz", f"-T{args.threads}", "-6", "-c"], stdin=tar.stdout, stdout=fh, check=True)
            if tar.wait():
                raise SystemExit("tar failed")
    log.info("%s: %d train + %d test clips, %.1f MB", out, n_train, n_test, out.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
