#!/usr/bin/env python3
"""slow_upstream.py - holdon's test origin: a threaded HTTP/1.1 server (Python stdlib only)
that answers slowly, sends 1xx on request, streams big bodies and can misbehave.

Usage:  slow_upstream.py [--host 127.0.0.1] [--port 0] [--quiet]
Prints "slow_upstream listening on http://HOST:PORT" (flushed) on stdout once bound; a log
line per request on stderr unless --quiet. Stops cleanly on SIGTERM / SIGINT.

Per-request controls, as a header or as a query parameter (X-Delay-Ms: 5 == ?delay_ms=5):
  X-Delay-Ms: N          wait N ms after reading the request body, then answer
  X-Read-Pause-Ms: N     wait N ms before reading the request body (upload backpressure tests)
  X-Status: NNN          final status (default 200; PROPFIND: 207 with a multistatus body)
  X-Body-Size: N         body of N bytes of 'x', streamed in pieces (any size, constant memory)
  X-Chunked: 1           Transfer-Encoding: chunked, chunks of X-Chunk-Size bytes (default 8192)
  X-Interim: 102,103     send these 1xx before the final response (103 carries a Link header);
                         never sent to an HTTP/1.0 request
  X-Interim-Every-Ms: N  during the delay, repeat the last interim every N ms
  X-Close: 1             answer with "Connection: close" and close
  X-No-Continue: 1       never answer "Expect: 100-continue" (an upstream that ignores it)
  X-Misbehave: MODE      close:       read the request, wait the delay, close without answering
                         garbage:     send non-HTTP bytes, close
                         partial:     announce Content-Length, send half the body, close
                         huge-header: add X-Huge: <X-Huge-Size bytes, default 65536>
                         no-length:   no Content-Length / chunked, body ends at close
Every normal response carries X-Echo-Method, X-Echo-Target, X-Echo-Headers (JSON list of
[name, value] as received), X-Echo-Body-Len, X-Echo-Body-Sha256 (of the request body, hashed
while streaming it in) and X-Backend-Conn ("clientport#n": n-th request on that connection).
"""
import argparse
import hashlib
import http
import http.server
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

PIECE = 256 * 1024
XS = b"x" * PIECE
XSV = memoryview(XS)
TRUE = ("1", "yes", "true", "on")


def reason(code):
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return {102: "Processing", 103: "Early Hints"}.get(code, "Unknown")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "slow_upstream/1"
    timeout = 120  # an idle or stuck connection does not hold its thread forever
    quiet = False

    def setup(self):
        super().setup()
        self.nreq = 0

    def __getattr__(self, name):  # any method: do_GET, do_PROPFIND, do_MKCOL, do_FOO ...
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("slow_upstream [%d] %s\n" % (self.client_address[1], fmt % args))

    # ---- per-request options ----------------------------------------------------------
    def opt(self, name, default=None):
        v = self.headers.get(name)
        if v is None:  # X-Delay-Ms -> ?delay_ms=
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            v = query.get(name[2:].lower().replace("-", "_"), [None])[0]
        return default if v is None else v.strip()

    def iopt(self, name, default=0):
        try:
            return int(self.opt(name, default))
        except ValueError:
            return default

    def flag(self, name):
        return self.opt(name, "0").lower() in TRUE

    # ---- I/O --------------------------------------------------------------------------
    def send_raw(self, data):
        self.wfile.write(data)  # wfile is unbuffered: one sendall per call

    def handle_expect_100(self):
        if self.flag("X-No-Continue"):
            self.log_message("Expect: 100-continue ignored (X-No-Continue)")
            return True  # the client sends its body anyway, after its own timeout
        return super().handle_expect_100()

    def read_exact(self, n, digest):
        while n > 0:
            piece = self.rfile.read(min(n, PIECE))
            if not piece:
                raise ConnectionError("EOF inside the request body")
            digest.update(piece)
            n -= len(piece)

    def read_body(self):
        """Stream the request body through sha256; return (length, hex digest)."""
        digest, total = hashlib.sha256(), 0
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                if not line.endswith(b"\n"):
                    raise ConnectionError("bad chunk-size line %r" % line[:40])
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailer fields
                    break
                self.read_exact(size, digest)
                total += size
                if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    raise ConnectionError("chunk not followed by CRLF")
        else:
            total = int(self.headers.get("Content-Length") or 0)
            self.read_exact(total, digest)
        return total, digest.hexdigest()

    def send_interim(self, code):
        link = "Link: </style.css>; rel=preload; as=style\r\n" if code == 103 else ""
        self.send_raw(("HTTP/1.1 %d %s\r\n%s\r\n" % (code, reason(code), link)).encode())

    def send_body(self, size, body, chunked, chunk_size):
        """Send `body` (bytes) or, if it is None, `size` bytes of 'x', never all in memory."""
        if not chunked:
            return self.send_raw(body) if body is not None else self.send_xs(size)
        for off in range(0, size, chunk_size):
            n = min(chunk_size, size - off)
            if body is not None:
                self.send_raw(b"%x\r\n%s\r\n" % (n, body[off:off + n]))
            elif n <= PIECE:
                self.send_raw(b"%x\r\n%s\r\n" % (n, XS[:n]))
            else:
                self.send_raw(b"%x\r\n" % n)
                self.send_xs(n)
                self.send_raw(b"\r\n")
        self.send_raw(b"0\r\n\r\n")

    def send_xs(self, n):
        while n > 0:
            self.send_raw(XSV[:min(n, PIECE)])
            n -= PIECE

    def hard_close(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- the one handler --------------------------------------------------------------
    def handle_any(self):
        self.nreq += 1
        t0 = time.monotonic()
        mode = self.opt("X-Misbehave", "")
        time.sleep(self.iopt("X-Read-Pause-Ms") / 1000.0)
        try:
            body_len, body_sha = self.read_body()
        except (ConnectionError, ValueError) as e:
            self.log_message('"%s" request body: %s', self.requestline, e)
            return self.hard_close()
        interims = self.interims_and_delay()
        if mode in ("close", "garbage"):
            return self.misbehave_unanswered(mode)
        self.send_final(mode, body_len, body_sha, interims, t0)

    def interims_and_delay(self):
        """Send the X-Interim 1xx, wait X-Delay-Ms (repeating the last interim every
        X-Interim-Every-Ms); return the list of interim codes."""
        interims = [int(c) for c in self.opt("X-Interim", "").split(",") if c.strip()]
        if self.request_version == "HTTP/1.0":
            interims = []  # RFC 9110 15.2: no 1xx to an HTTP/1.0 client
        every = self.iopt("X-Interim-Every-Ms") / 1000.0
        for code in interims:
            self.send_interim(code)
        deadline = time.monotonic() + self.iopt("X-Delay-Ms") / 1000.0
        while (left := deadline - time.monotonic()) > 0:
            if interims and every > 0:
                time.sleep(min(every, left))
                if deadline - time.monotonic() > 0:
                    self.send_interim(interims[-1])
            else:
                time.sleep(left)
        return interims

    def misbehave_unanswered(self, mode):
        """X-Misbehave close / garbage: no HTTP answer at all, then close."""
        if mode == "close":
            self.log_message('"%s" misbehave=close', self.requestline)
            return self.hard_close()
        self.send_raw(b"\x00\x01 THIS IS NOT HTTP \xff\xfe\r\n\r\n")
        self.log_message('"%s" misbehave=garbage', self.requestline)
        return self.hard_close()

    def final_body(self, method, status, body_len, body_sha):
        """(size, body, content type) of the final response; body None means `size` bytes of 'x'."""
        size = self.opt("X-Body-Size")
        if size is not None:
            return max(0, int(size)), None, "application/octet-stream"
        if method == "PROPFIND" and status == 207:
            href = escape(urllib.parse.urlsplit(self.path).path)
            body = ('<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n'
                    '<D:response><D:href>%s</D:href><D:propstat><D:prop><D:resourcetype/>'
                    '</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n'
                    '</D:multistatus>\n' % href).encode()
            ctype = 'application/xml; charset="utf-8"'
        else:
            body = (json.dumps({"method": method, "target": self.path,
                                "body_len": body_len, "body_sha256": body_sha}) + "\n").encode()
            ctype = "application/json"
        return len(body), body, ctype

    def echo_headers(self, ctype, body_len, body_sha):
        return [("Date", self.date_time_string()), ("Server", self.server_version),
                ("Content-Type", ctype),
                ("X-Echo-Method", self.command), ("X-Echo-Target", self.path),
                ("X-Echo-Headers", json.dumps(list(self.headers.items()))),
                ("X-Echo-Body-Len", str(body_len)), ("X-Echo-Body-Sha256", body_sha),
                ("X-Backend-Conn", "%d#%d" % (self.client_address[1], self.nreq))]

    def framing_headers(self, mode, status, size, chunked):
        """Content-Length or Transfer-Encoding, and Connection: close; sets close_connection."""
        hdrs = []
        if mode == "no-length":
            self.close_connection = True
        elif chunked:
            hdrs.append(("Transfer-Encoding", "chunked"))
        elif status not in (204, 304):
            hdrs.append(("Content-Length", str(size)))
        if self.flag("X-Close"):
            self.close_connection = True
        if self.close_connection:
            hdrs.append(("Connection", "close"))
        return hdrs

    def send_final(self, mode, body_len, body_sha, interims, t0):
        """The final response: head, body (whole, or half for X-Misbehave: partial), log line."""
        method = self.command
        status = self.iopt("X-Status", 207 if method == "PROPFIND" else 200)
        size, body, ctype = self.final_body(method, status, body_len, body_sha)
        no_body = method == "HEAD" or status in (204, 304)

        hdrs = self.echo_headers(ctype, body_len, body_sha)
        if mode == "huge-header":
            hdrs.append(("X-Huge", "h" * self.iopt("X-Huge-Size", 65536)))
        chunked = self.flag("X-Chunked") and not no_body and mode != "no-length"
        hdrs += self.framing_headers(mode, status, size, chunked)

        head = "HTTP/1.1 %d %s\r\n" % (status, reason(status))
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        self.send_raw(head.encode("latin-1", "replace"))
        if mode == "partial":
            size = max(1, size // 2)
            body = body[:size] if body is not None else None
        if not no_body:
            self.send_body(size, body, chunked, max(1, self.iopt("X-Chunk-Size", 8192)))
        self.log_message('"%s" %d in=%d out=%d %.0fms%s%s', self.requestline, status, body_len,
                         0 if no_body else size, (time.monotonic() - t0) * 1000,
                         " interim=%s" % interims if interims else "",
                         " misbehave=" + mode if mode else "")
        if mode == "partial":
            self.hard_close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--quiet", action="store_true", help="no per-request log on stderr")
    a = ap.parse_args()
    Handler.quiet = a.quiet

    # SIGTERM/SIGINT stay blocked in every thread (threads inherit the mask) and the main
    # thread takes them synchronously with sigwait: no handler can land in a worker thread.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    srv = Server((a.host, a.port), Handler)
    print("slow_upstream listening on http://%s:%d" % srv.server_address[:2], flush=True)
    threading.Thread(target=srv.serve_forever, args=(0.1,), name="serve", daemon=True).start()
    signal.sigwait(stop_signals)
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
