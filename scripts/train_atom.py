"""Train the ATOM text-to-motion model (see app/engine/t2m/train.py and models/atom/README.md)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.t2m.train import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("atom"))
