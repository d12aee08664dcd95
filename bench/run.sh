#!/usr/bin/env bash
# run.sh - one-command throughput benchmark: holdon vs nginx vs HAProxy in front of the same
# nginx origin, wrk runs interleaved (direct holdon nginx haproxy, direct holdon ...), medians.
#   bench/run.sh            (installs wrk/nginx/haproxy if missing, builds, runs ~4 min)
# Env: BENCH_SECONDS (10) per wrk run, BENCH_ROUNDS (3), BENCH_CONNS (50), BENCH_WORKERS (1:
# holdon threads = nginx workers = haproxy threads), BENCH_SIZES ("100b 64k").
# Prints one table per size: req/s, p50, p99, req/s ratio to direct, and the CPU time the
# proxy (for direct: the origin) spent per request (user+sys over the wrk run / requests),
# which varies much less from run to run than req/s on a small shared machine. Loopback only.
set -euo pipefail
HB=${HOLDON_BIN:-build/holdon}  # another build to measure, e.g. an older commit's
cd "$(dirname "$0")/.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build >/dev/null
SECS=${BENCH_SECONDS:-10} ROUNDS=${BENCH_ROUNDS:-3} CONNS=${BENCH_CONNS:-50}
export BENCH_WORKERS=${BENCH_WORKERS:-1}
SIZES=${BENCH_SIZES:-100b 64k}
O=18490 H=18491 N=18492 P=18493
tmp=$(mktemp -d /tmp/holdon-bench.XXXXXX)
hpid=""
cleanup() {
  [ -z "$hpid" ] || kill "$hpid" 2>/dev/null || true
  bench/peers.sh stop haproxy $P; bench/peers.sh stop nginx $N; bench/peers.sh stop origin $O
  rm -rf "$tmp"
}
trap cleanup EXIT
bench/peers.sh start origin $O
bench/peers.sh start nginx $N $O
bench/peers.sh start haproxy $P $O
printf 'listen: [127.0.0.1:%s]\nthreads: %s\nupstreams: {app: {servers: [127.0.0.1:%s]}}\nroutes: [{path_prefix: /, upstream: app}]\nlog: {access: off, level: warn}\n' \
  $H "$BENCH_WORKERS" $O > "$tmp/holdon.yaml"
"$HB" -c "$tmp/holdon.yaml" & hpid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$H) 2>/dev/null && break; sleep 0.05; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "versions: $("$HB" --version), $(/usr/sbin/nginx -v 2>&1 | cut -d: -f2 | tr -d ' '), $(/usr/sbin/haproxy -v | head -1 | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "wrk -t1 -c$CONNS -d${SECS}s, $ROUNDS interleaved rounds, medians; workers/threads per proxy: $BENCH_WORKERS"

# The processes whose CPU time counts for a target: the proxy's (nginx: its workers).
opid=$(pgrep -P "$(cat /tmp/holdon-bench.$(id -u)/origin-$O/nginx.pid)" | tr '\n' ' ')
npid=$(pgrep -P "$(cat /tmp/holdon-bench.$(id -u)/nginx-$N/nginx.pid)" | tr '\n' ' ')
ppid=$(cat /tmp/holdon-bench.$(id -u)/haproxy-$P/haproxy.pid)
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
hz=$(getconf CLK_TCK)

# wrk_run URL PIDS... -> "rps p50_ms p99_ms cpu_us_per_request"
wrk_run() {
  local url=$1; shift
  local c0; c0=$(ticks "$@")
  wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url" > "$tmp/wrk.out"
  local c1; c1=$(ticks "$@")
  awk -v cpu=$((c1 - c0)) -v hz="$hz" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps = $2 } / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) }
    /requests in/ { n = $1 }
    /Non-2xx|Socket errors/ { err = err " " $0 }
    END { printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, n ? cpu / hz * 1e6 / n : 0; if (err != "") print "wrk:" err > "/dev/stderr" }' "$tmp/wrk.out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for size in $SIZES; do
  for r in $(seq "$ROUNDS"); do
    for t in direct:$O holdon:$H nginx:$N haproxy:$P; do
      case ${t%%:*} in direct) pids=$opid ;; holdon) pids=$hpid ;; nginx) pids=$npid ;; haproxy) pids=$ppid ;; esac
      # shellcheck disable=SC2086
      echo "${t%%:*} $(wrk_run "http://127.0.0.1:${t#*:}/$size" $pids)" >> "$tmp/$size.txt"
    done
  done
  echo
  echo "== $size responses"
  printf '%-8s %10s %9s %9s %8s %12s\n' target req/s p50_ms p99_ms ratio cpu_us/req
  d=$(awk '$1 == "direct" { print $2 }' "$tmp/$size.txt" | median)
  for name in direct holdon nginx haproxy; do
    rps=$(awk -v n=$name '$1 == n { print $2 }' "$tmp/$size.txt" | median)
    p50=$(awk -v n=$name '$1 == n { print $3 }' "$tmp/$size.txt" | median)
    p99=$(awk -v n=$name '$1 == n { print $4 }' "$tmp/$size.txt" | median)
    cpu=$(awk -v n=$name '$1 == n { print $5 }' "$tmp/$size.txt" | median)
    printf '%-8s %10s %9s %9s %8.2f %12s\n' $name "$rps" "$p50" "$p99" "$(echo "$rps $d" | awk '{ print $1 / $2 }')" "$cpu"
  done
done
