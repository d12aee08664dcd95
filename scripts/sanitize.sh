#!/usr/bin/env bash
# sanitize.sh - build the unit + wire suite with sanitizers and run it.
#   scripts/sanitize.sh asan    ASan + UBSan, into build-asan (CI runs this from scripts/test.sh)
#   scripts/sanitize.sh tsan    TSan, into build-tsan
# Extra arguments go to the doctest binary, e.g. scripts/sanitize.sh tsan -tc='wire:*'
# Any sanitizer report fails the run (halt_on_error / -fno-sanitize-recover).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
shift || true
case "$kind" in
  asan) dir=build-asan san=address,undefined ;;
  tsan) dir=build-tsan san=thread ;;
  *) echo "usage: $0 asan|tsan [doctest args]" >&2; exit 2 ;;
esac
scripts/deps.sh build
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDON_SANITIZE="$san" >/dev/null
cmake --build "$dir" -j2 --target holdon_tests
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
echo "sanitize.sh: running the unit + wire suite under $san" >&2
"$dir/tests/holdon_tests" "$@"
