#!/usr/bin/env bash
# held.sh - thousands of held slow DAV requests, in two modes, through holdon and its peers.
#   bench/held.sh   (~6 x (ramp + HELD_DELAY_S); env HELD_CONNS=8000 HELD_DELAY_S=30
#                    HELD_EVERY_MS=1000 HELD_ROUNDS=1 HELD_TARGETS; HOLDON_PREV=/path/holdon adds "prev")
# The upstream (bench/holdon_load upstream, one async thread) answers every request after
# HELD_DELAY_S. The client (holdon_load held) opens HELD_CONNS connections, sends one PROPFIND
# each (User-Agent cadaver/neon: on holdon's allow list) and records every 102's lateness
# against its schedule (a 102 every HELD_EVERY_MS after the request).
#   own:      the upstream sends no 102; holdon makes them (interim mode auto). nginx holds the
#             same requests without any 102 (memory and CPU of just holding them).
#   forward:  the upstream sends a 102 every HELD_EVERY_MS; the proxy forwards them: holdon with
#             interim mode never (it makes none, it passes the upstream's on), HAProxy (HTTP
#             mode, timeout server above the wait).
# Per target: peak RSS and KiB per held exchange (VmHWM over the run minus the idle process's
# RSS, / HELD_CONNS), CPU (user+sys over the run: % of one core, and µs per 102 delivered), 102
# jitter p50/p99/max, early 102s and errors. HELD_ROUNDS > 1 repeats every target in turn
# (interleaved) and prints the medians. Targets run one at a time: each has the machine alone.
# The proxy runs alone on CPU 0, the upstreams and the client on CPU 1 (BENCH_PIN=0: as the
# kernel places them); steal_% is the share of the machine other tenants took during the run.
set -euo pipefail
export BENCH_PIN=${BENCH_PIN:-1}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh" held
CONNS=${HELD_CONNS:-8000} DELAY=${HELD_DELAY_S:-30} EVERY=${HELD_EVERY_MS:-1000} ROUNDS=${HELD_ROUNDS:-1}
U=18495 H=18496 N=18497 W=18498 P=18499

"${load_cpu[@]}" build/bench/holdon_load upstream --port $U --delay-ms $((DELAY * 1000)) > "$tmp/upstream.log" & pids+=($!)
"${load_cpu[@]}" build/bench/holdon_load upstream --port $W --delay-ms $((DELAY * 1000)) --interim-every-ms "$EVERY" \
  > "$tmp/upstream-102.log" & pids+=($!)
wait_port $U
wait_port $W
hz=$(getconf CLK_TCK)
echo "machine: $(nproc) cores, $(uname -sr); $CONNS held requests, answered after ${DELAY}s, a 102 every ${EVERY}ms; $ROUNDS round(s); pinned: $BENCH_PIN"

# status_kib KEY PIDS...: the sum of a /proc/PID/status field (VmRSS, VmHWM) in KiB
status_kib() {
  local k=$1 t=0 p; shift
  for p in "$@"; do t=$((t + $(awk -v k="$k:" '$1 == k { print $2 }' "/proc/$p/status"))); done
  echo $t
}

# measure NAME PORT "PIDS...": one held run through the target; appends a result line
# "NAME hwm_kib kib_per_exchange cpu_pct us_per_102 p50 p99 max early interims completed errors steal_pct".
measure() {
  local name=$1 port=$2 procs=$3
  local base t0 c0 s0 t1 c1 s1 out rc=0
  # shellcheck disable=SC2086
  base=$(status_kib VmRSS $procs); t0=$(date +%s.%N); c0=$(cpu_ticks $procs); s0=$(steal_ticks)
  out=$("${load_cpu[@]}" build/bench/holdon_load held --port "$port" --conns "$CONNS" --ramp-ms 4000 \
    --timeout-s $((DELAY + 60)) --first-ms "$EVERY" --every-ms "$EVERY") || rc=$?
  # shellcheck disable=SC2086
  t1=$(date +%s.%N); c1=$(cpu_ticks $procs); s1=$(steal_ticks); hwm=$(status_kib VmHWM $procs)
  echo "  $name: $out" >&2
  [ $rc = 0 ] || echo "  ($name: the held client failed: exit $rc)" >&2
  echo "$name $hwm $base $((c1 - c0)) $t0 $t1 $((s1 - s0)) ${out%%$'\n'*}" | awk -v hz="$hz" -v conns="$CONNS" -v ncpu="$(nproc)" '
    function field(k,   i) { for (i = 8; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
    { n102 = field("interims"); cpu_s = $4 / hz; secs = $6 - $5
      printf "%s %d %.2f %.1f %.1f %s %s %s %s %s %s %s %.1f\n", $1, $2, ($2 - $3) / conns, 100 * cpu_s / secs,
        (n102 > 0 ? cpu_s * 1e6 / n102 : 0), field("p50"), field("p99"), field("max"), field("early"),
        n102, field("completed"), field("errors"), 100 * $7 / hz / secs / ncpu }' >> "$tmp/results"
  # This round's row, so that the spread behind each median shows.
  awk -v n="$name" '$1 == n { r = $0 } END { print "  row: " r }' "$tmp/results" >&2
}

# Each target: started, measured, stopped, so that none holds memory or CPU while another runs.
holdon_yaml() {  # MODE
  printf 'interim: {mode: %s, first_after: %sms, every: %sms, max: 1000}\ntimeouts: {upstream_response: %ss}\n' \
    "$1" "$EVERY" "$EVERY" $((DELAY + 60))
}
run_holdon() {  # NAME BINARY MODE UPSTREAM_PORT
  HB=$2 start_holdon $H "$4" 1 "$(holdon_yaml "$3")"$'\n'
  measure "$1" $H "$hp"
  kill "$hp"; wait "$hp" 2>/dev/null || true
}
run_peer() {  # NAME KIND UPSTREAM_PORT
  local port=$N pp
  [ "$2" = haproxy ] && port=$P
  BENCH_WORKERS=1 start_peer "$2" $port "$3"
  pp=$(peer_pid "$2" $port)
  measure "$1" $port "$pp $(pgrep -P "$pp" | tr '\n' ' ')"
  bench/peers.sh stop "$2" $port
}
targets="holdon-own holdon-fwd haproxy-fwd nginx-hold"
[ -z "$PREV" ] || targets="$targets prev-own prev-fwd"
targets=${HELD_TARGETS:-$targets}  # a subset, e.g. HELD_TARGETS="holdon-fwd prev-fwd"
for r in $(seq "$ROUNDS"); do
  echo "round $r" >&2
  for t in $targets; do
    case $t in
      holdon-own) run_holdon $t "$HB" auto $U ;;
      holdon-fwd) run_holdon $t "$HB" never $W ;;
      prev-own) run_holdon $t "$PREV" auto $U ;;
      prev-fwd) run_holdon $t "$PREV" never $W ;;
      haproxy-fwd) run_peer $t haproxy $W ;;
      nginx-hold) run_peer $t nginx $U ;;
    esac
  done
done

r=$tmp/results
echo
echo "own: holdon makes the 102s; fwd: the upstream makes them, the proxy forwards them; hold: no 102s"
printf '%-12s %8s %9s %8s %9s %8s %8s %8s %8s %6s %8s %9s %6s %8s\n' target RSS_MiB KiB/exch CPU_% CPUxhap us/102 \
  p50_ms p99_ms max_ms early 102s completed errors steal_%
hc=$(col "$r" haproxy-fwd 4)
for t in $targets; do
  printf '%-12s %8.1f %9s %8s %9.2f' "$t" "$(ratio "$(col "$r" "$t" 2)" 1024)" "$(col "$r" "$t" 3)" "$(col "$r" "$t" 4)" \
    "$(ratio "$(col "$r" "$t" 4)" "$hc")"
  for c in 5 6 7 8; do printf ' %8s' "$(col "$r" "$t" $c)"; done
  printf ' %6s %8s %9s %6s %8s\n' "$(col "$r" "$t" 9)" "$(col "$r" "$t" 10)" "$(col "$r" "$t" 11)" "$(col "$r" "$t" 12)" \
    "$(col "$r" "$t" 13)"
done
