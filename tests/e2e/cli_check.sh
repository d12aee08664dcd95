#!/usr/bin/env bash
# cli_check.sh HOLDON SOURCE_DIR - `holdon --check` accepts the shipped config and rejects bad
# ones with exit code 2 and a message naming the file, the line and the key.
set -u
# shellcheck source-path=SCRIPTDIR source=check_lib.sh
. "$(dirname "$0")/check_lib.sh" "$@"

out=$("$holdon" --check -c "$src/conf/holdon.yaml" 2>&1); rc=$?
[ $rc = 0 ] && ok "conf/holdon.yaml is valid ($out)" || bad "conf/holdon.yaml rejected: rc=$rc $out"

base='listen: [127.0.0.1:8080]
upstreams: {app: {servers: [127.0.0.1:8081]}}
routes: [{path_prefix: /, upstream: app}]'
expect_error unknown-key "unknown-key.yaml:4: interim.frist_after: unknown key" "$base
interim: {frist_after: 1s}"
expect_error bad-duration "bad-duration.yaml:5: timeouts.connect: bad duration '5 seconds'" "$base
timeouts:
  connect: 5 seconds"
expect_error bad-address "bad-address.yaml:1: listen[0]: bad address" 'listen: [127.0.0.1:80800]
upstreams: {app: {servers: [127.0.0.1:8081]}}
routes: [{path_prefix: /, upstream: app}]'
expect_error wrong-type "wrong-type.yaml:4: limits.max_header_bytes: must be a single value, not a list" "$base
limits: {max_header_bytes: [1]}"
expect_error bad-front-kind "bad-front-kind.yaml:5: fronts[0].kind: unknown kind 'nginix' (one of: none, haproxy, nginx," "$base
fronts:
  - {addresses: [10.0.0.0/8], kind: nginix}"
expect_error bad-front-address "bad-front-address.yaml:6: fronts[0].addresses: bad address '10.0.0.0/40'" "$base
fronts:
  - kind: haproxy
    addresses: [10.0.0.0/40]"
run_check no-such
[ $rc = 2 ] && [[ "$out" == *"no-such.yaml: cannot open"* ]] && ok "missing file: rc=2" || bad "missing file: rc=$rc $out"
out=$("$holdon" --version); [[ "$out" == "holdon "* ]] && ok "--version: $out" || bad "--version: $out"
summary
