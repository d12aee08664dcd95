#!/usr/bin/env python3
"""dav_big_file.py - 1 GiB PUT and GET through holdon to Apache mod_dav; holdon's peak RSS.

Usage: nice -n 10 bench/dav_big_file.py [--holdon build/holdon] [--mib 1024] [--limit-mib 32]
Starts Apache httpd + mod_dav on loopback (tests/dav/davpeers.py) and holdon in front of it
(route /dav/ mounted on upstream /, interim mode auto), then from a raw-socket client:
  * PUT --mib MiB (Content-Length, generated on the fly) to /dav/big.bin -> 201; the file
    in Apache's DAV root must have the sha256 of what was sent
  * GET /dav/big.bin, streamed through sha256 -> the same checksum
  * the same PUT and GET directly against Apache, as the reference for the times
Prints the checksums, the times (through holdon / direct, a ratio measured in this run) and
holdon's VmHWM from /proc/PID/status. Exit 0 only if the checksums match and VmHWM <=
--limit-mib. Loopback only; bounded (overall limit 600 s). Needs ~--mib MiB of disk in $TMPDIR.
"""
import hashlib
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "dav"))
import common  # noqa: E402
import davpeers  # noqa: E402
from common import check  # noqa: E402

MIB = 1 << 20


def put(port, path, mib):
    block = os.urandom(MIB)
    digest, t0 = hashlib.sha256(), time.monotonic()
    with common.RawConn(port, timeout=300) as c:
        c.send(("PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: dav-big-file-bench\r\n"
                "Content-Length: %d\r\n\r\n" % (path, mib * MIB)).encode())
        for i in range(mib):
            b = i.to_bytes(8, "big") + block[8:]  # every MiB distinct
            digest.update(b)
            c.send(b)
        r = c.read_response("PUT")
    return r.status, digest.hexdigest(), time.monotonic() - t0


def get(port, path):
    t0 = time.monotonic()
    with common.RawConn(port, timeout=300) as c:
        c.send(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: dav-big-file-bench\r\n\r\n" % path).encode())
        r = c.read_response("GET", keep=0)
    return r.status, r.body_len, r.sha256, time.monotonic() - t0


def file_sha(path):
    d = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            d.update(chunk)
    return d.hexdigest()


def main(args):
    with davpeers.Apache() as apache, tempfile.TemporaryDirectory(prefix="holdon-bench-") as tmp:
        config = davpeers.holdon_config(apache.port, catch_all=False, access="text",
                                        timeouts="{connect: 2s, client_header: 10s, idle: 60s, upstream_response: 300s}")
        h = common.start_holdon(args.holdon, davpeers.write_config(tmp, config))
        try:
            st, sent, t_put = put(h.port, "/dav/big.bin", args.mib)
            on_disk = file_sha(os.path.join(apache.root, "big.bin"))
            check(st == 201 and on_disk == sent, "PUT %d MiB through holdon: 201, sha256 on disk = sent" % args.mib,
                  "status %d, sent %s, on disk %s" % (st, sent, on_disk))
            st, n, got, t_get = get(h.port, "/dav/big.bin")
            check(st == 200 and n == args.mib * MIB and got == sent,
                  "GET %d MiB through holdon: 200, sha256 = sent" % args.mib, "status %d, %d bytes, %s" % (st, n, got))
            mem = common.memory_kib(h.pid)
        finally:
            h.stop()
        os.unlink(os.path.join(apache.root, "big.bin"))
        st, sent2, d_put = put(apache.port, "/big.bin", args.mib)
        st2, n2, got2, d_get = get(apache.port, "/big.bin")
        check(st == 201 and st2 == 200 and got2 == sent2, "direct PUT/GET reference run", "%d %d" % (st, st2))
        print("sha256 sent %s, back through holdon %s" % (sent, got))
        print("PUT %d MiB: through holdon %.1f s, direct %.1f s, ratio %.2f" % (args.mib, t_put, d_put, t_put / d_put))
        print("GET %d MiB: through holdon %.1f s, direct %.1f s, ratio %.2f" % (args.mib, t_get, d_get, t_get / d_get))
        print("holdon VmHWM: %d KiB (%.1f MiB), VmRSS at the end: %d KiB; limit %d MiB"
              % (mem["VmHWM"], mem["VmHWM"] / 1024, mem["VmRSS"], args.limit_mib))
        check(mem["VmHWM"] <= args.limit_mib * 1024, "holdon peak RSS <= %d MiB" % args.limit_mib,
              "VmHWM %d KiB" % mem["VmHWM"])


if __name__ == "__main__":
    ap = common.arg_parser(__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--limit-mib", type=int, default=32)
    args = ap.parse_args()
    common.run(lambda: main(args), limit_s=600)
