#!/usr/bin/env bash
# held.sh - thousands of held slow DAV requests through holdon, then through nginx.
#   bench/held.sh     (~2 x (ramp + 30 s); env HELD_CONNS=8000 HELD_DELAY_S=30 HELD_EVERY_MS=1000)
# The upstream (bench/holdon_load upstream, one async thread) answers every request after
# HELD_DELAY_S; the client (holdon_load held) opens HELD_CONNS connections, sends one PROPFIND
# each and records every 102's lateness against its schedule. Reports the proxy's peak RSS and
# CPU (user+sys over the whole run, % of one core), 102 jitter p50/p99/max and errors.
# nginx sends no 102s; it is measured holding the same requests for RSS and CPU.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh" held
CONNS=${HELD_CONNS:-8000} DELAY=${HELD_DELAY_S:-30} EVERY=${HELD_EVERY_MS:-1000}
U=18495 H=18496 N=18497

build/bench/holdon_load upstream --port $U --delay-ms $((DELAY * 1000)) > "$tmp/upstream.log" & pids+=($!)
wait_port $U
echo "machine: $(nproc) cores, $(uname -sr); $CONNS held requests, upstream answers after ${DELAY}s, 102 every ${EVERY}ms"

# measure NAME "PIDS..." CLIENT-ARGS...: runs the held client, prints one result line
measure() {
  local name=$1 procs=$2; shift 2
  local t0 c0 t1 c1 hz; hz=$(getconf CLK_TCK)
  t0=$(date +%s.%N); c0=$(cpu_ticks $procs)
  local out rc=0; out=$(build/bench/holdon_load held --conns "$CONNS" --ramp-ms 4000 --timeout-s $((DELAY + 60)) "$@") || rc=$?
  t1=$(date +%s.%N); c1=$(cpu_ticks $procs)
  local hwm=0 p; for p in $procs; do hwm=$((hwm + $(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"))); done
  echo "$name: peak RSS $((hwm / 1024)) MiB, CPU $(awk -v c=$((c1 - c0)) -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 100 * c / hz / (b - a) }') % of one core over $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"
  echo "  $out"
  [ $rc = 0 ] || echo "  (the held client failed: exit $rc)"
}

start_holdon $H $U 1 "interim: {first_after: ${EVERY}ms, every: ${EVERY}ms, max: 1000}
timeouts: {upstream_response: $((DELAY + 60))s}
"
measure holdon "$hp" --port $H --first-ms "$EVERY" --every-ms "$EVERY"
kill $hp

BENCH_WORKERS=1 start_peer nginx $N $U
np=$(peer_pid nginx $N)
measure nginx "$np $(pgrep -P "$np" | tr '\n' ' ')" --port $N --first-ms "$EVERY" --every-ms "$EVERY"
