#!/usr/bin/env bash
# tls_check.sh HOLDON SOURCE_DIR - `holdon --check` loads every certificate, key and CA file
# named in the configuration: valid ones pass; missing, unreadable, not-PEM and mismatched
# ones are rejected with exit code 2 and a message naming the file, the line and the key.
# Certificates are made at run time (tests/tls/make_pki.sh) and removed at the end.
set -u
# shellcheck source-path=SCRIPTDIR source=check_lib.sh
. "$(dirname "$0")/check_lib.sh" "$@"
bash "$src/tests/tls/make_pki.sh" "$tmp/pki" || { echo "FAIL: make_pki.sh"; exit 1; }
p=$tmp/pki

write() {  # NAME CERT KEY [UPSTREAM-TLS]
  cat > "$tmp/$1.yaml" <<YAML
listen:
  - 127.0.0.1:8080
  - address: 127.0.0.1:8443
    tls:
      certificates:
        - {cert: $p/localhost.pem, key: $p/localhost.key}
        - {cert: $2, key: $3}
upstreams:
  app: {servers: [127.0.0.1:8081], tls: ${4:-{ca_file: $p/ca.pem\}}}
routes: [{upstream: app}]
YAML
}
expect_ok() {
  run_check "$1"
  if [ $rc = 0 ]; then ok "$1: rc=0 ($out)"; else bad "$1: rc=$rc $out"; fi
}

write valid "$p/a.test.pem" "$p/a.test.key"
expect_ok valid
write missing-cert "$p/nope.pem" "$p/a.test.key"
expect_error missing-cert "missing-cert.yaml:7: listen[1].tls.certificates[1].cert: cannot read: '$p/nope.pem'"
write missing-key "$p/a.test.pem" "$p/nope.key"
expect_error missing-key "missing-key.yaml:7: listen[1].tls.certificates[1].key: cannot read: '$p/nope.key'"
cp "$p/a.test.key" "$tmp/unreadable.key"; chmod 000 "$tmp/unreadable.key"
write unreadable-key "$p/a.test.pem" "$tmp/unreadable.key"
if [ "$(id -u)" = 0 ]; then echo "skip: unreadable-key (root reads anything)"
else expect_error unreadable-key "unreadable-key.yaml:7: listen[1].tls.certificates[1].key: cannot read"; fi
write mismatch "$p/a.test.pem" "$p/b.test.key"
expect_error mismatch "mismatch.yaml:7: listen[1].tls.certificates[1].key: '$p/b.test.key' does not match the certificate '$p/a.test.pem'"
write not-pem "$p/a.test.key" "$p/a.test.key"
expect_error not-pem "not-pem.yaml:7: listen[1].tls.certificates[1].cert: not a PEM certificate"
write missing-ca "$p/a.test.pem" "$p/a.test.key" "{ca_file: $p/nope-ca.pem}"
expect_error missing-ca "missing-ca.yaml:9: upstreams.app.tls.ca_file: cannot read: '$p/nope-ca.pem'"
write insecure "$p/a.test.pem" "$p/a.test.key" "{insecure_skip_verify: true}"
run_check insecure
[ $rc = 0 ] && [[ "$out" == *"insecure_skip_verify"*"NOT verified"* ]] && ok "insecure switch: valid and warned ($out)" \
  || bad "insecure switch: rc=$rc $out"
# Start-up refuses the same files (exit 2), before binding anything.
out=$(timeout 10 "$holdon" -c "$tmp/mismatch.yaml" 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"does not match"* ]] && ok "start-up with a mismatched key: rc=2" || bad "start-up: rc=$rc $out"
summary
