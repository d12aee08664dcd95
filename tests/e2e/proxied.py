#!/usr/bin/env python3
"""proxied.py - requests that came through a proxy, with the real binary: one that nobody
declared (127.0.0.1, sending X-Forwarded-For / Via) and a declared front (127.0.0.2, kind
haproxy, connected from that source address).

Usage: tests/e2e/proxied.py [--holdon build/holdon]
Checks: the undeclared proxy gets no 1xx although its client would (curl's UA), the access log
says why (interim_policy undeclared-proxy:FIELD, client = the peer), /metrics counts every such
request, and the log warns exactly once for three of them, naming the peer and the field; the
upstream never sees the untrusted X-Forwarded-For. Through the declared front the 102s flow,
the access log names the end client from X-Forwarded-For, and the upstream gets the front
appended. Ends with "N passed, M failed"; exit 0 only if nothing failed. Loopback only (60 s).
"""
import json
import os
import re
import tempfile
import urllib.request

import common
from common import check

CURL_UA = b"curl/7.88.1"


def propfind(port, extra, source=None):
    with common.RawConn(port, source=source) as c:
        c.send(b"PROPFIND /p?delay_ms=600 HTTP/1.1\r\nHost: t\r\nUser-Agent: " + CURL_UA +
               b"\r\nDepth: 1\r\n" + extra + b"Content-Length: 0\r\n\r\n")
        return c.read_response("PROPFIND")


def echoed(r, name):
    return [v for k, v in json.loads(r.headers.get("x-echo-headers", "[]")) if k.lower() == name.lower()]


def main():
    args = common.arg_parser(__doc__).parse_args()
    upstream = common.start_upstream()
    tmp = tempfile.mkdtemp(prefix="holdon-proxied-")
    cfg = os.path.join(tmp, "holdon.yaml")
    common.write_file(cfg, "listen: [127.0.0.1:0]\nthreads: 1\n"
                      "upstreams: {app: {servers: [127.0.0.1:%d]}}\n"
                      "routes: [{path_prefix: /, upstream: app}]\n"
                      "fronts: [{name: edge, addresses: [127.0.0.2], kind: haproxy}]\n"
                      "interim: {first_after: 100ms, every: 100ms}\n"
                      "admin: {listen: 127.0.0.1:0}\nlog: {access: json}\n" % upstream.port)
    h = common.Child("holdon", [args.holdon, "-c", cfg])
    try:
        h.port = int(h.wait_for(r"listening on http://127\.0\.0\.1:(\d+)", 10).group(1))
        admin = int(h.wait_for(r"admin on http://127\.0\.0\.1:(\d+)", 10).group(1))

        # Undeclared: three requests that show a proxy, each slow enough for several 102s.
        sent = [b"X-Forwarded-For: 203.0.113.5\r\n", b"Via: 1.1 edge-lb\r\n", b"X-Forwarded-For: 203.0.113.6\r\n"]
        for extra in sent:
            r = propfind(h.port, extra)
            check(r.status == 207 and r.interim == [], "undeclared proxy (%s): 207, no 1xx" % extra.strip().decode(),
                  "status %d, interims %s" % (r.status, [s for s, _ in r.interim]))
        check(echoed(r, "X-Forwarded-For") == ["127.0.0.1"],
              "undeclared proxy: the upstream sees X-Forwarded-For 127.0.0.1 only", echoed(r, "X-Forwarded-For"))
        lines = [json.loads(m.group(0)) for m in h.wait_for_all(r'^\{"time".*"method":"PROPFIND".*\}$', 3, 5)]
        policies = [l["interim_policy"] for l in lines]
        check(policies == ["undeclared-proxy:X-Forwarded-For", "undeclared-proxy:Via", "undeclared-proxy:X-Forwarded-For"],
              "access log: interim_policy names the field", policies)
        check([l["client"] for l in lines] == ["127.0.0.1"] * 3 and all(l["interims"] == 0 for l in lines),
              "access log: client is the peer, interims 0", lines)
        warnings = [l for l in h.all_lines() if "not declared under fronts" in l]
        check(len(warnings) == 1 and "127.0.0.1" in warnings[0] and "X-Forwarded-For" in warnings[0],
              "one warning for three requests, naming the peer and the field", warnings)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin, timeout=5) as m:
            text = m.read().decode()
        got = re.search(r"^holdon_undeclared_proxy_requests_total (\d+)$", text, re.M)
        check(got and int(got.group(1)) == 3, "/metrics: holdon_undeclared_proxy_requests_total 3",
              got.group(0) if got else "missing")

        # Declared front, from 127.0.0.2: the 102s flow and the end client is named.
        r = propfind(h.port, b"X-Forwarded-For: 198.51.100.9\r\n", source="127.0.0.2")
        n102 = sum(1 for s, _ in r.interim if s == 102)
        check(r.status == 207 and n102 >= 3, "declared front: %d x 102, then 207" % n102, r.status)
        check(echoed(r, "X-Forwarded-For") == ["198.51.100.9, 127.0.0.2"],
              "declared front: the upstream gets X-Forwarded-For with the front appended", echoed(r, "X-Forwarded-For"))
        line = json.loads(h.wait_for(r'^\{"time".*"client":"198\.51\.100\.9".*\}$', 5).group(0))
        check(line["interim_policy"] == "allow:curl/" and line["interims"] == n102,
              "access log: client 198.51.100.9 (from X-Forwarded-For), policy allow:curl/", line)
    finally:
        code, _ = h.stop()
        upstream.stop()
    check(code == 0, "SIGTERM: exit 0", code)


if __name__ == "__main__":
    common.run(main, 60)
