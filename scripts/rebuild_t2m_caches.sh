#!/usr/bin/env bash
# Rebuild, from the committed corpus, the ATOM training and val caches that the session-35..38 recipes name
# (issue 11). `.cache/` is not committed and a fresh machine has none; earlier sessions built these caches by
# appending to older ones (docs/data.md), this script builds the same recipe in one pass:
#   train: corpus train split + start samples (+ paced samples with PACED=1), one form and one synonym variant
#          per text (--synonyms), then one context variant per original text (--context); with WIDE=1 also
#          train_ctxw: one more context variant per original text from the wide WordNet pool (session 44)
#   val:   corpus val split (+ start samples), the corpus's own texts
# Usage: bash scripts/rebuild_t2m_caches.sh [OUT_DIR]   (default .cache/t2m; 9 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.cache/t2m}
PY=.venv/bin/python
mkdir -p "$OUT"
paced=False; tag=""
if [ "${PACED:-0}" = "1" ]; then paced=True; tag="_paced"; fi
if [ ! -f "$OUT/val_base.npz" ]; then
  $PY -c "from app.engine.t2m.data import build_cache; build_cache('$OUT/val_base.npz', 'val')"
fi
base="$OUT/train_base$tag.npz"
if [ ! -f "$base" ]; then
  $PY -c "from app.engine.t2m.data import build_cache; build_cache('$base', 'train', include_paced=$paced)"
fi
if [ ! -f "$OUT/train_syn$tag.npz" ]; then
  $PY scripts/build_t2m_text_forms.py --src "$base" --out "$OUT/train_syn$tag.npz" --seed 0 --synonyms --threads 2
fi
if [ ! -f "$OUT/train_ctx$tag.npz" ]; then
  $PY scripts/build_t2m_text_forms.py --src "$OUT/train_syn$tag.npz" --out "$OUT/train_ctx$tag.npz" --seed 0 \
      --context --threads 2
fi
if [ "${WIDE:-0}" = "1" ] && [ ! -f "$OUT/train_ctxw$tag.npz" ]; then
  $PY scripts/build_t2m_text_forms.py --src "$OUT/train_ctx$tag.npz" --out "$OUT/train_ctxw$tag.npz" --seed 1 \
      --context --wide-context --threads 2
fi
ls -la "$OUT"
