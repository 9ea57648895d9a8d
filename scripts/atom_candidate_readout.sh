#!/usr/bin/env bash
# Every readout an ATOM candidate is judged by before it may ship (issue 11; models/atom/README.md): the named-limb
# checkpoint tests (run with the candidate copied into models/atom, restored from git afterwards), val in three text
# forms (3 seeds; VAL_SEEDS=6 for 6), paced (6 seeds), stand-up (3 seeds), and the test split's FID / R@3 / jitter / FootSkate.
# The prompt suite is not run here: it is read only after a decision.  About 3 minutes on 2 idle cores.
#   [VAL_SEEDS=6] bash scripts/atom_candidate_readout.sh NAME SNAPDIR [LOGDIR]   (SNAPDIR/atom holds config, weights, normaliser)
set -u
cd "$(dirname "$0")/.."
name=$1; snap=$2; logs=${3:-.cache/readouts}/$name
PY=.venv/bin/python
mkdir -p "$logs"
echo "== $name $(date -u +%T)"
cp "$snap/atom/config.json" "$snap/atom/model.safetensors" models/atom/
QT_QPA_PLATFORM=offscreen $PY -m pytest -q -p no:cacheprovider tests/engine/test_atom_checkpoint.py > "$logs/limb.log" 2>&1
echo "named-limb tests rc=$?: $(tail -1 "$logs/limb.log")"
git checkout -q models/atom/config.json models/atom/model.safetensors
$PY scripts/atom_val_predicates.py "$snap/atom" --forms third synonyms context --seeds "${VAL_SEEDS:-3}" --threads 2 > "$logs/val.log" 2>&1
$PY scripts/atom_val_predicates.py "$snap/atom" --paced-items --seeds 6 --threads 2 > "$logs/paced.log" 2>&1
$PY scripts/atom_val_predicates.py "$snap/atom" --start-items --seeds 3 --threads 2 > "$logs/start.log" 2>&1
$PY bench/bench_t2m.py --no-speed --eval --models atom --models-dir "$snap" --mdm-items 64 --mm-texts 8 \
    --mm-samples 4 > "$logs/test.log" 2>&1
for f in val paced start; do grep -o '"form": "[a-z]*", "n": [0-9]*, "overall": [0-9.]*' "$logs/$f.log" | sed "s/^/$f: /"; done
grep "^| atom |" "$logs/test.log"   # FID R@1 R@2 R@3 MM-Dist Diversity MultiModality FootSkate ms count
grep -o "Jitter': [0-9.]*" "$logs/test.log" | head -1   # the full split's row (generated); the real rows are not logged
echo "== done $name $(date -u +%T)"
