# shellcheck shell=bash
# check_lib.sh - sourced by cli_check.sh and tls_check.sh as `. check_lib.sh HOLDON SOURCE_DIR`:
# the ok/bad counters, a temp dir $tmp removed at exit, `holdon --check` on $tmp/NAME.yaml and
# the closing summary. Not run on its own.
# shellcheck disable=SC2034  # src: for the sourcing script
holdon=$1; src=$2
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok: $*"; }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# run_check NAME: `holdon --check` on $tmp/NAME.yaml; its output in $out, its exit code in $rc.
run_check() { out=$("$holdon" --check -c "$tmp/$1.yaml" 2>&1); rc=$?; }

# expect_error NAME EXPECTED-SUBSTRING [YAML]: --check rejects $tmp/NAME.yaml (written from YAML
# if given) with exit code 2 and a message containing EXPECTED-SUBSTRING.
expect_error() {
  [ $# -lt 3 ] || printf '%s\n' "$3" > "$tmp/$1.yaml"
  run_check "$1"
  if [ $rc = 2 ] && [[ "$out" == *"$2"* ]]; then ok "$1: rc=2, $out"; else bad "$1: rc=$rc, wanted '$2' in: $out"; fi
}

# summary: the last command of a check script; its exit status is the script's.
summary() {
  echo "$pass passed, $fail failed"
  [ $fail = 0 ]
}
