#!/bin/bash
# IDOL's five rows (full, three ablations, the two-stage baseline) trained side by side on a lent GPU,
# then sampled on the held-out test clips. Run on the device machine from the repo root, with the
# diffusers wheels in .whl/ and the packed clips in .gpu/ (scripts/idol_device_pack.py):
#   bash scripts/idol_device_run.sh MINUTES
# Writes to $OUT (8 files at most): samples_VARIANT.npz (each row at the largest step all rows reached),
# samples_full_final.npz and full_final_unet_fp16.safetensors (the full model's last EMA weights),
# logs.tar.gz (training logs, configs, benchmark JSON). Score the samples here with
#   .venv/bin/python bench/bench_idol.py --from-samples FILE --clips 64
set -u
MIN=${1:-6}
OUT=${OUT:-/tmp/out}
PY=${PY:-python3}; DEVICE=${DEVICE:-cuda}; BATCH=${BATCH:-16}; EXPORT=${EXPORT:-100}; CLIPS=${CLIPS:-64}  # dry runs
AMP=${AMP:-bf16}   # session 22 ran fp32: 0.46 s a step alone, 1.5 s with five runs sharing the GPU, ~30 GB each
export VARIANTS=${VARIANTS:-"full no_xattn no_motion_loss no_attn_loss two_stage"}   # five at once ran out of memory in fp32
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 )) s] $*"; }

$PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site || exit 1
rm -rf /tmp/idol_data /tmp/runs /tmp/logs; mkdir -p "$OUT" /tmp/idol_data /tmp/runs /tmp/logs
xz -T16 -dc .gpu/idol_data.tar.xz | tar -C /tmp/idol_data -x || exit 1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > /tmp/logs/nvidia_smi.txt
$PY -c "import torch, diffusers; print('torch', torch.__version__, 'diffusers', diffusers.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')" \
  | tee /tmp/logs/versions.txt || exit 1
stamp "data: $(ls /tmp/idol_data | wc -l) shards"

for v in $VARIANTS; do
  PYTHONUNBUFFERED=1 $PY scripts/train_idol.py --preset cpu --variant "$v" --data /tmp/idol_data \
    --run "/tmp/runs/$v" --threads 3 --max-minutes "$MIN" --batch-clips "$BATCH" --lr 4e-4 --warmup 200 --ema 0.998 \
    --log-every 50 --checkpoint-minutes 1000 --export-every "$EXPORT" --amp "$AMP" --prefetch > "/tmp/logs/train_$v.log" 2>&1 &
done
wait
stamp "training done"
for v in $VARIANTS; do tail -n 2 "/tmp/logs/train_$v.log"; done

# the largest exported step every row reached: the equal-budget comparison
COMMON=$($PY - <<'EOF'
import os
from pathlib import Path
best = [max((int(p.name[10:]) for p in Path(f"/tmp/runs/{v}").glob("model_step*")), default=0)
        for v in os.environ["VARIANTS"].split()]
print(f"{min(best):06d}")
EOF
)
stamp "common step $COMMON"
bench() {  # name model
  timeout 110 $PY bench/bench_idol.py --model "$2" --data /tmp/idol_data --clips "$CLIPS" --device "$DEVICE" --no-pose \
    --no-determinism --samplers ddim:20 --threads 2 --json "/tmp/logs/bench_$1.json" --save-samples "$OUT/samples_$1.npz" \
    > "/tmp/logs/bench_$1.log" 2>&1
}
for v in $VARIANTS; do bench "$v" "/tmp/runs/$v/model_step$COMMON" & done
bench full_final /tmp/runs/full/model &
wait
stamp "sampling done"
for f in /tmp/logs/bench_*.log; do echo "$f"; grep -A12 '"idol"' "$f" | head -14; done

$PY - <<'EOF'
import os, torch
from safetensors.torch import load_file, save_file
sd = load_file("/tmp/runs/full/model/unet/diffusion_pytorch_model.safetensors")
save_file({k: v.half() for k, v in sd.items()}, os.environ.get("OUT", "/tmp/out") + "/full_final_unet_fp16.safetensors")
EOF
cp -r /tmp/runs/full/model/idol.json /tmp/runs/full/model/unet/config.json /tmp/logs/ 2>/dev/null
for v in $VARIANTS; do cp "/tmp/runs/$v/log.jsonl" "/tmp/logs/log_$v.jsonl"; cp "/tmp/runs/$v/train_config.json" "/tmp/logs/train_config_$v.json"; done
tar -C /tmp -czf "$OUT/logs.tar.gz" logs
ls -la "$OUT"
stamp "end"
