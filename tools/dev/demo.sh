#!/usr/bin/env bash
# The main job: builds binq (installing what it needs), starts the daemon
# binqd on this machine (SQLite state in out/demo/state, loopback only; a GPU
# when there is one, else its CPU slot), submits a CRB job on the small
# trained OPT in assets/tiny-opt with binqctl, watches it live to the end
# (per-layer errors, ETA, perplexities), prints `binqctl result`, and stops
# the daemon — also when interrupted. Safe to run again.
#
# Environment (all optional):
#   BINQ_SKIP_BUILD=1      use the binaries already in the build folder
#   BINQ_BUILD_DIR=DIR     the build folder (default build/)
#   BINQ_DEMO_DIR=DIR      where state, logs and outputs go (default out/demo/)
#   BINQ_DEMO_LISTEN=H:P   binqd's address (default 127.0.0.1:7411 when free,
#                          else a free loopback port)
#   BINQ_DEMO_SEQLEN, BINQ_DEMO_NSAMPLES   calibration size (default 256, 32)
#   BINQ_DEMO_EVAL         test sets (default wikitext2,ptb)
#   BINQ_DEMO_MODEL, BINQ_DEMO_DATA_DIR    another checkpoint and dataset root
#                          (default assets/tiny-opt/model and assets/tiny-opt/data)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

if [ "${BINQ_SKIP_BUILD:-0}" != 1 ]; then
  tools/dev/build.sh
fi
BUILD_DIR="$(cd "${BINQ_BUILD_DIR:-build}" && pwd)"
BINQD="$BUILD_DIR/server/binqd"
BINQCTL="$BUILD_DIR/client/binqctl"
BINQ_RUN="$BUILD_DIR/tools/binq-run"
for program in "$BINQD" "$BINQCTL" "$BINQ_RUN"; do
  if [ ! -x "$program" ]; then
    echo "demo: $program is missing; build first (tools/dev/build.sh)" >&2
    exit 1
  fi
done

OUT="${BINQ_DEMO_DIR:-out/demo}"
mkdir -p "$OUT/state"
OUT="$(cd "$OUT" && pwd)"
STATE="$OUT/state"
MODEL="$(cd "${BINQ_DEMO_MODEL:-assets/tiny-opt/model}" && pwd)"
DATA="$(cd "${BINQ_DEMO_DATA_DIR:-assets/tiny-opt/data}" && pwd)"
SEQLEN="${BINQ_DEMO_SEQLEN:-256}"
NSAMPLES="${BINQ_DEMO_NSAMPLES:-32}"
EVAL="${BINQ_DEMO_EVAL:-wikitext2,ptb}"
# binqd --gpus auto runs the job on a GPU when the NVIDIA driver lists one,
# in the checkpoint's dtype (fp16, as the references). On a CPU slot,
# LibTorch's fp16 matrix products are several times slower than fp32 ones:
# compute in float32 there.
DTYPE=auto
if ! ls /proc/driver/nvidia/gpus/* >/dev/null 2>&1; then
  DTYPE=float32
fi

DAEMON_PID=""
JOB_ID=""
ADDRESS=""
finished=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    # Interrupted before the job ended: cancel it, so that the next run does
    # not find it re-queued in the state dir.
    if [ -n "$JOB_ID" ] && [ "$finished" != 1 ]; then
      "$BINQCTL" --server "$ADDRESS" --timeout 5 cancel "$JOB_ID" >/dev/null 2>&1 || true
    fi
    echo "demo: stopping binqd (pid $DAEMON_PID)"
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -f "$OUT/binqd.pid"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A binqd of an earlier demo that was killed without cleaning up holds the
# state dir's lock: stop it first.
if [ -f "$OUT/binqd.pid" ]; then
  old="$(cat "$OUT/binqd.pid")"
  if [ -n "$old" ] && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -q -- "--state-dir $STATE "; then
    echo "demo: stopping the binqd left by an earlier run (pid $old)"
    kill -TERM "$old" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$OUT/binqd.pid"
fi

listening() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# Starts binqd on $1; sets DAEMON_PID and ADDRESS, or returns 1 (its log
# says why) when it exits before listening.
start_binqd() {
  : >"$OUT/binqd.out"
  # Its own session: Ctrl-C goes to the terminal's foreground process group,
  # and binqd must not take it for a shutdown of its own (it would re-queue
  # the job); the trap below cancels the job and stops binqd instead.
  setsid "$BINQD" --listen "$1" --state-dir "$STATE" --gpus auto --data-dir "$DATA" \
    --worker-binary "$BINQ_RUN" >"$OUT/binqd.out" 2>>"$OUT/binqd.log" </dev/null &
  DAEMON_PID=$!
  echo "$DAEMON_PID" >"$OUT/binqd.pid"
  for _ in $(seq 1 300); do
    ADDRESS="$(sed -n 's/^binqd listening on //p' "$OUT/binqd.out")"
    [ -n "$ADDRESS" ] && return 0
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      wait "$DAEMON_PID" 2>/dev/null || true
      DAEMON_PID=""
      return 1
    fi
    sleep 0.1
  done
  echo "demo: binqd did not start listening within 30 s; see $OUT/binqd.log" >&2
  exit 1
}

LISTEN="${BINQ_DEMO_LISTEN:-}"
if [ -z "$LISTEN" ]; then
  LISTEN=127.0.0.1:7411
  listening "$LISTEN" && LISTEN=127.0.0.1:0  # taken: any free port
fi
if ! start_binqd "$LISTEN"; then
  if [ -z "${BINQ_DEMO_LISTEN:-}" ] && [ "$LISTEN" != 127.0.0.1:0 ] && start_binqd 127.0.0.1:0; then
    :  # 7411 was taken in the meantime
  else
    echo "demo: binqd did not start:" >&2
    tail -n 5 "$OUT/binqd.log" >&2
    exit 1
  fi
fi
echo "demo: binqd listening on $ADDRESS (pid $DAEMON_PID; state $STATE; log $OUT/binqd.log)"
CTL=("$BINQCTL" --server "$ADDRESS")

# Jobs an earlier, interrupted run left queued would run first: cancel them.
for state in queued running; do
  for id in $("${CTL[@]}" --output json list --state "$state" | sed -n 's/.*"id":"\(j-[0-9a-f]*\)".*/\1/p'); do
    echo "demo: cancelling $id, left $state by an earlier run"
    "${CTL[@]}" cancel "$id" >/dev/null || true
  done
done

echo "demo: binqctl submit --model $MODEL --technique CRB --seqlen $SEQLEN --nsamples $NSAMPLES --eval $EVAL --dtype $DTYPE"
if [ "$DTYPE" = float32 ]; then
  echo "demo: no GPU here: the job runs on binqd's CPU slot, in float32 (under a minute on 2 idle cores)"
fi
submitted="$("${CTL[@]}" submit --model "$MODEL" --technique CRB --seqlen "$SEQLEN" \
  --nsamples "$NSAMPLES" --eval "$EVAL" --dtype "$DTYPE")"
echo "$submitted"
JOB_ID="$(sed -n 's/^submitted \(j-[0-9a-f]*\) .*/\1/p' <<<"$submitted")"
if [ -z "$JOB_ID" ]; then
  echo "demo: no job id in binqctl's answer" >&2
  exit 1
fi

watch_rc=0
"${CTL[@]}" watch "$JOB_ID" || watch_rc=$?
finished=1
echo
echo "demo: binqctl result $JOB_ID"
"${CTL[@]}" result "$JOB_ID"
exit "$watch_rc"
