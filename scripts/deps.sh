#!/usr/bin/env bash
# deps.sh - install what holdon needs from Debian 12's packages, only when missing.
#   scripts/deps.sh build    compiler, CMake/Ninja, Boost 1.81 (Beast/Asio), yaml-cpp, doctest
#   scripts/deps.sh test     build + the peers the test suite talks to (curl, python3, node), the
#                            real client libraries and front proxies of tests/clients and tests/fronts, + fuzz
#   scripts/deps.sh demo     build + what scripts/demo.sh runs: python3 (the slow upstream) and curl
#   scripts/deps.sh fuzz     build + clang 14 with libFuzzer (scripts/fuzz.sh)
#   scripts/deps.sh bench    build + the peers the benchmarks compare with (nginx, HAProxy, wrk)
#   scripts/deps.sh runtime  shared libraries the holdon binary needs at run time
#   scripts/deps.sh container  podman, runc, debootstrap: build and run docker/Dockerfile (tests)
# Idempotent: a package already installed is not touched; apt-get update runs once, only if needed.
set -euo pipefail
what=${1:-build}
build=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev libyaml-cpp-dev doctest-dev libssl-dev)
test=(curl python3 nodejs procps python3-yaml openssl apache2 litmus cadaver)
# Real client libraries (tests/clients): Qt through PyQt, the JDK's two clients and Apache
# HttpClient 4, Go (a program built in the test) and rclone, libsoup 3 through GObject
# introspection, Python's requests, httpx and aiohttp (Debian's python3 carries them).
clients=(python3-pyqt5 python3-pyqt6 openjdk-17-jdk-headless libhttpclient-java golang-go rclone
         python3-gi gir1.2-soup-3.0 python3-requests python3-httpx python3-aiohttp)
# Real front proxies (tests/fronts), each started from a config the tests own.
fronts=(nginx haproxy apache2 caddy varnish squid lighttpd trafficserver)
fuzz=(clang-14 libclang-rt-14-dev)  # libFuzzer and the sanitizer runtimes for clang
runtime=(libyaml-cpp0.7 libstdc++6 libssl3 ca-certificates)
bench=(nginx haproxy wrk curl)
demo=(python3 curl)  # tests/peers/slow_upstream.py needs only Python's standard library
container=(podman runc debootstrap iproute2)  # tests/container; crun fails on this host's cgroups
case "$what" in
  build) want=("${build[@]}") ;;
  test) want=("${build[@]}" "${test[@]}" "${clients[@]}" "${fronts[@]}" "${container[@]}" "${fuzz[@]}") ;;
  container) want=("${container[@]}") ;;
  demo) want=("${build[@]}" "${demo[@]}") ;;
  fuzz) want=("${build[@]}" "${fuzz[@]}") ;;
  bench) want=("${build[@]}" "${bench[@]}") ;;
  runtime) want=("${runtime[@]}") ;;
  *) echo "usage: $0 build|test|demo|bench|container|fuzz|runtime" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Lock timeout: other apt users on a shared machine must not fail the run.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
