#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets with clang 14 (ASan+UBSan) into build-fuzz and run
# each for a bounded time or number of runs, starting from the seed corpus in tests/fuzz/corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=20] [RUNS=-1]    e.g. scripts/fuzz.sh 0 10000000
# New inputs go to a scratch corpus (the seeds in git are not touched). A crash fails the
# script and leaves the reproducer in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
runs=${2:--1}
scripts/deps.sh fuzz
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DHOLDON_FUZZ=ON -DHOLDON_TESTS=OFF >/dev/null
cmake --build build-fuzz -j2 --target config_fuzz request_head_fuzz href_rewrite_fuzz
mkdir -p build-fuzz/artifacts
# target:corpus pairs
for pair in config_fuzz:config request_head_fuzz:request_head href_rewrite_fuzz:multistatus; do
  t=${pair%%:*} c=${pair##*:}
  work=build-fuzz/corpus/$c
  mkdir -p "$work"
  args=(-runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/artifacts/"$t"- -print_final_stats=1)
  [ "$seconds" != 0 ] && args+=(-max_total_time="$seconds")
  echo "fuzz.sh: $t (${seconds}s, runs $runs)" >&2
  build-fuzz/tests/fuzz/$t "${args[@]}" "$work" tests/fuzz/corpus/$c 2>&1 | grep -E "^(stat::|#[0-9]+ +DONE|==[0-9]+==|SUMMARY|Done )" || true
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "fuzz.sh: $t FAILED (see build-fuzz/artifacts)" >&2; exit 1; }
done
