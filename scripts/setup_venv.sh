#!/usr/bin/env bash
# Create .venv with the CPU stack, in the order that avoids a multi-GB CUDA torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
stamp=.venv/.installed
want=$(cat requirements.txt scripts/setup_venv.sh | sha1sum | cut -c1-12)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -r requirements.txt
# mediapipe without its dependency list (it would pull opencv-contrib and JAX)
.venv/bin/pip install -q --no-deps mediapipe==0.10.14
.venv/bin/pip install -q absl-py attrs flatbuffers 'protobuf>=4.25.3,<5' sounddevice matplotlib
.venv/bin/pip install -q --no-deps -e .
echo "$want" > "$stamp"
