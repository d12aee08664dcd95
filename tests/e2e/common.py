"""common.py - shared helpers for holdon's end-to-end scripts (Python 3.11 stdlib only).

* Child / start_upstream / start_holdon: subprocesses we start ourselves; their output is
  drained by a thread (so they never block on a full pipe) and waited on for an event
  ("... listening on http://127.0.0.1:PORT") with a timeout. stop() ends them by PID.
* Rig: context manager = slow_upstream + a temp config + holdon, torn down on exit.
* RawConn: an HTTP/1.x client on a plain socket that shows every 1xx and streams bodies
  through sha256; every read is bounded by a deadline.
* check()/skip()/summary(): prints "ok: ..." / "FAIL: ..." / "skip: ..." and, at the end,
  "N passed, M failed"; summary() returns the exit code (0 only if nothing failed).
* run(main, limit_s): overall time limit; SIGTERM/Ctrl-C still tear the rigs down.
Loopback only. E2E_VERBOSE=1 echoes the children's output (holdon, slow_upstream) to stderr.
"""
import argparse
import collections
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "peers" / "slow_upstream.py"
HOST = "127.0.0.1"

# ---- results -----------------------------------------------------------------------------
_counts = {"passed": 0, "failed": 0}


def check(cond, what, detail=""):
    if cond:
        _counts["passed"] += 1
        print("ok: %s" % what, flush=True)
    else:
        _counts["failed"] += 1
        print("FAIL: %s%s" % (what, " -- %s" % detail if detail else ""), flush=True)
    return bool(cond)


def skip(what):
    print("skip: %s" % what, flush=True)


def summary():
    print("%d passed, %d failed" % (_counts["passed"], _counts["failed"]), flush=True)
    return 0 if _counts["failed"] == 0 else 1


# ---- child processes ---------------------------------------------------------------------
class Child:
    """A subprocess we started. stdout+stderr are merged and read line by line by a thread."""

    def __init__(self, name, argv, env=None):
        self.name, self.lines, self.cond = name, collections.deque(maxlen=500), threading.Condition()
        self.seen = 0  # total lines read (the deque keeps only the tail)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pid = self.proc.pid
        threading.Thread(target=self._drain, name=name + "-drain", daemon=True).start()

    def on_line(self, line):
        """Called by the drain thread with every line before it is kept; a subclass may count."""

    def _drain(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if os.environ.get("E2E_VERBOSE"):
                sys.stderr.write("[%s] %s\n" % (self.name, line))
            self.on_line(line)
            with self.cond:
                self.lines.append(line)
                self.seen += 1
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, regex, timeout):
        """Wait until a line matches regex; return the match, or raise if it exits / times out."""
        rx, deadline, start = re.compile(regex), time.monotonic() + timeout, 0
        with self.cond:
            while True:
                base = self.seen - len(self.lines)
                for i in range(max(start, base), self.seen):
                    m = rx.search(self.lines[i - base])
                    if m:
                        return m
                start = self.seen
                left = deadline - time.monotonic()
                if self.proc.poll() is not None:
                    raise RuntimeError("%s exited (%s) before printing /%s/:\n%s"
                                       % (self.name, self.proc.returncode, regex, self.tail()))
                if left <= 0:
                    raise TimeoutError("%s: no /%s/ within %.0fs:\n%s" % (self.name, regex, timeout, self.tail()))
                self.cond.wait(min(left, 0.5))  # wakes on every line; 0.5 s only to notice exit

    def wait_for_all(self, regex, n, timeout):
        """Wait until n lines (of those kept) match regex; return their matches, in order."""
        rx, deadline = re.compile(regex), time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in (rx.search(l) for l in self.lines) if m]
                left = deadline - time.monotonic()
                if len(found) >= n or left <= 0 or self.proc.poll() is not None:
                    if len(found) < n:
                        raise RuntimeError("%s: %d of %d lines matching %r\n%s" % (self.name, len(found), n, regex, self.tail()))
                    return found[:n]
                self.cond.wait(left)

    def all_lines(self):
        with self.cond:
            return list(self.lines)

    def tail(self, n=30):
        return "\n".join("    %s" % l for l in list(self.lines)[-n:])

    def stop(self, timeout=5.0):
        """SIGTERM our own child (by PID), SIGKILL after timeout; return (exit code, seconds)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode, time.monotonic() - t0


def start_upstream(timeout=10.0):
    c = Child("slow_upstream", [sys.executable, str(UPSTREAM), "--port", "0", "--quiet"])
    c.port = int(c.wait_for(r"slow_upstream listening on http://127\.0\.0\.1:(\d+)", timeout).group(1))
    return c


def start_holdon(binary, config_path, timeout=10.0):
    c = Child("holdon", [str(binary), "-c", str(config_path)])
    c.port = int(c.wait_for(r"listening on http://127\.0\.0\.1:(\d+)", timeout).group(1))
    return c


def config_yaml(upstream_port, interim="{mode: auto, first_after: 100ms, every: 100ms, max: 30}",
                timeouts="{connect: 2s, client_header: 5s, idle: 10s, upstream_response: 20s}"):
    return ("listen: [127.0.0.1:0]\nthreads: 1\n"
            "upstreams:\n  dav: {servers: [127.0.0.1:%d]}\n"
            "routes:\n  - {path_prefix: /, upstream: dav}\n"
            "interim: %s\ntimeouts: %s\n"
            "limits: {max_header_bytes: 16384}\nlog: {access: off}\n" % (upstream_port, interim, timeouts))


def write_file(path, text):
    """Writes text to path (a config we generate); returns the path."""
    with open(path, "w") as f:
        f.write(text)
    return path


def make_dirs(d, *subs):
    for sub in subs:
        os.makedirs(os.path.join(d, sub), exist_ok=True)


def curl_verbose(args, timeout=30):
    """Runs curl -sS -v (no proxy, --max-time below timeout); returns (exit code, stdout bytes,
    the status codes of every head it saw, 1xx included, its stderr with CRs removed)."""
    p = subprocess.run(["curl", "-sS", "-v", "--noproxy", "*", "--max-time", str(timeout - 5)] + args,
                       capture_output=True, timeout=timeout)
    err = p.stderr.decode("latin-1").replace("\r", "")
    codes = [int(m) for m in re.findall(r"^< HTTP/1\.[01] (\d{3})", err, re.M)]
    return p.returncode, p.stdout, codes, err


APACHE_MODDIR = os.environ.get("APACHE_MODDIR", "/usr/lib/apache2/modules")


def apache_globals(d, listen, error_log, user, modules):
    """The global part of a standalone Apache httpd config in directory d: server root, pid file,
    runtime dir and mutex under d/run, the user line (root: www-data), mpm_event + authz_core and
    the named extra modules."""
    loads = "".join("LoadModule %-18s %s/mod_%s.so\n" % (m + "_module", APACHE_MODDIR, m)
                    for m in ["mpm_event", "authz_core"] + list(modules))
    return ('ServerRoot "{d}"\nServerName 127.0.0.1\nListen {listen}\nPidFile "{d}/run/httpd.pid"\n'
            'DefaultRuntimeDir "{d}/run"\nMutex file:{d}/run default\nErrorLog {log}\nLogLevel warn\n'
            '{user}\n{loads}').format(d=d, listen=listen, log=error_log, user=user, loads=loads)


def memory_kib(pid):
    """VmHWM / VmRSS (KiB) of a process from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


class Rig:
    """with Rig(holdon_binary) as rig: ... rig.port (holdon), rig.upstream.port, rig.url(path)"""

    def __init__(self, binary, **cfg):
        self.binary, self.cfg = binary, cfg
        self.upstream = self.holdon = None
        self.tmp = tempfile.mkdtemp(prefix="holdon-e2e-")

    def __enter__(self):
        try:
            self.upstream = start_upstream()
            self.config = os.path.join(self.tmp, "holdon.yaml")
            write_file(self.config, config_yaml(self.upstream.port, **self.cfg))
            self.holdon = start_holdon(self.binary, self.config)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.port = self.holdon.port
        return self

    def url(self, path):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def __exit__(self, *exc):
        if self.holdon and _counts["failed"]:
            print("--- holdon output (tail) ---\n%s" % self.holdon.tail(), flush=True)
        for c in (self.holdon, self.upstream):
            if c:
                c.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- a raw HTTP client -----------------------------------------------------------------
class Response:
    def __init__(self):
        self.interim = []  # [(status, headers dict)] of every 1xx, in order
        self.status, self.headers, self.body_len = 0, {}, 0
        self.body = b""  # first `keep` bytes of the body only
        self.sha256 = None
        self.first_bytes = b""  # the very first bytes received on the wire for this response


class RawConn:
    """One client connection on a plain socket. Every recv is bounded by `deadline`."""

    def __init__(self, port, timeout=10.0, source=None):
        # source: a loopback address to connect from (127.0.0.2 plays another host)
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.deadline = time.monotonic() + timeout

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.settimeout(max(0.01, self.deadline - time.monotonic()))
        self.sock.sendall(data)

    def _fill(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline exceeded")
        self.sock.settimeout(left)
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise EOFError("connection closed by peer")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise ValueError("line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n, digest, resp, keep):
        while n > 0:
            if not self.buf:
                self._fill()
            piece, self.buf = self.buf[:n], self.buf[n:]
            digest.update(piece)
            if len(resp.body) < keep:
                resp.body += piece[:keep - len(resp.body)]
            resp.body_len += len(piece)
            n -= len(piece)

    def read_head(self):
        if not self.buf:
            self._fill()
        first = self.buf[:64]
        status_line = self._line().decode("latin-1")
        headers = {}
        while (line := self._line()):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        parts = status_line.split(" ", 2)
        if not parts[0].startswith("HTTP/") or len(parts) < 2 or not parts[1].isdigit():
            raise ValueError("not an HTTP status line: %r" % status_line[:80])
        return status_line, int(parts[1]), headers, first

    def read_response(self, method="GET", keep=1 << 20, timeout=None, stall_s=0):
        """Read 1xx heads (kept in .interim) and the final response; hash the body as it streams.
        stall_s: stop reading for that long after the final head (a slow client)."""
        if timeout is not None:
            self.deadline = time.monotonic() + timeout
        resp = Response()
        while True:
            resp.status_line, status, headers, first = self.read_head()
            resp.first_bytes = resp.first_bytes or first
            if 100 <= status < 200 and status != 101:
                resp.interim.append((status, headers))
                continue
            resp.status, resp.headers = status, headers
            break
        time.sleep(stall_s)
        digest = hashlib.sha256()
        if method == "HEAD" or status in (204, 304):
            pass
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line():
                        pass  # trailers
                    break
                self._take(size, digest, resp, keep)
                if self._line() != b"":
                    raise ValueError("chunk not followed by CRLF")
        elif "content-length" in headers:
            self._take(int(headers["content-length"]), digest, resp, keep)
        else:  # delimited by close
            while True:
                if not self.buf:
                    try:
                        self._fill()
                    except EOFError:
                        break
                self._take(len(self.buf), digest, resp, keep)
        resp.sha256 = digest.hexdigest()
        return resp


def sha256_of_xs(n):
    """sha256 of n bytes of 'x' (what slow_upstream sends for body_size=n), computed in pieces."""
    d, block = hashlib.sha256(), b"x" * (1 << 20)
    while n > 0:
        d.update(block[:min(n, len(block))])
        n -= len(block)
    return d.hexdigest()


def arg_parser(description):
    """argparse with --holdon PATH (default: build/holdon of this checkout)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--holdon", default=str(ROOT / "build" / "holdon"), help="holdon binary")
    return ap


def step(what, fn, *args):
    """Run one test function; an exception inside it is one failure, later steps still run."""
    try:
        fn(*args)
    except Exception as e:
        check(False, what, "%s: %s" % (type(e).__name__, e))


def run(main, limit_s):
    """Run main() with an overall time limit; SIGTERM/SIGINT/exceptions still tear down the rigs
    (their `with` blocks) and count as a failure. Exits with summary()'s code."""
    def on_alarm(*_):
        raise TimeoutError("overall time limit of %ds exceeded" % limit_s)

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(limit_s)
    try:
        main()
    except KeyboardInterrupt:
        check(False, "test run completed", "interrupted (SIGINT/SIGTERM)")
    except Exception as e:
        check(False, "test run completed", "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
    sys.exit(summary())
