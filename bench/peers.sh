#!/usr/bin/env bash
# peers.sh - the reference processes the benchmarks compare holdon with, on loopback only.
#   bench/peers.sh start origin PORT                      nginx static origin: /100b /64k
#   bench/peers.sh start nginx|haproxy PORT UPSTREAM_PORT careful reverse-proxy configs
#   bench/peers.sh start haproxy-tcp|floor PORT UPSTREAM_PORT  byte relays, no HTTP: HAProxy in
#                                               mode tcp, and build/bench/floor_relay (the floor)
#   bench/peers.sh stop KIND PORT
# Careful configs, as an operator would tune them for a pass-through proxy: HTTP/1.1 and
# keep-alive to the upstream, buffering off, request bodies streamed, no body limit, no
# access log, as many workers as holdon has threads (BENCH_WORKERS, default 1). BENCH_PIN=1:
# the proxies (and the floor) run on CPU 0, the origin on CPU 1 (see common.sh).
# Runtime files live in ${BENCH_RUN_DIR:-/tmp/holdon-bench.$UID}/KIND-PORT.
set -euo pipefail
cmd=${1:-} kind=${2:-} port=${3:-} up=${4:-}
W=${BENCH_WORKERS:-1}
D=${BENCH_RUN_DIR:-/tmp/holdon-bench.$(id -u)}/$kind-$port
usage() { sed -n '2,12p' "$0" >&2; exit 2; }
cpu0=() cpu1=()  # command prefixes: taskset execs the command (the floor's $! stays its pid)
if [ "${BENCH_PIN:-0}" = 1 ]; then cpu0=(taskset -c 0) cpu1=(taskset -c 1); fi
[ -n "$port" ] || usage

nginx_conf() {  # $1 = the http block's servers
  printf '%s\n' "worker_processes $W;" "pid $D/nginx.pid;" "error_log $D/error.log warn;" \
    "worker_rlimit_nofile 20000;" "events { worker_connections 19000; }" \
    "http { access_log off; keepalive_requests 100000;" \
    "  client_body_temp_path $D/tmp; proxy_temp_path $D/tmp; fastcgi_temp_path $D/tmp;" \
    "  uwsgi_temp_path $D/tmp; scgi_temp_path $D/tmp;" "$1" "}"
}

start() {
  # A previous instance on this port is stopped first: with reuseport a second one would bind
  # the same port and take half of the connections, silently.
  stop
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "peers.sh: port $port is busy" >&2; exit 1; fi
  rm -rf "$D"; mkdir -p "$D/tmp" "$D/www"
  case $kind in
    origin)
      head -c 100 /dev/zero | tr '\0' 'a' > "$D/www/100b"
      head -c 65536 /dev/zero | tr '\0' 'b' > "$D/www/64k"
      # As ../shared/testbed/fast-backend.sh (the origin the issue's reference ratios were
      # measured against): static files with sendfile, one worker.
      nginx_conf "sendfile on; tcp_nopush on; keepalive_timeout 60s; default_type application/octet-stream;
  server { listen 127.0.0.1:$port reuseport; root $D/www; client_max_body_size 0;
    location / { try_files \$uri =404; } }" > "$D/nginx.conf"
      "${cpu1[@]}" /usr/sbin/nginx -c "$D/nginx.conf" ;;
    nginx)
      nginx_conf "upstream be { server 127.0.0.1:$up; keepalive 64; keepalive_requests 100000; }
  server { listen 127.0.0.1:$port reuseport; client_max_body_size 0;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection \"\";
      proxy_set_header Host \$http_host; proxy_request_buffering off; proxy_buffering off;
      proxy_read_timeout 300s; } }" > "$D/nginx.conf"
      "${cpu0[@]}" /usr/sbin/nginx -c "$D/nginx.conf" ;;
    haproxy)
      printf '%s\n' global "  nbthread $W" "  maxconn 9000" "  pidfile $D/haproxy.pid" \
        defaults "  mode http" "  option http-keep-alive" "  http-reuse safe" "  timeout connect 5s" \
        "  timeout client 300s" "  timeout server 300s" "  timeout http-request 60s" \
        "  timeout http-keep-alive 15s" "frontend fe" "  bind 127.0.0.1:$port" "  default_backend be" \
        "backend be" "  server s1 127.0.0.1:$up maxconn 9000" > "$D/haproxy.cfg"
      "${cpu0[@]}" /usr/sbin/haproxy -D -f "$D/haproxy.cfg" ;;
    haproxy-tcp)
      printf '%s\n' global "  nbthread $W" "  maxconn 9000" "  pidfile $D/haproxy.pid" \
        defaults "  mode tcp" "  timeout connect 5s" "  timeout client 300s" "  timeout server 300s" \
        "listen relay" "  bind 127.0.0.1:$port" "  server s1 127.0.0.1:$up maxconn 9000" > "$D/haproxy.cfg"
      "${cpu0[@]}" /usr/sbin/haproxy -D -f "$D/haproxy.cfg" ;;
    floor)
      # One thread by design: the least work per byte, not the most throughput per machine.
      "${cpu0[@]}" "$(dirname "$0")/../build/bench/floor_relay" --port "$port" --upstream "$up" > "$D/floor.log" 2>&1 &
      echo $! > "$D/floor.pid" ;;
    *) usage ;;
  esac
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "peers.sh: $kind did not listen on $port" >&2; exit 1
}

stop() {
  local f p
  for f in "$D/nginx.pid" "$D/haproxy.pid" "$D/floor.pid"; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
}

case $cmd in start) start ;; stop) stop ;; *) usage ;; esac
