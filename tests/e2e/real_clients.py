#!/usr/bin/env python3
"""real_clients.py - real HTTP clients through holdon to a slow upstream (~700 ms).

Usage: tests/e2e/real_clients.py [--holdon build/holdon]
holdon runs with interim {mode: auto, first_after: 100ms, every: 100ms}, in front of
tests/peers/slow_upstream.py. Checks:
  1. curl PROPFIND + Depth sees >= 3 "102 Processing", then 207 and the multistatus body
  2. Python http.client (Python-urllib UA, and no UA) gets 207 + body, i.e. no 102 reached it;
     also when the upstream itself sends 102s; keep-alive reuse works; a raw-socket control
     with a DAV client UA does get the 102s
  3. Node's http client counts >= 3 'information' events with 102, then 207 + body
  4. curl -T 20 MiB with Expect: 100-continue, upstream sending 100 and upstream ignoring it:
     200, and the upstream's X-Echo-Body-Len / X-Echo-Body-Sha256 match the file
  5. HTTP/1.0 PROPFIND on a raw socket: no 1xx byte at all, then the final response
Ends with "N passed, M failed"; exit 0 only if nothing failed. Loopback only, bounded (120 s).
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import common
from common import check, skip, step

DELAY = "delay_ms=700"
MULTISTATUS = "</D:multistatus>"
DAV_UA = "cadaver/0.24 neon/0.32.5"


def curl(args, timeout=30):
    """common.curl_verbose, plus the final head's fields: (exit code, stdout bytes, status codes
    seen, final headers dict, stderr)."""
    rc, out, codes, err = common.curl_verbose(args, timeout)
    final = err.rsplit("\n< HTTP/", 1)[-1] if codes else ""
    headers = {k.lower(): v for k, v in re.findall(r"^< ([A-Za-z0-9-]+): (.*)$", final, re.M)}
    return rc, out, codes, headers, err


def t_curl_propfind(rig):
    rc, out, codes, _, err = curl(["-X", "PROPFIND", "-H", "Depth: 1", rig.url("/dav/curl?" + DELAY)])
    n102 = err.count("< HTTP/1.1 102 Processing\n")
    check(rc == 0 and n102 >= 3, "curl PROPFIND: %d x '< HTTP/1.1 102 Processing' (want >= 3)" % n102,
          "rc=%d status lines %s" % (rc, codes))
    check(codes[-1:] == [207] and "\n< HTTP/1.1 207" in err, "curl PROPFIND: final HTTP/1.1 207",
          "status lines %s" % codes)
    check(MULTISTATUS in out.decode("utf-8", "replace"), "curl PROPFIND: multistatus body", repr(out[:200]))


def t_python(rig):
    for ua in ("Python-urllib/3.11", None):
        name = "http.client PROPFIND UA=%s" % (ua or "(none)")
        hdrs = {"Depth": "1"} | ({"User-Agent": ua} if ua else {})
        conn = http.client.HTTPConnection(common.HOST, rig.port, timeout=10)
        try:
            for i in (1, 2):
                t0 = time.monotonic()
                conn.request("PROPFIND", "/dav/py%d?%s" % (i, DELAY), headers=hdrs)
                if i == 1:
                    local = conn.sock.getsockname()
                r = conn.getresponse()
                body = r.read().decode("utf-8", "replace")
                took = time.monotonic() - t0
                check(r.status == 207 and MULTISTATUS in body and took >= 0.6,
                      "%s #%d: 207 + full body after %.2fs (no 102 reached it)" % (name, i, took),
                      "status %d body %r" % (r.status, body[:120]))
            check(r.status == 207 and conn.sock is not None and conn.sock.getsockname() == local,
                  "%s: request #2 went over the same keep-alive connection" % name)
        finally:
            conn.close()
    # the upstream itself sends 102s: holdon must not forward them to a deny-listed UA
    conn = http.client.HTTPConnection(common.HOST, rig.port, timeout=10)
    try:
        conn.request("PROPFIND", "/dav/py3?%s&interim=102&interim_every_ms=100" % DELAY,
                     headers={"User-Agent": "python-requests/2.31.0", "Depth": "1"})
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
        check(r.status == 207 and MULTISTATUS in body,
              "http.client UA=python-requests, upstream sends 102s: none forwarded, 207 + body",
              "status %d body %r" % (r.status, body[:120]))
    finally:
        conn.close()
    # control: the same request from a DAV client UA on a raw socket does see holdon's 102s
    with common.RawConn(rig.port) as c:
        c.send(("PROPFIND /dav/raw?%s HTTP/1.1\r\nHost: x\r\nDepth: 1\r\nUser-Agent: %s\r\n\r\n"
                % (DELAY, DAV_UA)).encode())
        r = c.read_response()
        n102 = sum(1 for code, _ in r.interim if code == 102)
        check(n102 >= 3 and r.status == 207, "control: raw PROPFIND UA=%s gets %d x 102 then %d"
              % (DAV_UA, n102, r.status), "interim %s" % [code for code, _ in r.interim])


def t_node(rig):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_client.js")
    p = subprocess.run(["node", script, rig.url("/dav/node?" + DELAY), "PROPFIND",
                        json.dumps({"User-Agent": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "Depth": "1"})],
                       capture_output=True, timeout=20)
    if not check(p.returncode == 0, "node http PROPFIND completed", p.stderr.decode()[-300:]):
        return
    res = json.loads(p.stdout)
    n102 = res["informational"].count(102)
    check(n102 >= 3, "node http: %d 'information' events with 102 (want >= 3)" % n102, res["informational"])
    check(res["status"] == 207 and MULTISTATUS in res["body"], "node http: final 207 + multistatus body",
          "status %s body %r" % (res["status"], res["body"][:120]))


def t_upload(rig):
    tmp = tempfile.mkdtemp(prefix="holdon-e2e-up-")
    try:
        path, digest = os.path.join(tmp, "big.bin"), hashlib.sha256()
        with open(path, "wb") as f:
            for _ in range(20):
                block = os.urandom(1 << 20)
                digest.update(block)
                f.write(block)
        want = digest.hexdigest()
        for label, extra in (("upstream sends 100", []), ("upstream never sends 100", ["-H", "X-No-Continue: 1"])):
            t0 = time.monotonic()
            rc, out, codes, hdrs, err = curl(["-T", path, "-o", os.devnull] + extra + [rig.url("/dav/big.bin")])
            took = time.monotonic() - t0
            check("\n> Expect: 100-continue" in err, "curl -T 20 MiB (%s): sent Expect: 100-continue" % label)
            check(rc == 0 and codes[-1:] == [200], "curl -T 20 MiB (%s): 200 in %.2fs, 1xx seen %s"
                  % (label, took, [c for c in codes if c < 200]), "rc=%d status lines %s" % (rc, codes))
            check(hdrs.get("x-echo-body-len") == str(20 << 20) and hdrs.get("x-echo-body-sha256") == want,
                  "curl -T 20 MiB (%s): upstream got the same length and sha256" % label,
                  "len %s sha %s" % (hdrs.get("x-echo-body-len"), hdrs.get("x-echo-body-sha256")))
            if not extra:
                check(100 in codes, "curl -T 20 MiB (upstream sends 100): curl saw 100 Continue", codes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def t_http10(rig):
    for label, query in (("holdon's own 102 timer", DELAY),
                         ("upstream sends 102/103", DELAY + "&interim=102,103&interim_every_ms=100")):
        with common.RawConn(rig.port) as c:
            t0 = time.monotonic()
            c.send(("PROPFIND /dav/h10?%s HTTP/1.0\r\nHost: x\r\nDepth: 1\r\nUser-Agent: %s\r\n\r\n"
                    % (query, DAV_UA)).encode())
            r = c.read_response()
            took = time.monotonic() - t0
            check(not r.interim and re.match(rb"HTTP/1\.[01] 207 ", r.first_bytes) and took >= 0.6,
                  "HTTP/1.0 PROPFIND (%s): no 1xx bytes, first bytes %r after %.2fs"
                  % (label, r.first_bytes[:15].decode("latin-1"), took),
                  "interim %s" % [code for code, _ in r.interim])
            check(r.status == 207 and MULTISTATUS.encode() in r.body, "HTTP/1.0 PROPFIND (%s): 207 + body" % label)


def main():
    a = common.arg_parser(__doc__.split("\n")[0]).parse_args()
    with common.Rig(a.holdon) as rig:
        print("holdon on port %d, slow_upstream on port %d" % (rig.port, rig.upstream.port), flush=True)
        for name, fn, binary in (("curl PROPFIND", t_curl_propfind, "curl"), ("python", t_python, None),
                                 ("node", t_node, "node"), ("curl upload", t_upload, "curl"),
                                 ("HTTP/1.0", t_http10, None)):
            if binary and not shutil.which(binary):
                skip("%s: no %s binary (scripts/deps.sh test installs it)" % (name, binary))
                continue
            step(name, fn, rig)
        rc, took = rig.holdon.stop()
        check(took < 5, "holdon stopped on SIGTERM in %.2fs (exit %s)" % (took, rc))


if __name__ == "__main__":
    common.run(main, 120)
