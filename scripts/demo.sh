#!/usr/bin/env bash
# demo.sh - build holdon and watch it send "102 Processing" in front of a slow backend.
#
# Usage: scripts/demo.sh          (from any directory; Ctrl-C stops everything)
#   1. installs what is missing (scripts/deps.sh demo: the build tools, python3 and curl),
#      configures and builds build/holdon
#   2. starts tests/peers/slow_upstream.py on 127.0.0.1:8081 (conf/holdon.yaml's upstream)
#   3. starts build/holdon -c conf/holdon.yaml (listens on 127.0.0.1:8080)
#   4. runs a slow PROPFIND once with curl -v so you see the 102s, then waits until Ctrl-C
# Both children are stopped by their PIDs on exit. Ports 8080 and 8081 must be free.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh demo
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build

pids=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/holdon-demo.XXXXXX")
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  echo "demo: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME REGEX CMD...: run CMD in the background, its stdout+stderr on a fifo; wait (at
# most 15 s) for a line matching REGEX, then keep copying its output to our stderr.
start() {
  local name=$1 regex=$2 fd line end=$((SECONDS + 15))
  shift 2
  mkfifo "$tmp/$name"
  "$@" >"$tmp/$name" 2>&1 &
  pids+=("$!")
  exec {fd}<"$tmp/$name"
  while [ "$SECONDS" -le "$end" ] && IFS= read -r -t 15 -u "$fd" line; do
    echo "[$name] $line" >&2
    if [[ $line =~ $regex ]]; then
      sed -u "s/^/[$name] /" <&"$fd" >&2 &
      exec {fd}<&-
      return 0
    fi
  done
  echo "demo: $name did not print '$regex' within 15 s (or it exited)" >&2
  exit 1
}

start upstream 'listening on http://127\.0\.0\.1:8081' \
  python3 tests/peers/slow_upstream.py --host 127.0.0.1 --port 8081
start holdon 'listening on http://127\.0\.0\.1:8080' build/holdon -c conf/holdon.yaml

unset http_proxy HTTP_PROXY all_proxy ALL_PROXY  # the demo's curl goes straight to 127.0.0.1
try="curl -sv -X PROPFIND -H 'Depth: 1' 'http://127.0.0.1:8080/slow?delay_ms=5000'"
echo
echo "demo: holdon on 127.0.0.1:8080 -> slow_upstream on 127.0.0.1:8081. Try:"
echo "    $try"
echo "demo: running it once now (5 s; watch the '< HTTP/1.1 102 Processing' lines):"
echo
eval "$try" || echo "demo: curl failed (exit $?)" >&2
echo
echo "demo: still running; try other requests (see tests/peers/slow_upstream.py for the"
echo "      ?delay_ms=, ?interim=, ?body_size= ... knobs). Ctrl-C to stop."
wait -n "${pids[@]}" || true
echo "demo: a child exited" >&2
