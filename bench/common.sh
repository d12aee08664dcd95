# shellcheck shell=bash
# common.sh - what bench/held.sh, run.sh and stream.sh share; sourced, not run:
#   . "$(dirname "$0")/common.sh" NAME
# Leaves the shell in the repository root with the bench dependencies installed and build/
# configured and built, and defines:
#   HB            the holdon to measure (HOLDON_BIN, default build/holdon)
#   $tmp          a fresh /tmp/holdon-NAME.XXXXXX, removed at exit
#   pids          background processes the script started (pids+=($!)), killed at exit
#   start_peer KIND PORT [UPSTREAM_PORT]  bench/peers.sh start, and its stop at exit
#   peer_pid KIND PORT                    the main pid of a started peer (nginx: the master)
#   start_holdon PORT UPSTREAM_PORT THREADS [YAML-LINES]  holdon ($HB) on PORT, its pid in $hp
#   PREV          HOLDON_PREV: a previous build measured beside HB in the same run (or empty)
#   start_targets ORIGIN_PORT FIRST_PORT THREADS  the compared proxies in front of the origin,
#                 on FIRST_PORT..+5; sets $targets ("name:port ...", direct first)
#   target_pids NAME PORT  the processes whose CPU time counts for a target ($origin_pids: direct)
#   wait_port PORT, cpu_ticks PIDS..., median (stdin: one number a line)
#   col FILE NAME N   the median of column N over FILE's rows whose first column is NAME
#   ratio A B         A / B (0 when B is 0 or empty)
#   "${proxy_cpu[@]}" CMD..., "${load_cpu[@]}" CMD...  CMD pinned (BENCH_PIN=1) to CPU 0 (the
#                 proxy measured, alone) or CPU 1 (the load: clients, origins); as is otherwise
#                 (taskset execs CMD: $! stays its pid). On two cores three busy processes share
#                 them as the kernel places them, and which two share a core moves a proxy's CPU
#                 figure more than the proxies differ.
#   steal_ticks   the machine's steal time so far (other tenants' use of our CPUs), in ticks
#   steal_start, steal_report  the share of the machine stolen between the two, printed
HB=${HOLDON_BIN:-build/holdon}  # another build to measure, e.g. an older commit's
# shellcheck disable=SC2034  # read by the scripts that source this file
PREV=${HOLDON_PREV:-}           # a previous build to measure beside it, target "prev"
export BENCH_PIN=${BENCH_PIN:-0}  # read by peers.sh too
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build >/dev/null

tmp=$(mktemp -d "/tmp/holdon-$1.XXXXXX")
pids=()
peers=()  # "KIND PORT" of every peer started, stopped at exit in reverse order
cleanup() {
  local p i
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for ((i = ${#peers[@]} - 1; i >= 0; i--)); do
    # shellcheck disable=SC2086
    bench/peers.sh stop ${peers[i]}
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

start_peer() {
  peers+=("$1 $2")  # before the start: a peer that fails half-way is stopped too
  bench/peers.sh start "$@"
}
peer_pid() { cat "${BENCH_RUN_DIR:-/tmp/holdon-bench.$(id -u)}/$1-$2/"*.pid; }

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

start_holdon() {
  printf 'listen: [127.0.0.1:%s]\nthreads: %s\nupstreams: {app: {servers: [127.0.0.1:%s]}}\nroutes: [{path_prefix: /, upstream: app}]\n%slog: {access: off, level: warn}\n' \
    "$1" "$3" "$2" "${4:-}" > "$tmp/holdon-$1.yaml"
  "${proxy_cpu[@]}" "$HB" -c "$tmp/holdon-$1.yaml" & hp=$!
  pids+=("$hp")
  wait_port "$1"
}

# The floor, HAProxy mode tcp, holdon, nginx, HAProxy and (HOLDON_PREV) prev, in that order.
start_targets() {
  local o=$1 p=$2 w=$3
  start_peer floor "$p" "$o"
  start_peer haproxy-tcp $((p + 1)) "$o"
  BENCH_WORKERS=$w start_peer nginx $((p + 3)) "$o"
  BENCH_WORKERS=$w start_peer haproxy $((p + 4)) "$o"
  targets="direct:$o floor:$p haproxy-tcp:$((p + 1)) holdon:$((p + 2)) nginx:$((p + 3)) haproxy:$((p + 4))"
  if [ -n "$PREV" ]; then
    HB=$PREV start_holdon $((p + 5)) "$o" "$w"
    vp=$hp targets="$targets prev:$((p + 5))"
  fi
  start_holdon $((p + 2)) "$o" "$w"
}
target_pids() {
  case $1 in
    direct) echo "$origin_pids" ;;
    holdon) echo "$hp" ;;
    prev) echo "$vp" ;;
    nginx) pgrep -P "$(peer_pid nginx "$2")" | tr '\n' ' ' ;;
    *) peer_pid "$1" "$2" ;;
  esac
}

proxy_cpu=() load_cpu=()
if [ "$BENCH_PIN" = 1 ]; then proxy_cpu=(taskset -c 0) load_cpu=(taskset -c 1); fi
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
steal_start() { steal_t0=$(date +%s.%N) steal_s0=$(steal_ticks); }
steal_report() {
  awk -v s="$(($(steal_ticks) - steal_s0))" -v t="$(date +%s.%N)" -v t0="$steal_t0" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
    'BEGIN { printf "steal (other tenants) during the run: %.1f %% of the machine; pinned: %s\n", 100 * s / hz / (t - t0) / n, ENVIRON["BENCH_PIN"] }'
}
# User+system CPU time of the processes, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { awk -v n="$2" -v c="$3" '$1 == n { print $c }' "$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
