#!/usr/bin/env bash
# stream.sh - 1 GiB PUT and GET through holdon, nginx, HAProxy, HAProxy mode tcp and the floor
# (build/bench/floor_relay: a byte relay that splices big transfers): MB/s, CPU per MiB moved.
#   bench/stream.sh      (env STREAM_MIB=1024, STREAM_ROUNDS=3; HOLDON_PREV=/path/holdon adds "prev")
# Origin: bench/holdon_load upstream (PUT /sink drains and counts, GET /bytes/N streams N bytes).
# Client: curl, body from a file of zeros in the page cache (PUT) and to /dev/null (GET).
# Targets run interleaved, medians; the CPU is the proxy's user+sys over one transfer
# (direct: the origin's). Ends with the peak RSS (VmHWM) of holdon (and prev).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh" stream
MIB=${STREAM_MIB:-1024} ROUNDS=${STREAM_ROUNDS:-3}
O=18485

"${load_cpu[@]}" build/bench/holdon_load upstream --port $O --delay-ms 0 >/dev/null & origin_pids=$!; pids+=("$origin_pids")
wait_port $O
start_targets $O 18460 1
head -c $((MIB * 1048576)) /dev/zero > "$tmp/body"
bytes=$((MIB * 1048576))
hz=$(getconf CLK_TCK)
steal_start
echo "machine: $(nproc) cores, $(uname -sr); $MIB MiB bodies, $ROUNDS interleaved rounds, medians"

# cpu_per_mib TICKS: µs of CPU per MiB moved
cpu_per_mib() { awk -v c="$1" -v hz="$hz" -v m="$MIB" 'BEGIN { printf "%.0f", c / hz * 1e6 / m }'; }
for r in $(seq "$ROUNDS"); do
  for t in $targets; do
    procs=$(target_pids "${t%%:*}" "${t#*:}")
    # shellcheck disable=SC2086
    c0=$(cpu_ticks $procs)
    put=$("${load_cpu[@]}" curl -sS -T "$tmp/body" -H 'Expect:' -D "$tmp/h" -o /dev/null -w '%{speed_upload}' "http://127.0.0.1:${t#*:}/sink")
    # shellcheck disable=SC2086
    c1=$(cpu_ticks $procs)
    grep -qi "x-received: $bytes" "$tmp/h" || { echo "PUT via ${t%%:*}: upstream did not get $bytes bytes" >&2; exit 1; }
    get=$("${load_cpu[@]}" curl -sS -o /dev/null -w '%{speed_download} %{size_download}' "http://127.0.0.1:${t#*:}/bytes/$bytes")
    # shellcheck disable=SC2086
    c2=$(cpu_ticks $procs)
    [ "${get#* }" = "$bytes" ] || { echo "GET via ${t%%:*}: got ${get#* } bytes" >&2; exit 1; }
    echo "${t%%:*} $put ${get% *} $(cpu_per_mib $((c1 - c0))) $(cpu_per_mib $((c2 - c1)))" >> "$tmp/results"
  done
done
r=$tmp/results
printf '%-11s %9s %9s %8s %8s %8s %8s %11s %11s\n' target PUT_MB/s GET_MB/s PUTxhap GETxhap PUTxflr GETxflr PUT_cpu/MiB GET_cpu/MiB
hput=$(col "$r" haproxy 2) hget=$(col "$r" haproxy 3) fput=$(col "$r" floor 2) fget=$(col "$r" floor 3)
for t in $targets; do
  n=${t%%:*}
  put=$(col "$r" "$n" 2) get=$(col "$r" "$n" 3)
  printf '%-11s %9.0f %9.0f %8.2f %8.2f %8.2f %8.2f %9sus %9sus\n' "$n" "$(ratio "$put" 1e6)" "$(ratio "$get" 1e6)" \
    "$(ratio "$put" "$hput")" "$(ratio "$get" "$hget")" "$(ratio "$put" "$fput")" "$(ratio "$get" "$fget")" \
    "$(col "$r" "$n" 4)" "$(col "$r" "$n" 5)"
done
echo "holdon peak RSS (VmHWM): $(awk '/^VmHWM:/ { print $2 }' /proc/$hp/status) KiB"
[ -z "$PREV" ] || echo "prev peak RSS (VmHWM): $(awk '/^VmHWM:/ { print $2 }' /proc/$vp/status) KiB"
steal_report
