#!/usr/bin/env bash
# run.sh - one-command throughput benchmark: holdon vs nginx vs HAProxy in front of the same
# nginx origin, beside the floor (build/bench/floor_relay: a byte relay, nothing parsed) and
# HAProxy in mode tcp; wrk runs interleaved (direct floor holdon ..., direct floor ...), medians.
# HOLDON_PREV=/path/holdon adds a previous build ("prev") to the same rounds.
#   bench/run.sh            (installs wrk/nginx/haproxy if missing, builds, runs ~4 min)
# Env: BENCH_SECONDS (10) per wrk run, BENCH_ROUNDS (3), BENCH_CONNS (50), BENCH_WORKERS (1:
# holdon threads = nginx workers = haproxy threads), BENCH_SIZES ("100b 64k").
# Prints one table per size: req/s, p50, p99, req/s as a multiple of direct and of the floor,
# the CPU time the proxy (for direct: the origin) spent per request (user+sys over the wrk run
# / requests), which varies much less from run to run than req/s on a small shared machine,
# and that CPU time as a multiple of HAProxy's. Loopback only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh" bench
SECS=${BENCH_SECONDS:-10} ROUNDS=${BENCH_ROUNDS:-3} CONNS=${BENCH_CONNS:-50}
export BENCH_WORKERS=${BENCH_WORKERS:-1}
SIZES=${BENCH_SIZES:-100b 64k}
O=18490
start_peer origin $O
start_targets $O 18470 "$BENCH_WORKERS"
origin_pids=$(pgrep -P "$(peer_pid origin $O)" | tr '\n' ' ')

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "versions: $("$HB" --version), $(/usr/sbin/nginx -v 2>&1 | cut -d: -f2 | tr -d ' '), $(/usr/sbin/haproxy -v | head -1 | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "wrk -t1 -c$CONNS -d${SECS}s, $ROUNDS interleaved rounds, medians; workers/threads per proxy: $BENCH_WORKERS"

hz=$(getconf CLK_TCK)
steal_start

# wrk_run URL PIDS... -> "rps p50_ms p99_ms cpu_us_per_request"
wrk_run() {
  local url=$1; shift
  local c0; c0=$(cpu_ticks "$@")
  "${load_cpu[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url" > "$tmp/wrk.out"
  local c1; c1=$(cpu_ticks "$@")
  awk -v cpu=$((c1 - c0)) -v hz="$hz" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps = $2 } / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) }
    /requests in/ { n = $1 }
    /Non-2xx|Socket errors/ { err = err " " $0 }
    END { printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, n ? cpu / hz * 1e6 / n : 0; if (err != "") print "wrk:" err > "/dev/stderr" }' "$tmp/wrk.out"
}

for size in $SIZES; do
  for r in $(seq "$ROUNDS"); do
    for t in $targets; do
      # shellcheck disable=SC2046
      echo "${t%%:*} $(wrk_run "http://127.0.0.1:${t#*:}/$size" $(target_pids "${t%%:*}" "${t#*:}"))" >> "$tmp/$size.txt"
    done
  done
  echo
  echo "== $size responses"
  printf '%-11s %10s %9s %9s %8s %8s %12s %9s\n' target req/s p50_ms p99_ms xdirect xfloor cpu_us/req cpu_xhap
  r=$tmp/$size.txt
  d=$(col "$r" direct 2) f=$(col "$r" floor 2) hc=$(col "$r" haproxy 5)
  for t in $targets; do
    name=${t%%:*}
    rps=$(col "$r" "$name" 2) cpu=$(col "$r" "$name" 5)
    printf '%-11s %10s %9s %9s %8.2f %8.2f %12s %9.2f\n' "$name" "$rps" "$(col "$r" "$name" 3)" "$(col "$r" "$name" 4)" \
      "$(ratio "$rps" "$d")" "$(ratio "$rps" "$f")" "$cpu" "$(ratio "$cpu" "$hc")"
  done
done
echo
steal_report
