#!/usr/bin/env bash
# Start the studio on a virtual screen (Xvfb) and save screenshots to docs/screenshots/.
# Usage: scripts/screenshot.sh [motion.bvh|motion.npz]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
exec xvfb-run -a -s "-screen 0 1600x900x24" "$PY" scripts/screenshot.py "$@"
