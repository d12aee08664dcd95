#!/usr/bin/env python3
"""matrix_upstream.py - tests/peers/slow_upstream.py with three additions for client_matrix.py.

Usage: matrix_upstream.py [--port 0]   (prints "slow_upstream listening on http://HOST:PORT")
  * every request is reported on stdout as one line
        req {"method": ..., "target": ..., "ua": <User-Agent or null>}
    so the matrix knows the User-Agent each library really sent (cadaver and rclone do not
    show response headers);
  * a last path segment `delay_ms=N` (e.g. /m/rclone/delay_ms=3000/) works like ?delay_ms=N,
    for clients that drop a query string from their base URL (cadaver, rclone);
  * PROPFIND on a path ending in "/" answers a collection (DAV:collection) holding one file
    `file.txt` and one empty collection `sub/`; OPTIONS answers `DAV: 1, 2`: enough WebDAV for
    cadaver's `open`/`ls` and rclone's listing. Everything else is slow_upstream unchanged.
"""
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import slow_upstream  # noqa: E402

_print_lock = threading.Lock()
FILE_BODY = b"hello from matrix_upstream\n"


class Handler(slow_upstream.Handler):
    def opt(self, name, default=None):
        v = super().opt(name, None)
        if v is None and name == "X-Delay-Ms":
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            m = re.search(r"/delay_ms=(\d+)/?$", path)
            v = m.group(1) if m else None
        return default if v is None else v

    def handle_any(self):
        with _print_lock:
            sys.stdout.write("req %s\n" % json.dumps({"method": self.command, "target": self.path,
                                                       "ua": self.headers.get("User-Agent")}))
            sys.stdout.flush()
        path = urllib.parse.urlsplit(self.path).path
        if self.command == "OPTIONS":
            return self.answer(200, b"", [("DAV", "1, 2"), ("Allow", "OPTIONS, GET, HEAD, PROPFIND")])
        if self.command == "PROPFIND" and path.endswith("/"):
            try:
                self.read_body()
            except (ConnectionError, ValueError):
                return self.hard_close()
            time.sleep(self.iopt("X-Delay-Ms") / 1000.0)  # the slow backend at work
            return self.answer(207, self.collection(path, self.headers.get("Depth", "infinity")),
                               [("Content-Type", 'application/xml; charset="utf-8"')])
        if self.command in ("GET", "HEAD") and path.endswith("/file.txt"):
            time.sleep(self.iopt("X-Delay-Ms") / 1000.0)
            return self.answer(200, FILE_BODY, [("Content-Type", "text/plain")],
                               head_only=self.command == "HEAD")
        return super().handle_any()

    @staticmethod
    def collection(path, depth):
        date = formatdate(usegmt=True)

        def entry(href, collection, size=None):
            props = "<D:resourcetype>%s</D:resourcetype><D:getlastmodified>%s</D:getlastmodified>" % (
                "<D:collection/>" if collection else "", date)
            if size is not None:
                props += "<D:getcontentlength>%d</D:getcontentlength>" % size
                props += "<D:getcontenttype>text/plain</D:getcontenttype>"
            return ("<D:response><D:href>%s</D:href><D:propstat><D:prop>%s</D:prop>"
                    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n"
                    % (escape(urllib.parse.quote(href, safe="/%=:@")), props))
        body = entry(path, True)
        if depth != "0" and not path.endswith("/sub/"):
            body += entry(path + "file.txt", False, len(FILE_BODY)) + entry(path + "sub/", True)
        return ('<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n%s'
                '</D:multistatus>\n' % body).encode()

    def answer(self, status, body, headers, head_only=False):
        head = "HTTP/1.1 %d %s\r\n" % (status, slow_upstream.reason(status))
        hdrs = [("Date", self.date_time_string()), ("Server", self.server_version),
                ("Content-Length", str(len(body)))] + headers
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        self.send_raw(head.encode("latin-1") + (b"" if head_only else body))


if __name__ == "__main__":
    slow_upstream.Handler = Handler  # slow_upstream.main() builds its server on this name
    sys.exit(slow_upstream.main())
