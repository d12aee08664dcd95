"""matrix_rig.py - client_matrix.py's rig pieces: children that keep their whole log (the
matrix reads holdon's access log and the upstream's request log) and a counting TCP relay in
front of holdon (each case's own port: it counts TCP connections and 1xx status lines).
"""
import collections
import re
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
import common  # noqa: E402


# ---- children with a complete log ------------------------------------------------------------
class LogChild(common.Child):
    """common.Child that keeps every line (the matrix reads the whole access log)."""

    def _drain(self):
        with self.cond:
            self.lines = collections.deque(self.lines, maxlen=None)
        super()._drain()

    def snapshot(self):
        with self.cond:
            return list(self.lines)

    def wait_until(self, pred, timeout):
        """Wait (on the line events) until pred(list of lines) is true; return it either way."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                ok = pred(list(self.lines))
                left = deadline - time.monotonic()
                if ok or left <= 0 or self.proc.poll() is not None:
                    return ok
                self.cond.wait(min(left, 0.5))


def start_child(name, argv, regex, timeout=15.0):
    c = LogChild(name, argv)
    try:
        c.port = int(c.wait_for(regex, timeout).group(1))
    except BaseException:
        c.stop()
        raise
    return c


# ---- a counting TCP relay ---------------------------------------------------------------------
STATUS_1XX = re.compile(rb"\nHTTP/1\.[01] 1\d\d ")


class Relay:
    """127.0.0.1:port -> holdon, bytes unchanged. Counts accepted connections and the 1xx status
    lines holdon sent downstream (a status line starts the stream or follows a CRLF)."""

    def __init__(self, target_port):
        self.target, self.conns, self.wire_1xx = target_port, 0, 0
        self.lock, self.socks = threading.Lock(), []
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind((common.HOST, 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="relay-%d" % self.port).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection((common.HOST, self.target), timeout=5)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += 1
                self.socks += [c, u]
            threading.Thread(target=self._pump, args=(c, u, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, True), daemon=True).start()

    def _pump(self, src, dst, count):
        tail = b"\n"  # the stream's start counts as a line start
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if count:
                buf = tail + data
                n = sum(1 for m in STATUS_1XX.finditer(buf) if m.end() > len(tail))
                tail = buf[-24:]
                with self.lock:
                    self.wire_1xx += n
            try:
                dst.sendall(data)
            except OSError:
                break
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.lsock.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass
