#!/usr/bin/env bash
# make_pki.sh DIR - a throwaway test CA and server certificates (never committed; the tests
# generate them at run time). EC P-256 keys, valid for 2 days. Writes into DIR:
#   ca.pem ca.key                     the CA (trust it with curl --cacert DIR/ca.pem)
#   localhost.pem localhost.key       DNS:localhost, IP:127.0.0.1
#   a.test.pem a.test.key             DNS:a.test, DNS:*.a.test
#   b.test.pem b.test.key             DNS:b.test
#   other-ca.pem                      an unrelated CA (to prove that verification fails)
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=holdon test CA" -keyout ca.key -out ca.pem \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=holdon other CA" -keyout other-ca.key -out other-ca.pem
rm -f other-ca.key
leaf() {  # NAME SAN
  ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
  ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
leaf localhost "DNS:localhost,IP:127.0.0.1"
leaf a.test "DNS:a.test,DNS:*.a.test"
leaf b.test "DNS:b.test"
chmod 600 ./*.key
