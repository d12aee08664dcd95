#!/usr/bin/env bash
# stream.sh - 1 GiB PUT and GET through holdon, nginx and HAProxy: throughput, holdon's peak RSS.
#   bench/stream.sh      (env STREAM_MIB=1024, STREAM_ROUNDS=3)
# Origin: bench/holdon_load upstream (PUT /sink drains and counts, GET /bytes/N streams N bytes).
# Client: curl, body from a file of zeros in the page cache (PUT) and to /dev/null (GET).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh" stream
MIB=${STREAM_MIB:-1024} ROUNDS=${STREAM_ROUNDS:-3}
O=18485 H=18486 N=18487 P=18488

build/bench/holdon_load upstream --port $O --delay-ms 0 >/dev/null & pids+=($!)
wait_port $O
start_holdon $H $O 1
start_peer nginx $N $O
start_peer haproxy $P $O
head -c $((MIB * 1048576)) /dev/zero > "$tmp/body"
bytes=$((MIB * 1048576))
echo "machine: $(nproc) cores, $(uname -sr); $MIB MiB bodies, $ROUNDS interleaved rounds, medians (MB/s)"

for r in $(seq "$ROUNDS"); do
  for t in direct:$O holdon:$H nginx:$N haproxy:$P; do
    put=$(curl -sS -T "$tmp/body" -H 'Expect:' -D "$tmp/h" -o /dev/null -w '%{speed_upload}' "http://127.0.0.1:${t#*:}/sink")
    grep -qi "x-received: $bytes" "$tmp/h" || { echo "PUT via ${t%%:*}: upstream did not get $bytes bytes" >&2; exit 1; }
    get=$(curl -sS -o /dev/null -w '%{speed_download} %{size_download}' "http://127.0.0.1:${t#*:}/bytes/$bytes")
    [ "${get#* }" = "$bytes" ] || { echo "GET via ${t%%:*}: got ${get#* } bytes" >&2; exit 1; }
    echo "${t%%:*} $put ${get% *}" >> "$tmp/results"
  done
done
printf '%-8s %10s %10s\n' target PUT_MB/s GET_MB/s
for name in direct holdon nginx haproxy; do
  printf '%-8s %10.0f %10.0f\n' $name \
    "$(awk -v n=$name '$1 == n { print $2 / 1e6 }' "$tmp/results" | median)" \
    "$(awk -v n=$name '$1 == n { print $3 / 1e6 }' "$tmp/results" | median)"
done
echo "holdon peak RSS (VmHWM): $(awk '/^VmHWM:/ { print $2 }' /proc/$hp/status) KiB"
