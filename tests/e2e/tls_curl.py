#!/usr/bin/env python3
"""tls_curl.py - curl through holdon's HTTPS listener to the slow upstream.

Usage: tests/e2e/tls_curl.py [--holdon build/holdon]
A throwaway CA and certificates are made at run time (tests/tls/make_pki.sh) in a temporary
directory, removed at the end. holdon listens on plain HTTP and on HTTPS (certificates for
localhost and a.test, SNI picks), interim {first_after: 200ms, every: 200ms}. Checks:
  1. curl --cacert PROPFIND over HTTPS (TLS 1.3): >= 4 "< HTTP/1.1 102 Processing", then 207 +
     multistatus body; the upstream saw X-Forwarded-Proto: https
  2. the same with --tlsv1.2 --tls-max 1.2: TLS 1.2, 102s, 207
  3. SNI: https://a.test:PORT (curl --resolve) is served with the a.test certificate
  4. curl without --cacert refuses the certificate (exit 60): verification is real
  5. the plain HTTP listener beside it still works, with X-Forwarded-Proto: http
Ends with "N passed, M failed"; exit 0 only if nothing failed. Loopback only, bounded (90 s).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import common
from common import check, step

MULTISTATUS = "</D:multistatus>"


def curl(args, timeout=30):
    rc, out, codes, err = common.curl_verbose(args, timeout)
    return rc, out.decode("utf-8", "replace"), codes, err


def forwarded_proto(err):
    m = re.search(r"^< X-Echo-Headers: (.*)$", err, re.M)
    if not m:
        return None
    return {k.lower(): v for k, v in json.loads(m.group(1))}.get("x-forwarded-proto")


def t_propfind(ca, url, extra, want_version):
    rc, out, codes, err = curl(["--cacert", ca, "-X", "PROPFIND", "-H", "Depth: 1"] + extra + [url])
    n102 = err.count("< HTTP/1.1 102 Processing\n")
    version = re.search(r"SSL connection using (TLSv[0-9.]+)", err)
    what = "curl PROPFIND over %s" % want_version
    check(rc == 0 and version and version.group(1) == want_version, "%s: handshake" % what,
          "rc=%d %s" % (rc, err[-800:]))
    check(n102 >= 4, "%s: %d x '< HTTP/1.1 102 Processing' (want >= 4)" % (what, n102), "codes %s" % codes)
    check(codes[-1:] == [207] and MULTISTATUS in out, "%s: final 207 + multistatus body" % what,
          "codes %s body %r" % (codes, out[:120]))
    check(forwarded_proto(err) == "https", "%s: upstream saw X-Forwarded-Proto: https" % what,
          repr(forwarded_proto(err)))
    if os.environ.get("E2E_VERBOSE"):
        print(err)


def t_sni(ca, tls_port):
    rc, out, codes, err = curl(["--cacert", ca, "--resolve", "a.test:%d:127.0.0.1" % tls_port,
                                "https://a.test:%d/sni" % tls_port])
    check(rc == 0 and codes[-1:] == [200] and re.search(r"subject: CN\s*=\s*a\.test", err),
          "SNI a.test: served with the a.test certificate", "rc=%d %s" % (rc, err[-600:]))


def t_unverified(tls_port):
    rc, _, _, err = curl(["https://localhost:%d/x" % tls_port])
    check(rc == 60, "curl without --cacert refuses the test CA (exit %d)" % rc, err[-300:])


def t_plain(port):
    rc, out, codes, err = curl(["-X", "PROPFIND", "-H", "Depth: 1",
                                "http://127.0.0.1:%d/dav/plain?delay_ms=700" % port])
    check(rc == 0 and err.count("< HTTP/1.1 102 Processing\n") >= 2 and codes[-1:] == [207],
          "plain HTTP listener beside HTTPS: 102s then 207", "codes %s" % codes)
    check(forwarded_proto(err) == "http", "plain HTTP: X-Forwarded-Proto: http", repr(forwarded_proto(err)))


def main():
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    tmp = tempfile.mkdtemp(prefix="holdon-tls-e2e-")
    upstream = holdon = None
    try:
        subprocess.run(["bash", str(common.ROOT / "tests" / "tls" / "make_pki.sh"), tmp], check=True, timeout=60)
        ca = os.path.join(tmp, "ca.pem")
        upstream = common.start_upstream()
        cfg = os.path.join(tmp, "holdon.yaml")
        common.write_file(cfg,
                          "listen:\n  - 127.0.0.1:0\n  - address: 127.0.0.1:0\n    tls:\n      certificates:\n"
                          "        - {cert: %s/localhost.pem, key: %s/localhost.key}\n"
                          "        - {cert: %s/a.test.pem, key: %s/a.test.key}\n"
                          "threads: 1\nupstreams:\n  dav: {servers: [127.0.0.1:%d]}\nroutes: [{upstream: dav}]\n"
                          "interim: {first_after: 200ms, every: 200ms}\nlog: {access: off}\n"
                          % (tmp, tmp, tmp, tmp, upstream.port))
        holdon = common.start_holdon(args.holdon, cfg)
        tls_port = int(holdon.wait_for(r"listening on https://127\.0\.0\.1:(\d+)", 10).group(1))
        url = "https://localhost:%d/dav/tls?delay_ms=1200" % tls_port

        step("TLS 1.3", t_propfind, ca, url, [], "TLSv1.3")
        step("TLS 1.2", t_propfind, ca, url, ["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2")
        step("SNI", t_sni, ca, tls_port)
        step("verification", t_unverified, tls_port)
        step("plain", t_plain, holdon.port)
    finally:
        for c in (holdon, upstream):
            if c:
                c.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run(main, 90)
