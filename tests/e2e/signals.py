#!/usr/bin/env python3
"""signals.py - the holdon binary under SIGTERM (graceful drain) and SIGHUP (reload).

Usage: tests/e2e/signals.py [--holdon build/holdon]
  1. SIGTERM with a slow PROPFIND in flight and an idle keep-alive client: the listener stops
     (new connections refused), the idle client is closed, the in-flight one still gets its
     102s and then its 207 (Connection: close); holdon exits 0.
  2. SIGTERM with an exchange longer than drain_timeout: holdon exits 0 at the deadline and
     the held client is closed.
  3. SIGHUP: a slow request in flight across the reload completes; established connections
     keep the old config (Via pseudonym), new ones get the new one; an invalid file is
     rejected with a log line and the running config keeps serving.
Ends with "N passed, M failed"; exit 0 only if nothing failed. Loopback only, bounded (90 s).
"""
import contextlib
import os
import signal
import socket
import tempfile
import time

import common
from common import check, step

DAV_UA = "litmus/0.13 neon/0.32.5"


@contextlib.contextmanager
def running(via="edge-a", drain="5s"):
    """slow_upstream + holdon (via, drain_timeout) for one test: yields (upstream, holdon, config
    path) and stops both, by PID, at the end."""
    up, h = common.start_upstream(), None
    try:
        path = common.write_file(os.path.join(tempfile.mkdtemp(prefix="holdon-signals-"), "holdon.yaml"),
                                 common.config_yaml(up.port) + "via: %s\ndrain_timeout: %s\n" % (via, drain))
        h = common.start_holdon(a.holdon, path)
        yield up, h, path
    finally:
        if h:
            h.stop()
        up.stop()


def request(c, method, target, ua=DAV_UA):
    c.send(("%s %s HTTP/1.1\r\nHost: sig\r\nUser-Agent: %s\r\nDepth: 1\r\n\r\n" % (method, target, ua)).encode())


def in_flight(h, method, target):
    """A connection whose request is in flight: sent, and its first head read; (conn, status)."""
    c = common.RawConn(h.port, timeout=20)
    request(c, method, target)
    _, status, _, _ = c.read_head()
    return c, status


def refused(port):
    try:
        socket.create_connection((common.HOST, port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def t_sigterm_drains(_):
    with running() as (up, h, _):
        idle = common.RawConn(h.port)
        request(idle, "GET", "/fast")
        check(idle.read_response().status == 200, "SIGTERM: idle keep-alive client got its 200 first")
        held, status = in_flight(h, "PROPFIND", "/slow?delay_ms=1500")
        check(status == 102, "SIGTERM: the held PROPFIND got a 102 before the signal")
        os.kill(h.pid, signal.SIGTERM)
        h.wait_for(r"SIGTERM: draining", 5)
        check(refused(h.port), "SIGTERM: new connections are refused while draining")
        idle.sock.settimeout(3)
        check(idle.sock.recv(100) == b"", "SIGTERM: the idle keep-alive connection was closed")
        r = held.read_response(method="PROPFIND")
        n102 = sum(1 for s, _ in r.interim if s == 102)
        check(n102 >= 3, "SIGTERM: the in-flight exchange kept getting 102s while draining (%d)" % n102)
        check(r.status == 207 and r.headers.get("connection") == "close",
              "SIGTERM: the in-flight exchange finished with its 207 and Connection: close",
              "status %d headers %s" % (r.status, r.headers))
        rc = h.proc.wait(5)
        check(rc == 0, "SIGTERM: holdon exited 0 after the drain (exit %s)" % rc)


def t_sigterm_deadline(_):
    with running(drain="600ms") as (up, h, _):
        held, status = in_flight(h, "GET", "/forever?delay_ms=15000")  # a 102: the exchange is in flight
        check(status == 102, "SIGTERM: the long exchange is in flight (102) before the signal")
        t0 = time.monotonic()
        os.kill(h.pid, signal.SIGTERM)
        rc = h.proc.wait(10)
        took = time.monotonic() - t0
        check(rc == 0 and 0.5 <= took < 4, "SIGTERM: exit 0 at drain_timeout (600ms) with an exchange left: "
              "%.2fs, exit %s" % (took, rc))
        held.sock.settimeout(3)
        got = b""
        try:
            while (chunk := held.sock.recv(65536)):
                got += chunk
        except ConnectionResetError:
            pass
        rest = got.replace(b"HTTP/1.1 102 Processing\r\n\r\n", b"")
        check(rest == b"", "SIGTERM: the exchange past the deadline was cut: only 102s (%d), then the close"
              % got.count(b" 102 "), repr(rest[:200]))


def t_sighup_reload(_):
    with running(via="edge-a") as (up, h, path):
        old = common.RawConn(h.port, timeout=20)
        request(old, "GET", "/before")
        r = old.read_response()
        check("edge-a" in r.headers.get("via", ""), "SIGHUP: before the reload, Via names edge-a", r.headers)
        held, status = in_flight(h, "PROPFIND", "/slow?delay_ms=1200")
        common.write_file(path, common.config_yaml(up.port) + "via: edge-b\n")
        os.kill(h.pid, signal.SIGHUP)
        h.wait_for(r"SIGHUP: configuration reloaded", 5)
        fresh = common.RawConn(h.port)
        request(fresh, "GET", "/after")
        r = fresh.read_response()
        check(r.status == 200 and "edge-b" in r.headers.get("via", ""),
              "SIGHUP: a new connection uses the reloaded config (Via edge-b)", r.headers)
        request(old, "GET", "/old-again")
        r = old.read_response()
        check(r.status == 200 and "edge-a" in r.headers.get("via", ""),
              "SIGHUP: an established connection is kept, with its config (Via edge-a)", r.headers)
        r = held.read_response(method="PROPFIND")
        check(status == 102 and r.status == 207, "SIGHUP: the exchange in flight across the reload completed",
              "first %d final %d" % (status, r.status))
        common.write_file(path, "listen: [127.0.0.1:0\nroutes: nope\n")
        os.kill(h.pid, signal.SIGHUP)
        m = h.wait_for(r"SIGHUP: new configuration rejected.*", 5)
        check(True, "SIGHUP: an invalid file is rejected with a log line: %s" % m.group(0)[:100])
        c = common.RawConn(h.port)
        request(c, "GET", "/still")
        r = c.read_response()
        check(r.status == 200 and "edge-b" in r.headers.get("via", ""),
              "SIGHUP: after the rejected reload the running config keeps serving (Via edge-b)")
        check(h.proc.poll() is None, "SIGHUP: holdon is still running")


def main():
    for name, fn in (("sigterm drain", t_sigterm_drains), ("sigterm deadline", t_sigterm_deadline),
                     ("sighup reload", t_sighup_reload)):
        step(name, fn, None)


if __name__ == "__main__":
    a = common.arg_parser(__doc__.split("\n")[0]).parse_args()
    common.run(main, 90)
