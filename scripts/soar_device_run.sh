#!/bin/bash
# The RGB route's (SOAR) debiasing ablation, three seeds per arm, trained side by side on a lent GPU;
# each run evaluates itself on the test clips when its schedule ends. Run on the device machine from
# the repo root with the rendered clips packed here first: tar -C .cache/soar/data -cf .gpu/soar_data.tar .
#   bash scripts/soar_device_run.sh MINUTES [STEPS]
# Arms (env ARMS, "name:flags" separated by spaces; every arm gets COMMON): see ARMS below.
# Writes to $OUT: soar_runs.tar.gz (each run's metrics.json, train_log.jsonl and model/).
# The table here: tar -xzf soar_runs.tar.gz -C .cache/soar && .venv/bin/python bench/bench_soar.py --runs .cache/soar/runs_gpu
set -u
MIN=${1:-6}
STEPS=${2:-12000}
OUT=${OUT:-/tmp/out}
PY=${PY:-python3}; DEVICE=${DEVICE:-cuda}   # DEVICE=cpu ARMS=... SEEDS=0 for a dry run here
SEEDS=${SEEDS:-"0 1 2"}
COMMON=${COMMON:-"frames=16 fps=10.0 median_window=15"}
# w_uncnorm=1.0 stalled the full model on the CPU (session 23: val accuracy 20 % at 3,900 steps), so no arm uses it
ARMS=${ARMS:-"full:w_avu=1.0 none:w_avu=1.0,--no-recon,--no-scene-cls norecon:w_avu=1.0,--no-recon nocls:w_avu=1.0,--no-scene-cls fullplain:"}
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 )) s] $*"; }

rm -rf /tmp/soar_data /tmp/runs_gpu /tmp/soar_logs; mkdir -p "$OUT" /tmp/soar_data /tmp/runs_gpu /tmp/soar_logs
tar -C /tmp/soar_data -xf .gpu/soar_data.tar || exit 1
stamp "data: $(ls /tmp/soar_data | wc -l) shards"
for arm in $ARMS; do
  name=${arm%%:*}; flags=${arm#*:}
  sets=$COMMON; switches=""
  for f in ${flags//,/ }; do
    case $f in --*) switches="$switches $f";; *) sets="$sets $f";; esac
  done
  for s in $SEEDS; do
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 $PY scripts/train_soar.py --run "${name}_s$s" --runs /tmp/runs_gpu \
      --data /tmp/soar_data --seed "$s" --threads 1 --steps "$STEPS" --max-minutes "$MIN" --device "$DEVICE" \
      $switches --set $sets > "/tmp/soar_logs/${name}_s$s.log" 2>&1 &
  done
done
wait
stamp "training done"
for f in /tmp/runs_gpu/*/metrics.json; do
  $PY -c "import json,sys; m=json.load(open(sys.argv[1])); t=m.get('test',{}); print(m['run'], m['steps'], m['minutes'], round(t.get('acc_all',0),3), round(t.get('acc_conflicting',0),3), round(t.get('auroc_all',0),3))" "$f"
done
for f in /tmp/soar_logs/*.log; do grep -l Traceback "$f" && tail -n 5 "$f"; done
cp /tmp/soar_logs/*.log /tmp/runs_gpu/ 2>/dev/null
find /tmp/runs_gpu -name train_state.pt -delete
tar -C /tmp -czf "$OUT/soar_runs.tar.gz" runs_gpu
ls -la "$OUT"
stamp "end"
