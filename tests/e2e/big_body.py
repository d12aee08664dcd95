#!/usr/bin/env python3
"""big_body.py - holdon streams big bodies both ways in bounded memory.

Usage: tests/e2e/big_body.py [--holdon build/holdon] [--mib 100]
Through holdon to tests/peers/slow_upstream.py, from a raw-socket client:
  * PUT --mib MiB with Content-Length (upstream pauses 1 s before reading: holdon must not
    slurp the body meanwhile) and PUT --mib MiB chunked; the data is generated on the fly and
    the upstream's X-Echo-Body-Len / X-Echo-Body-Sha256 must match what was sent
  * GET --mib MiB (Content-Length, client stalls 1 s before reading) and GET chunked; length
    and sha256 computed by the client while streaming
Then holdon's VmHWM (/proc/PID/status) must be <= 32 MiB; prints "holdon VmHWM: N KiB".
Ends with "N passed, M failed"; exit 0 only if nothing failed; fails if it takes > 120 s.
"""
import hashlib
import os
import time

import common
from common import check, step

MIB = 1 << 20
HWM_LIMIT_KIB = 32 * 1024
UA = "User-Agent: big-body-e2e/1\r\n"


def blocks(mib):
    """mib distinct 1 MiB blocks (a counter + random bytes), made on the fly."""
    base = os.urandom(MIB)
    for i in range(mib):
        yield i.to_bytes(8, "big") + base[8:]


def t_put(rig, mib, chunked):
    label = "PUT %d MiB %s" % (mib, "chunked" if chunked else "Content-Length, upstream reads after 1 s")
    query = "" if chunked else "?read_pause_ms=1000"
    framing = "Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % (mib * MIB)
    digest, t0 = hashlib.sha256(), time.monotonic()
    with common.RawConn(rig.port, timeout=60) as c:
        c.send(("PUT /big/put%s HTTP/1.1\r\nHost: x\r\n%s%s\r\n\r\n" % (query, UA, framing)).encode())
        for b in blocks(mib):
            digest.update(b)
            c.send(b"%x\r\n%s\r\n" % (len(b), b) if chunked else b)
        if chunked:
            c.send(b"0\r\n\r\n")
        r = c.read_response()
    took = time.monotonic() - t0
    h = r.headers
    check(r.status == 200 and h.get("x-echo-body-len") == str(mib * MIB)
          and h.get("x-echo-body-sha256") == digest.hexdigest(),
          "%s: upstream got the same length and sha256 (%.1fs)" % (label, took),
          "status %d len %s sha %s want %s" % (r.status, h.get("x-echo-body-len"),
                                               h.get("x-echo-body-sha256"), digest.hexdigest()))


def t_get(rig, mib, chunked, want_sha):
    label = "GET %d MiB %s" % (mib, "chunked" if chunked else "Content-Length, client stalls 1 s")
    query = "body_size=%d" % (mib * MIB) + ("&chunked=1&chunk_size=65536" if chunked else "")
    t0 = time.monotonic()
    with common.RawConn(rig.port, timeout=60) as c:
        c.send(("GET /big/get?%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (query, UA)).encode())
        r = c.read_response(keep=0, stall_s=0 if chunked else 1.0)
    took = time.monotonic() - t0
    check(r.status == 200 and r.body_len == mib * MIB and r.sha256 == want_sha,
          "%s: client got the right length and sha256 (%.1fs)" % (label, took),
          "status %d len %d sha %s" % (r.status, r.body_len, r.sha256))


def main():
    ap = common.arg_parser(__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=100, help="body size in MiB (default 100)")
    a = ap.parse_args()
    want_sha = common.sha256_of_xs(a.mib * MIB)
    with common.Rig(a.holdon) as rig:
        print("holdon on port %d (pid %d), slow_upstream on port %d"
              % (rig.port, rig.holdon.pid, rig.upstream.port), flush=True)
        before = common.memory_kib(rig.holdon.pid)
        for chunked in (False, True):
            step("PUT", t_put, rig, a.mib, chunked)
        for chunked in (False, True):
            step("GET", t_get, rig, a.mib, chunked, want_sha)
        mem = common.memory_kib(rig.holdon.pid)
        print("holdon VmHWM: %d KiB (VmRSS %d KiB; VmRSS at start %d KiB)"
              % (mem["VmHWM"], mem["VmRSS"], before["VmRSS"]), flush=True)
        check(mem["VmHWM"] <= HWM_LIMIT_KIB, "holdon VmHWM %d KiB <= %d KiB" % (mem["VmHWM"], HWM_LIMIT_KIB))


if __name__ == "__main__":
    common.run(main, 120)
