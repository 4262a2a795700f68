#!/usr/bin/env bash
# The main job for now: builds binq (installing what it needs), generates a
# 512x1024 layer with outlier channels and correlated calibration inputs, and
# quantizes it with every technique, printing the comparison. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/build.sh
BIN="${BINQ_BUILD_DIR:-build}/tools/binq-run"
OUT="${BINQ_DEMO_DIR:-out/demo}"
mkdir -p "$OUT"
"$BIN" make-layer --output "$OUT/layer.safetensors" --rows 512 --cols 1024 --seed 0
"$BIN" compare --input "$OUT/layer.safetensors" --seqlen 32 --techniques braq,CRBOG,CRB,sign,rtn
"$BIN" layer --input "$OUT/layer.safetensors" --seqlen 32 --technique CRB \
  --output "$OUT/layer.CRB.safetensors"
echo "wrote $OUT/layer.CRB.safetensors (Wq and its figures)"
