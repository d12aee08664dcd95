#!/usr/bin/env bash
# test.sh - the README's test command: install what is missing, build, run every test.
#   scripts/test.sh            unit + wire (doctest) and end-to-end tests with real clients (CTest),
#                              then the unit + wire suite under ASan+UBSan (scripts/sanitize.sh asan)
#                              and a bounded fuzz run, 20 s per target (scripts/fuzz.sh 20)
# Extra CTest arguments are passed through, e.g. scripts/test.sh -R wire
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
# Serial: several tests assert timing windows of 102s; two cores are shared with the peers.
ctest --test-dir build --output-on-failure --timeout 300 "$@"
# The sanitizer and fuzz stages run on a full run only (not with a CTest filter).
if [ $# -eq 0 ]; then
  scripts/sanitize.sh asan
  scripts/fuzz.sh 20
fi
