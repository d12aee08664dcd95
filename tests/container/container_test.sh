#!/usr/bin/env bash
# container_test.sh - build docker/Dockerfile for real and run the image in front of the
# project's slow upstream. Rootful podman + runc with a debootstrapped
# debian:bookworm-slim base (scripts/container-base.sh installs and prepares all of it).
#
#   tests/container/container_test.sh          (root, or sudo without a password)
#
# Checks: image metadata (non-root USER, EXPOSE, HEALTHCHECK kept, exec-form ENTRYPOINT),
# /healthz and /readyz from the host, `podman healthcheck run` (holdon --healthcheck inside),
# a slow PROPFIND through the container with curl: >= 3 x 102 then 207 and the multistatus
# body, /metrics agreeing with it, the JSON access line, a non-root process uid, and exit
# code 0 after `podman stop` (SIGTERM to PID 1).
# Networking: --network host, every address 127.0.0.1 (the upstream listens on the host's
# loopback; holdon's listen/admin addresses come from HOLDON_* variables).
# Ends with "N passed, M failed"; exit 0 only if nothing failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null && exec sudo -n -E "$0" "$@"
  echo "container_test: needs root (rootful podman)" >&2; exit 1
fi

PASS=0; FAIL=0
log()  { printf '[container] %s\n' "$*"; }
ok()   { PASS=$((PASS+1)); log "ok: $*"; }
bad()  { FAIL=$((FAIL+1)); log "FAIL: $*"; }
die()  { bad "$*"; echo "$PASS passed, $FAIL failed"; exit 1; }
now()  { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

T0=$(now)
scripts/container-base.sh || die "container-base.sh failed"
eval "$(scripts/container-base.sh --env)"
STATE=/var/tmp/holdon-container
# One tag per checkout: worktrees building at the same time do not overwrite each other.
IMAGE=localhost/holdon:test-$(printf '%s' "$ROOT" | sha1sum | cut -c1-8)
WORK=$(mktemp -d /tmp/holdon-container.XXXXXX); chmod 755 "$WORK"
CID=""; UPID=""
# podman leaves conmon holding its stderr: filter through a file, never a pipe (see
# ../shared/tools/oci-smoke.sh); the systemd lines are harmless healthcheck-timer noise.
pq() { local rc=0; "$@" 2>"$WORK/podman.err" || rc=$?
       grep -v 'systemd' "$WORK/podman.err" >&2 || true; return $rc; }
cleanup() {
  [ -z "$CID" ] || { pq podman rm -f -t 2 "$CID" >/dev/null || true; }
  [ -z "$UPID" ] || kill "$UPID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log "host ready ($(took "$T0"))"

# ---------------------------------------------------------------- build
t=$(now)
build() { pq podman build --pull=never --format docker -f docker/Dockerfile "$@" . >> "$WORK/build.log" 2>&1; }
# The build stage gets a tag too: a tagged chain is the layer cache of the next run, and the
# chains of older versions become dangling, which the label-filtered prune below removes
# (holdon's own images only: every layer carries LABEL org.holdon.project=holdon).
if build --target build -t "$IMAGE-build" && build -t "$IMAGE"; then
  ok "podman build -f docker/Dockerfile ($(took "$t"))"
else
  tail -40 "$WORK/build.log"; die "podman build failed"
fi
pq podman image prune -f --filter label=org.holdon.project=holdon >/dev/null || true
fmt() { podman image inspect --format "$1" "$IMAGE"; }
user=$(fmt '{{.Config.User}}')
case "${user%%:*}" in ""|0|root) bad "image USER is root or unset ('$user')";; *) ok "image USER $user";; esac
exposed=$(fmt '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')
[[ "$exposed" == *8080/tcp* && "$exposed" == *9901/tcp* ]] && ok "EXPOSE $exposed" || bad "EXPOSE: '$exposed'"
hc=$(fmt '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}')
[[ "$hc" == *"holdon --healthcheck"* ]] && ok "HEALTHCHECK $hc" || bad "HEALTHCHECK: '$hc'"
ep=$(fmt '{{json .Config.Entrypoint}}')
[ "$ep" = '["/usr/local/bin/holdon"]' ] && ok "ENTRYPOINT $ep (exec form)" || bad "ENTRYPOINT: $ep"
size=$(fmt '{{.Size}}')
log "image size: $size bytes ($(awk -v s="$size" 'BEGIN{printf "%.1f MB", s/1e6}'))"
[ "$size" -lt 150000000 ] && ok "image size $size bytes < 150 MB" || bad "image size $size bytes"
ver=$(pq podman run --rm --pull=never "$IMAGE" --version) && [[ "$ver" == "holdon "* ]] &&
  ok "podman run IMAGE --version: $ver" || bad "--version in the image: '$ver'"

# ---------------------------------------------------------------- upstream and ports
python3 tests/peers/slow_upstream.py --host 127.0.0.1 --port 0 --quiet > "$WORK/upstream.out" 2>&1 &
UPID=$!
for _ in $(seq 100); do grep -q listening "$WORK/upstream.out" && break; sleep 0.1; done
UPORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/upstream.out")
[ -n "$UPORT" ] || die "slow_upstream did not start: $(cat "$WORK/upstream.out")"
read -r PORT APORT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
cat > "$WORK/holdon.yaml" <<YAML
# container test: the slow upstream on the host loopback; fast keep-alive 102s
listen: [127.0.0.1:8080]
threads: 2
upstreams: {app: {servers: [127.0.0.1:$UPORT]}}
routes: [{path_prefix: /, upstream: app}]
interim: {first_after: 200ms, every: 200ms}
admin: {listen: 127.0.0.1:9901}
YAML
chmod 644 "$WORK/holdon.yaml"

# ---------------------------------------------------------------- run
t=$(now)
CID=$(pq podman run -d --pull=never --network host \
        -v "$WORK/holdon.yaml:/etc/holdon/holdon.yaml:ro" \
        -e HOLDON_LISTEN=127.0.0.1:$PORT -e HOLDON_ADMIN_LISTEN=127.0.0.1:$APORT \
        "$IMAGE") || die "podman run failed"
up=0
for _ in $(seq 150); do
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$APORT/healthz" 2>/dev/null && { up=1; break; }
  sleep 0.2
done
[ $up = 1 ] && ok "GET /healthz -> 200 ($(took "$t") after podman run)" ||
  { podman logs "$CID" 2>&1 | tail -20; die "no /healthz within 30s"; }
code=$(curl -sS -m 5 -o "$WORK/readyz" -w '%{http_code}' "http://127.0.0.1:$APORT/readyz")
[ "$code" = 200 ] && [ "$(cat "$WORK/readyz")" = ready ] && ok "GET /readyz -> $code $(cat "$WORK/readyz")" ||
  bad "GET /readyz -> $code $(cat "$WORK/readyz")"
# The image's HEALTHCHECK (holdon --healthcheck inside the container, no curl there).
if pq podman healthcheck run "$CID" > "$WORK/hc.out"; then
  ok "podman healthcheck run: exit 0, State.Health.Status=$(podman inspect --format '{{.State.Health.Status}}' "$CID")"
else bad "podman healthcheck run failed: $(cat "$WORK/hc.out")"; fi
pq podman exec "$CID" /usr/local/bin/holdon --healthcheck http://127.0.0.1:1/healthz > /dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "holdon --healthcheck in the container against a dead port: exit 1" || bad "dead-port healthcheck: exit $rc"
pid=$(podman inspect --format '{{.State.Pid}}' "$CID")
puid=$(awk '/^Uid:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo "?")
[ -n "$puid" ] && [ "$puid" != 0 ] && [ "$puid" != "?" ] && ok "holdon (host pid $pid) runs as uid $puid" ||
  bad "process uid '$puid'"

t=$(now)
curl -sS -v -m 30 -X PROPFIND -H 'Depth: 1' -A 'cadaver/0.24 neon/0.32.5' \
  "http://127.0.0.1:$PORT/dav/container?delay_ms=1500" > "$WORK/propfind.body" 2> "$WORK/propfind.err"
rc=$?
n102=$(tr -d '\r' < "$WORK/propfind.err" | grep -c '^< HTTP/1.1 102 Processing$')
final=$(tr -d '\r' < "$WORK/propfind.err" | grep '^< HTTP/1.1 [2-5]' | tail -1)
log "curl PROPFIND through the container ($(took "$t")):"
tr -d '\r' < "$WORK/propfind.err" | grep '^< HTTP/' | sed 's/^/    /'
[ $rc = 0 ] && [ "$n102" -ge 3 ] && ok "PROPFIND: $n102 x '102 Processing' (>= 3)" || bad "PROPFIND: rc=$rc, $n102 x 102"
[ "$final" = "< HTTP/1.1 207 Multi-Status" ] && ok "PROPFIND: final '$final'" || bad "PROPFIND final: '$final'"
grep -q '</D:multistatus>' "$WORK/propfind.body" && ok "PROPFIND: multistatus body ($(wc -c < "$WORK/propfind.body") bytes)" ||
  bad "PROPFIND body: $(head -c 200 "$WORK/propfind.body")"

curl -sS -m 5 "http://127.0.0.1:$APORT/metrics" > "$WORK/metrics"
m() { awk -v n="$1" '$1==n{print $2}' "$WORK/metrics"; }
[ "$(m 'holdon_requests_total{route="/",code="2xx"}')" = 1 ] && ok "/metrics: 1 x 2xx on route /" || bad "/metrics 2xx: $(m 'holdon_requests_total{route="/",code="2xx"}')"
[ "$(m holdon_keepalive_102_sent_total)" = "$n102" ] && ok "/metrics: holdon_keepalive_102_sent_total = $n102 (what curl saw)" ||
  bad "/metrics 102s: $(m holdon_keepalive_102_sent_total) vs curl $n102"
[ "$(m holdon_ready)" = 1 ] && ok "/metrics: holdon_ready 1" || bad "/metrics holdon_ready: $(m holdon_ready)"
log "/metrics sample:"; grep -v '^#' "$WORK/metrics" | sed 's/^/    /'

pq podman logs "$CID" > "$WORK/logs.out" 2> "$WORK/logs.err"
access=$(grep '"method":"PROPFIND"' "$WORK/logs.out" | head -1)
[[ "$access" == '{"time":"'*'"status":207'*'"interim_policy":"allow:neon/"'* ]] &&
  ok "JSON access line on stdout: $access" || bad "access line: '$access'"

# ---------------------------------------------------------------- stop
t=$(now)
pq podman stop -t 10 "$CID" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$CID")
pq podman logs "$CID" > /dev/null 2> "$WORK/logs.err"
log "container stderr:"; sed 's/^/    /' "$WORK/logs.err"
[ "$code" = 0 ] && ok "podman stop (SIGTERM to PID 1): exit code 0 ($(took "$t"))" ||
  bad "exit code $code after SIGTERM (137: SIGTERM ignored, killed)"
# SIGTERM drains: in-flight exchanges finish first, then the process exits 0.
grep -q 'SIGTERM: draining' "$WORK/logs.err" && grep -q 'drained; stopping' "$WORK/logs.err" &&
  ok "holdon logged the drain ('SIGTERM: draining' ... 'drained; stopping')" || bad "no drain message"
pq podman rm "$CID" >/dev/null; CID=""

log "total $(took "$T0")"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
