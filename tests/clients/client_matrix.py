#!/usr/bin/python3
"""client_matrix.py - real client libraries through holdon to a slow upstream: does each one
survive holdon's interim policy, and does it get 102s exactly where the policy says?

Usage: /usr/bin/python3 tests/clients/client_matrix.py [--holdon PATH] [--work-dir DIR]
                                                        [--jobs 4] [--only REGEX] [--table]
Run it with Debian's python3 (PyQt5, PyQt6, gi + Soup 3, requests, httpx, aiohttp); the
clients come from Debian 12's packages (scripts/deps.sh test). --work-dir keeps the Go binary,
the Go build cache and the compiled Java classes between runs (CTest passes one under the build
directory); without it a temporary directory is used and removed. --table prints the
expectation table below as markdown (the README's client table) and exits.

Rig: tests/clients/matrix_upstream.py (tests/peers/slow_upstream.py + a UA log and a tiny DAV
collection for cadaver/rclone), one holdon with the policy under test
    interim: {mode: auto, first_after: 20ms, every: 20ms, max: 200}
    timeouts: {upstream_response: 10s}, log: {access: text}
(an uncapped schedule sends ~150 102s in 3 s: more than any library's limit), and one holdon for
the controls (mode: always, deny_user_agents: []). Each case gets its own TCP relay port in
front of holdon (bytes copied unchanged) that counts the client's TCP connections and the 1xx
status lines on the wire.

Each case, one client process: request 1 = slow PROPFIND (GET + Depth: 1 where the library
cannot send PROPFIND) to /m/<case>/r1?delay_ms=3000; request 2 = quick GET /m/<case>/r2 on
the same connection. It passes when
  * request 1 got the upstream's real final response (207 multistatus naming /m/<case>/r1,
    or the 200 JSON echo of the GET) and request 2 its own 200 echo, without error;
  * both went over one TCP connection (the relay saw one);
  * the interims=N of holdon's access line for request 1 matches the expectation:
    none = 0 (and 0 on every other exchange of the case), yes = 1..200, yes<=C = 1..C;
  * the 1xx count the client itself reports (curl -v, Go httptrace, libsoup
    got-informational, Node 'information'; "-" where the API shows none) and the relay's wire
    count agree with holdon's log.
Controls (holdon mode always, deny list emptied) prove the test can fail: each known breaker
must show its breakage (Qt and Python read the 102 as the final status, HttpURLConnection
hangs until its read timeout, java.net.http and Go give up past their 1xx limits).
Prints ok:/FAIL: per case, a markdown matrix, then "N passed, M failed"; exit 1 on failure.
Loopback only; every process is bounded by a timeout; overall limit 230 s.
"""
import argparse
import collections
import concurrent.futures
import hashlib
import json
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
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import common  # noqa: E402
from common import check  # noqa: E402

NEXTCLOUD = "Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud, debian-x86_64 QT/5.15.8)"
OWNCLOUD = "Mozilla/5.0 (Linux) mirall/5.2.0 (ownCloud, debian)"
CYBERDUCK = "Cyberduck/8.7.0.40629 (Linux/6.1) (x86_64)"
NODE_FETCH = "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"

# ---- THE expectation table (also the README's client table: --table) -----------------------
# 102s: none = no 1xx at all; yes = 102s (at most interim.max = 200); yes<=C = 102s, at most C.
#       breaks:SYMPTOM = a control, run against holdon in mode always with deny_user_agents: []
#       (every client gets ~150 102s): the client must show that breakage, proving the matrix
#       would catch it.
# User-Agent None = the library's default (the matrix prints what the upstream received).
MATRIX = [
    # case                   library           User-Agent           102s
    ("qt5-default",          "qt5",            None,                "none"),      # Qt sends "Mozilla/5.0"
    ("qt5-nextcloud",        "qt5",            NEXTCLOUD,           "none"),
    ("qt5-owncloud",         "qt5",            OWNCLOUD,            "none"),
    ("qt6-default",          "qt6",            None,                "none"),
    ("qt6-nextcloud",        "qt6",            NEXTCLOUD,           "none"),
    ("qt6-owncloud",         "qt6",            OWNCLOUD,            "none"),
    ("jdk-httpclient",       "jdk-httpclient", None,                "yes<=8"),    # JDK 17.0.15 fails at the 9th 1xx
    ("jdk-huc",              "jdk-huc",        None,                "none"),
    ("apache4",              "apache4",        None,                "yes"),
    ("apache4-cyberduck",    "apache4",        CYBERDUCK,           "yes"),
    ("go",                   "go",             None,                "yes<=5"),
    ("go-acme-sync",         "go",             "acme-sync/2.1",     "none"),      # unknown product on Go
    ("rclone",               "rclone",         None,                "yes<=5"),    # Debian's build sends "rclone/"
    ("rclone-v1.60.1",       "rclone",         "rclone/v1.60.1",    "yes<=5"),    # what release builds send
    ("soup",                 "soup",           None,                "none"),      # libsoup sends no UA by default
    ("soup-app",             "soup",           "matrix-app/1.0 ",   "yes"),       # -> "matrix-app/1.0 libsoup/3.2.3"
    ("soup-gvfs",            "soup",           "gvfs/1.50.3",       "yes"),
    ("curl",                 "curl",           None,                "yes"),
    ("cadaver",              "cadaver",        None,                "yes<=100"),  # neon fails past 128
    ("node-http",            "node-http",      None,                "none"),      # sends no UA
    ("node-http-node-fetch", "node-http",      NODE_FETCH,          "yes"),
    ("node-fetch",           "node-fetch",     None,                "yes"),       # Node 20's fetch sends "node"
    ("py-http.client",       "http.client",    None,                "none"),
    ("py-urllib",            "http.client",    "Python-urllib/3.11", "none"),
    ("py-requests",          "requests",       None,                "none"),
    ("py-httpx",             "httpx",          None,                "yes"),
    ("py-aiohttp",           "aiohttp",        None,                "yes"),
    # controls (holdon mode always, deny list emptied)
    ("control-qt5-nextcloud", "qt5",           NEXTCLOUD,           "breaks:status 102"),
    ("control-qt6-default",  "qt6",            None,                "breaks:status 102"),
    ("control-jdk-huc",      "jdk-huc",        None,                "breaks:read timeout"),
    ("control-py-http.client", "http.client",  None,                "breaks:status 102"),
    ("control-py-requests",  "requests",       None,                "breaks:status 102"),
    # an unknown UA, so no cap of holdon's applies: the library's own 1xx limit shows
    ("control-jdk-httpclient-limit", "jdk-httpclient", "acme-sync/2.1", "breaks:too many interim"),
    ("control-go-limit",     "go",             "acme-sync/2.1",     "breaks:too many 1xx"),
]
LIBRARIES = {
    "qt5": "Qt 5.15 QNetworkAccessManager (PyQt5)",
    "qt6": "Qt 6.4 QNetworkAccessManager (PyQt6)",
    "jdk-httpclient": "JDK 17 java.net.http.HttpClient",
    "jdk-huc": "JDK 17 HttpURLConnection (GET + Depth: 1)",
    "apache4": "Apache HttpClient 4.5 (libhttpclient-java)",
    "go": "Go 1.19 net/http",
    "rclone": "rclone 1.60 (Go 1.19) webdav",
    "soup": "libsoup 3 (python3-gi)",
    "curl": "curl 7.88 CLI",
    "cadaver": "cadaver 0.24 / neon 0.32",
    "node-http": "Node 20 http",
    "node-fetch": "Node 20 fetch (undici)",
    "http.client": "Python 3.11 http.client",
    "requests": "requests 2.28 (urllib3 1.26)",
    "httpx": "httpx 0.23",
    "aiohttp": "aiohttp 3.8",
}
# What each library sends when no User-Agent is set (measured on Debian 12; --table shows it,
# a run prints what the upstream really received).
DEFAULT_UA = {
    "qt5": "Mozilla/5.0", "qt6": "Mozilla/5.0", "jdk-httpclient": "Java-http-client/17.0.15",
    "jdk-huc": "Java/17.0.15", "apache4": "Apache-HttpClient/4.5.14 (Java/17.0.15)",
    "go": "Go-http-client/1.1", "rclone": "rclone/", "soup": None, "curl": "curl/7.88.1",
    "cadaver": "cadaver/0.24 neon/0.32.5", "node-http": None, "node-fetch": "node", "http.client": None,
    "requests": "python-requests/2.28.1", "httpx": "python-httpx/0.23.3", "aiohttp": "Python/3.11 aiohttp/3.8.4",
}
ROUTE_MAX = 200
DELAY_MS = 3000
DEBIAN_PYTHON = "/usr/bin/python3"
JARS = ["/usr/share/java/%s.jar" % j for j in ("httpclient", "httpcore", "commons-logging", "commons-codec")]
JVM = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
FILE_BODY = "hello from matrix_upstream\n"  # matrix_upstream.py's file.txt
CLIENT_TIMEOUT = 45  # seconds, per client process (the slowest case needs ~12)

HOLDON_CONFIG = """listen: [127.0.0.1:0]
threads: 1
upstreams:
  dav: {{servers: [127.0.0.1:{port}]}}
routes:
  - {{path_prefix: /, upstream: dav}}
interim: {interim}
timeouts: {{connect: 2s, client_header: 10s, idle: 30s, upstream_response: 10s}}
log: {{access: text}}
"""
INTERIM_AUTO = "{mode: auto, first_after: 20ms, every: 20ms, max: 200}"
INTERIM_CONTROL = "{mode: always, first_after: 20ms, every: 20ms, max: 200, deny_user_agents: []}"
ACCESS_RX = re.compile(r'^\S+ \S+ "(\S+) (\S*)" (\d+) interims=(\d+) .*?\bpolicy=(\S+)')


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


# ---- running one client process ---------------------------------------------------------------
_live = {}  # pid -> Popen of client processes still running (killed on teardown)
_live_lock = threading.Lock()


def run_proc(argv, timeout=CLIENT_TIMEOUT, stdin_text=None, env=None, cwd=None):
    """Run one client process in its own session; return (rc or None on timeout, out, err)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                         start_new_session=True)
    with _live_lock:
        _live[p.pid] = p
    try:
        out, err = p.communicate(stdin_text.encode() if stdin_text is not None else None, timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        kill_group(p)
        out, err = p.communicate()
        rc = None
    finally:
        with _live_lock:
            _live.pop(p.pid, None)
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def kill_group(p):
    """SIGKILL the process group of one client we started (its session id is its PID)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def client_env(home):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # loopback, no proxies
    env.update(HOME=home, LC_ALL="C.UTF-8", QT_QPA_PLATFORM="offscreen")
    return env


# ---- builds (cached in the work dir) --------------------------------------------------------
def digest(*paths, extra=""):
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def build_go(work):
    src = HERE / "go_client.go"
    ver = subprocess.run(["go", "version"], capture_output=True, text=True, timeout=30).stdout.strip()
    out = Path(work) / ("go_client-" + digest(src, extra=ver))
    if not out.exists():
        env = dict(os.environ, GO111MODULE="off", GOPROXY="off", GOFLAGS="", GOTOOLCHAIN="local",
                   GOCACHE=str(Path(work) / "gocache"), GOPATH=str(Path(work) / "gopath"))
        tmp = str(out) + ".tmp%d" % os.getpid()
        p = subprocess.run(["go", "build", "-o", tmp, str(src)], capture_output=True, text=True,
                           timeout=150, env=env, cwd=work)
        if p.returncode != 0:
            raise RuntimeError("go build failed: %s" % p.stderr[-800:])
        os.replace(tmp, out)
        prune(work, "go_client-", out)
    return str(out)


def prune(work, stem, keep):
    """Remove the builds of older sources (our own names only) from the work dir."""
    for old in Path(work).glob(stem + "*"):
        if old != keep and ".tmp" not in old.name:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)


def build_java(work):
    srcs = [HERE / "JdkClients.java", HERE / "ApacheClient.java", HERE / "Json.java"]
    ver = subprocess.run(["javac", "-version"], capture_output=True, text=True, timeout=30)
    out = Path(work) / ("java-" + digest(*srcs, extra=ver.stdout + ver.stderr))
    if not (out / "ApacheClient.class").exists():
        tmp = Path(str(out) + ".tmp%d" % os.getpid())
        tmp.mkdir(parents=True, exist_ok=True)
        p = subprocess.run(["javac", "-nowarn", "-d", str(tmp), "-cp", ":".join(JARS)] + [str(s) for s in srcs],
                           capture_output=True, text=True, timeout=150)
        if p.returncode != 0:
            raise RuntimeError("javac failed: %s" % p.stderr[-800:])
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
        prune(work, "java-", out)
    return str(out)


# ---- the clients ------------------------------------------------------------------------------
def ua_args(ua, flag=None):
    if ua is None:
        return []
    return [flag, ua] if flag else [ua]


def parse_json(rc, out, err):
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)["requests"]
    raise RuntimeError("no JSON result (exit %s): %s" % (rc, (err or out).strip()[-600:]))


def run_json_client(argv, ctx):
    rc, out, err = run_proc(argv, env=client_env(ctx["home"]))
    if rc is None:
        raise RuntimeError("client still running after %ds: killed" % CLIENT_TIMEOUT)
    return parse_json(rc, out, err)


def c_qt(version):
    return lambda ctx, ua: run_json_client(
        [DEBIAN_PYTHON, str(HERE / "qt_client.py"), version, ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_jdk(mode):
    return lambda ctx, ua: run_json_client(
        JVM + ["-cp", ctx["builds"]["java"].result(), "JdkClients", mode, ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_apache(ctx, ua):
    cp = ":".join([ctx["builds"]["java"].result()] + JARS)
    return run_json_client(JVM + ["-cp", cp, "ApacheClient", ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_go(ctx, ua):
    return run_json_client([ctx["builds"]["go"].result(), ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_soup(ctx, ua):
    return run_json_client([DEBIAN_PYTHON, str(HERE / "soup_client.py"), ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_node(mode):
    return lambda ctx, ua: run_json_client(
        ["node", str(HERE / "node_client.js"), mode, ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_py(lib):
    return lambda ctx, ua: run_json_client(
        [DEBIAN_PYTHON, str(HERE / "py_client.py"), lib, ctx["url1"], ctx["url2"]] + ua_args(ua), ctx)


def c_curl(ctx, ua):
    d = ctx["home"]
    w = "%{http_code} %{num_connects}\\n"
    one = ["-sS", "-v", "--noproxy", "*", "--max-time", "20", "-w", w] + ua_args(ua, "-A")
    argv = (["curl"] + one + ["-X", "PROPFIND", "-H", "Depth: 1", "-o", d + "/b1", ctx["url1"], "--next"]
            + one + ["-o", d + "/b2", ctx["url2"]])
    rc, out, err = run_proc(argv, env=client_env(d))
    lines = out.split()
    err = err.replace("\r", "")
    first, _, second = err.partition("\n> GET ")  # -v: what belongs to request 1, then request 2
    res = []
    for i, part in enumerate((first, second)):
        r = {"status": None, "body": "", "reused": None, "error": None,
             "interim": [int(c) for c in re.findall(r"^< HTTP/1\.[01] (1\d\d)", part, re.M)]}
        if len(lines) >= 2 * i + 2:
            r["status"] = int(lines[2 * i])
            r["reused"] = lines[2 * i + 1] == "0" if i else None
        body = Path(d, "b%d" % (i + 1))
        r["body"] = body.read_text("utf-8", "replace") if body.exists() else ""
        if rc != 0:
            r["error"] = "curl exit %s: %s" % (rc, err.strip().splitlines()[-1:] if err.strip() else "")
        res.append(r)
    return res


def c_cadaver(ctx, ua):
    # open the quick collection, list the slow one (PROPFIND Depth 1), then cat a file (GET)
    script = "ls delay_ms=%d/\ncat file.txt\nquit\n" % DELAY_MS
    rc, out, err = run_proc(["cadaver", ctx["base"]], stdin_text=script, env=client_env(ctx["home"]),
                            cwd=ctx["home"])
    error = None if rc == 0 else "cadaver exit %s" % rc
    ls_part = out.split("> ls ", 1)[-1].split("> cat ", 1)[0]
    cat_part = out.split("> cat ", 1)[-1]
    ok1 = re.search(r"Listing collection .*: succeeded", ls_part) and "file.txt" in ls_part
    return [{"status": None, "body": ls_part, "interim": None, "reused": None,
             "error": error if ok1 else "ls failed: %s" % ls_part.strip()[-300:]},
            {"status": None, "body": cat_part, "interim": None, "reused": None,
             "error": error if FILE_BODY in cat_part else "cat failed: %s" % cat_part.strip()[-300:]}]


def c_rclone(ctx, ua):
    argv = ["rclone", "--config", "/dev/null", "lsf", "-R", "--timeout", "30s", "--contimeout", "5s",
            "--retries", "1", "--low-level-retries", "1", "--webdav-url", ctx["base"] + "delay_ms=%d/" % DELAY_MS,
            ":webdav:"] + ua_args(ua, "--user-agent")
    rc, out, err = run_proc(argv, env=client_env(ctx["home"]))
    listed = sorted(out.split())
    error = None if rc == 0 and listed == ["file.txt", "sub/"] else \
        "rclone exit %s, listed %s: %s" % (rc, listed, err.strip()[-400:])
    return [{"status": None, "body": out, "interim": None, "reused": None, "error": error},
            {"status": None, "body": "", "interim": None, "reused": None, "error": error}]


CLIENTS = {  # library -> (runner, request 1 method, query-less paths (cadaver/rclone), binary needed)
    "qt5": (c_qt("5"), "PROPFIND", False, DEBIAN_PYTHON),
    "qt6": (c_qt("6"), "PROPFIND", False, DEBIAN_PYTHON),
    "jdk-httpclient": (c_jdk("httpclient"), "PROPFIND", False, "java"),
    "jdk-huc": (c_jdk("huc"), "GET", False, "java"),
    "apache4": (c_apache, "PROPFIND", False, "java"),
    "go": (c_go, "PROPFIND", False, "go"),
    "rclone": (c_rclone, "PROPFIND", True, "rclone"),
    "soup": (c_soup, "PROPFIND", False, DEBIAN_PYTHON),
    "curl": (c_curl, "PROPFIND", False, "curl"),
    "cadaver": (c_cadaver, "PROPFIND", True, "cadaver"),
    "node-http": (c_node("http"), "PROPFIND", False, "node"),
    "node-fetch": (c_node("fetch"), "PROPFIND", False, "node"),
    "http.client": (c_py("http.client"), "PROPFIND", False, DEBIAN_PYTHON),
    "requests": (c_py("requests"), "PROPFIND", False, DEBIAN_PYTHON),
    "httpx": (c_py("httpx"), "PROPFIND", False, DEBIAN_PYTHON),
    "aiohttp": (c_py("aiohttp"), "PROPFIND", False, DEBIAN_PYTHON),
}


# ---- one case ---------------------------------------------------------------------------------
def expected_range(expect):
    if expect == "none":
        return 0, 0
    if expect == "yes":
        return 1, ROUTE_MAX
    m = re.fullmatch(r"yes<=(\d+)", expect)
    if not m:
        raise ValueError("bad expectation %r" % expect)
    return 1, int(m.group(1))


def access_lines(lines, prefix):
    out = []
    for line in lines:
        m = ACCESS_RX.match(line)
        if m and m.group(2).startswith(prefix):
            err = re.search(r' error="(.*)"', line)
            out.append({"method": m.group(1), "target": m.group(2), "status": int(m.group(3)),
                        "interims": int(m.group(4)), "policy": m.group(5),
                        "error": err.group(1) if err else None})
    return out


def upstream_requests(lines, prefix):
    out = []
    for line in lines:
        if line.startswith("req {"):
            r = json.loads(line[4:])
            if r["target"].startswith(prefix):
                out.append(r)
    return out


def run_case(rig, name, lib, ua, expect, control):
    runner, method1, pathy, _ = CLIENTS[lib]
    holdon = rig["control"] if control else rig["auto"]
    relay = Relay(holdon.port)
    home = tempfile.mkdtemp(prefix="case-", dir=rig["tmp"])
    prefix = "/m/%s/" % name
    base = "http://%s:%d%s" % (common.HOST, relay.port, prefix)
    if pathy:  # clients that drop a query: the delay is a path segment (matrix_upstream.py)
        t1 = prefix + "delay_ms=%d/" % DELAY_MS
        t2 = prefix + ("file.txt" if lib == "cadaver" else "delay_ms=%d/sub/" % DELAY_MS)
    else:
        t1, t2 = prefix + "r1?delay_ms=%d" % DELAY_MS, prefix + "r2"
    ctx = {"base": base, "url1": "http://%s:%d%s" % (common.HOST, relay.port, t1),
           "url2": "http://%s:%d%s" % (common.HOST, relay.port, t2), "home": home, "builds": rig["builds"]}
    row = {"case": name, "lib": lib, "ua_cfg": ua, "expect": expect, "control": control, "problems": []}
    problems = row["problems"]
    t0 = time.monotonic()
    try:
        reqs = runner(ctx, ua)
    except Exception as e:
        reqs = [{"status": None, "body": "", "interim": None, "reused": None, "error": "%s: %s" % (type(e).__name__, e)}] * 2
    row["seconds"] = time.monotonic() - t0
    # every request the upstream saw gets its access line when its exchange ends
    holdon.wait_until(lambda ls: len(access_lines(ls, prefix)) >= len(
        upstream_requests(rig["upstream"].snapshot(), prefix)), 5)
    up = upstream_requests(rig["upstream"].snapshot(), prefix)
    log = access_lines(holdon.snapshot(), prefix)
    relay.close()
    shutil.rmtree(home, ignore_errors=True)

    r1_up = next((r for r in up if same_target(r["target"], t1) and r["method"] == method1), None)
    row["ua_seen"] = (r1_up or up[0])["ua"] if up else "?"
    l1 = next((l for l in log if same_target(l["target"], t1) and l["method"] == method1), None)
    l2 = next((l for l in log if same_target(l["target"], t2)), None)
    r1, r2 = reqs[0], reqs[1] if len(reqs) > 1 else {"status": None, "body": "", "error": "no result"}
    for r, l in ((r1, l1), (r2, l2)):  # cadaver and rclone do not show statuses: holdon's log does
        if r.get("status") is None and not r.get("error") and l:
            r["status"] = l["status"]
    row.update(r1=r1, r2=r2, l1=l1, log=log, conns=relay.conns, wire=relay.wire_1xx)
    n = l1["interims"] if l1 else None
    client_n = None if r1.get("interim") is None else sum(1 for c in r1["interim"] if 100 <= c < 200)
    row["n"], row["client_n"] = n, client_n

    want1 = 200 if method1 == "GET" else 207
    body1_ok = body_ok(r1, method1, t1, lib)
    body2_ok = body_ok(r2, "PROPFIND" if lib == "rclone" else "GET", t2, lib)
    final_ok = r1.get("status") == want1 and not r1.get("error") and body1_ok
    next_ok = r2.get("status") == (207 if lib == "rclone" else 200) and not r2.get("error") and body2_ok
    row["final_ok"], row["next_ok"] = final_ok, next_ok
    if l1 is None:
        problems.append("no access line for %s %s" % (method1, t1))
    if control:
        sym = symptom(expect, r1)
        if not sym:
            problems.append("the breakage (%s) did not show: request 1 %s" % (expect, brief(r1)))
        if n is not None and n == 0:
            problems.append("holdon sent no 1xx in mode always")
        row["verdict"] = "ok: broke as required" if sym else "FAIL: did NOT break"
        return row
    if not final_ok:
        problems.append("request 1: want %d + full body, got %s" % (want1, brief(r1)))
    if not next_ok:
        problems.append("request 2: got %s" % brief(r2))
    if relay.conns != 1:
        problems.append("%d TCP connections (want one for both requests)" % relay.conns)
    if r2.get("reused") is False:
        problems.append("the client reports a new connection for request 2")
    lo, hi = expected_range(expect)
    if n is not None and not lo <= n <= hi:
        problems.append("holdon sent %d 1xx for request 1 (want %s)" % (n, "0" if hi == 0 else "%d..%d" % (lo, hi)))
    others = sum(l["interims"] for l in log if l is not l1)
    if expect == "none" and others:
        problems.append("holdon sent %d 1xx on the case's other exchanges" % others)
    total = sum(l["interims"] for l in log)
    if client_n is not None and n is not None and client_n != n:
        problems.append("client saw %d 1xx, holdon logged %d" % (client_n, n))
    if relay.wire_1xx != total:
        problems.append("%d 1xx status lines on the wire, holdon logged %d" % (relay.wire_1xx, total))
    row["verdict"] = "ok" if not problems else "FAIL"
    return row


def same_target(a, b):
    return urllib.parse.unquote(a) == urllib.parse.unquote(b)  # cadaver sends %3d for '='


def body_ok(r, method, target, lib):
    body = r.get("body") or ""
    if lib == "cadaver":
        return "file.txt" in body if method == "PROPFIND" else FILE_BODY in body
    if lib == "rclone":
        return not r.get("error")
    if method == "PROPFIND":
        path = target.split("?", 1)[0]
        return "<D:href>%s</D:href>" % path in body and body.rstrip().endswith("</D:multistatus>")
    try:
        return json.loads(body).get("target") == target
    except ValueError:
        return False


def symptom(kind, r):
    err = r.get("error") or ""
    if kind == "status 102":
        return "status 102, body %d bytes" % len(r.get("body") or "") if r.get("status") == 102 else None
    if kind == "read timeout":
        return "read timed out (%s)" % err if "timed out" in err.lower() else None
    if kind == "too many interim":
        return err if "too many interim responses" in err.lower() else None
    if kind == "too many 1xx":
        return err if "too many 1xx" in err.lower() else None
    raise ValueError(kind)


def brief(r):
    if r.get("error"):
        return "status %s, error %s" % (r.get("status"), str(r["error"])[:200])
    return "status %s, body %r" % (r.get("status"), (r.get("body") or "")[:80])


# ---- output -----------------------------------------------------------------------------------
def md(s):
    return str(s).replace("|", "\\|")


def print_table():
    print("| case | library | User-Agent | 102s |\n|---|---|---|---|")
    for name, lib, ua, expect in MATRIX:
        if expect.startswith("breaks:"):
            expect = "control (`mode: always`, empty deny list): breaks, " + expect[7:]
        if ua is None:
            ua = "default: " + ("`%s`" % DEFAULT_UA[lib] if DEFAULT_UA[lib] else "(none)")
        elif lib == "soup" and ua.endswith(" "):
            ua = "`%slibsoup/3.2.3`" % ua  # libsoup appends itself to a UA ending in a space
        else:
            ua = "`%s`" % ua
        print("| %s | %s | %s | %s |" % (name, md(LIBRARIES[lib]), md(ua), expect))


def describe(r, lib):
    if r.get("error"):
        err = re.sub(r'^[A-Z][a-z]+ "[^"]*": ', "", str(r["error"]))  # Go: drop 'Method "URL": '
        return "error: " + err[:110]
    extra = "" if lib in ("cadaver", "rclone") else (" + body" if r.get("_body_ok") else " (wrong/empty body)")
    return "%s%s" % (r.get("status"), extra)


def print_matrix(rows):
    print("\n| case | library | User-Agent | 102s expected | 102s seen (holdon log / client) | final status |"
          " next request | result |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ua = row["ua_seen"]
        ua = "(none)" if ua is None else "`%s`" % ua
        if row["ua_cfg"] is None:
            ua = "default: " + ua
        seen = "%s / %s" % ("?" if row["n"] is None else row["n"], "-" if row["client_n"] is None else row["client_n"])
        r1, r2 = row["r1"], row["r2"]
        final = describe(r1, row["lib"]) if not row["final_ok"] else ("%s + body" % r1.get("status"))
        nxt = describe(r2, row["lib"]) if not row["next_ok"] else "%s, %s" % (
            r2.get("status"), "same conn" if row["conns"] == 1 else "%d conns" % row["conns"])
        if row["next_ok"] and row["conns"] != 1:
            nxt += " (!)"
        policy = row["l1"]["policy"] if row["l1"] else "?"
        expect = ("breaks: " + row["expect"]) if row["control"] else row["expect"]
        print("| %s | %s | %s | %s | %s (policy=%s) | %s | %s | %s |" % (
            row["case"], md(LIBRARIES[row["lib"]]), md(ua), expect, seen, md(policy), md(final), md(nxt),
            md(row["verdict"])))


# ---- main -------------------------------------------------------------------------------------
def main(a, state):
    if not os.path.exists(a.holdon):
        raise RuntimeError("no holdon binary at %s" % a.holdon)
    work = os.path.abspath(a.work_dir) if a.work_dir else tempfile.mkdtemp(prefix="holdon-clients-")
    if not a.work_dir:
        state["cleanup"].append(work)
    os.makedirs(work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="run-", dir=work)
    state["cleanup"].append(tmp)
    cases = [(n, l, u, e.split(":", 1)[-1], e.startswith("breaks:")) for n, l, u, e in MATRIX]
    if a.only:
        cases = [c for c in cases if re.search(a.only, c[0])]
    t0 = time.monotonic()
    rig = {"tmp": tmp}
    rig["upstream"] = start_child("matrix_upstream", [DEBIAN_PYTHON, str(HERE / "matrix_upstream.py"), "--port", "0",
                                                      "--quiet"], r"listening on http://127\.0\.0\.1:(\d+)")
    state["children"].append(rig["upstream"])
    for key, interim in (("auto", INTERIM_AUTO), ("control", INTERIM_CONTROL)):
        cfg = os.path.join(tmp, "holdon-%s.yaml" % key)
        with open(cfg, "w") as f:
            f.write(HOLDON_CONFIG.format(port=rig["upstream"].port, interim=interim))
        rig[key] = start_child("holdon-" + key, [a.holdon, "-c", cfg], r"listening on http://127\.0\.0\.1:(\d+)")
        state["children"].append(rig[key])
    print("matrix_upstream :%d, holdon (auto) :%d, holdon (controls) :%d, %s" % (
        rig["upstream"].port, rig["auto"].port, rig["control"].port, a.holdon), flush=True)

    # the builds get their own threads; the cases that need them run last, the longest first
    # (the HttpURLConnection control waits out its 8 s read timeout)
    builder = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs)
    state["pools"] = [builder, pool]
    builds_needed = {CLIENTS[c[1]][3] for c in cases}
    rig["builds"] = {k: builder.submit(fn, work) for k, fn in (("go", build_go), ("java", build_java))
                     if k in builds_needed}
    order = sorted(cases, key=lambda c: (CLIENTS[c[1]][3] in ("java", "go"), c[0] != "control-jdk-huc"))
    futures = {}
    for name, lib, ua, expect, control in order:
        binary = CLIENTS[lib][3]
        if not shutil.which(binary):
            check(False, "%s: %s" % (name, LIBRARIES[lib]), "no %s binary (scripts/deps.sh test)" % binary)
            continue
        futures[pool.submit(run_case, rig, name, lib, ua, expect, control)] = name
    rows = []
    for f in concurrent.futures.as_completed(futures):
        name = futures[f]
        try:
            row = f.result()
        except Exception as e:
            check(False, name, "%s: %s" % (type(e).__name__, e))
            continue
        rows.append(row)
        for r, ok in ((row["r1"], row["final_ok"]), (row["r2"], row["next_ok"])):
            r["_body_ok"] = ok
        what = "%s (%s, UA %s): %s, 102s %s/%s, %.1fs" % (
            name, LIBRARIES[row["lib"]], "default" if row["ua_cfg"] is None else repr(row["ua_cfg"]),
            ("control, %s" % (symptom(row["expect"], row["r1"]) or "did NOT break: " + brief(row["r1"])))
            if row["control"] else "expect " + row["expect"],
            row["n"], "-" if row["client_n"] is None else row["client_n"], row["seconds"])
        check(not row["problems"], what, "; ".join(row["problems"]))
    pool.shutdown(wait=True)
    index = {c[0]: i for i, c in enumerate(cases)}
    rows.sort(key=lambda r: index[r["case"]])
    print_matrix(rows)
    print("\n(%d cases in %.0fs)" % (len(rows), time.monotonic() - t0), flush=True)


def teardown(state):
    with _live_lock:
        procs = list(_live.values())
    for p in procs:
        kill_group(p)
    for p in state.get("pools", []):
        p.shutdown(wait=False, cancel_futures=True)
    for c in reversed(state["children"]):
        c.stop()
    for d in state["cleanup"]:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--holdon", default="/tmp/holdon-dev/holdon", help="holdon binary")
    ap.add_argument("--work-dir", help="keep builds (Go binary + cache, Java classes) here between runs")
    ap.add_argument("--jobs", type=int, default=4, help="cases run at once (default 4)")
    ap.add_argument("--only", help="run only the cases whose name matches this regex")
    ap.add_argument("--table", action="store_true", help="print the expectation table (markdown) and exit")
    args = ap.parse_args()
    if args.table:
        print_table()
        sys.exit(0)
    st = {"children": [], "cleanup": []}

    def body():
        try:
            main(args, st)
        finally:
            teardown(st)
    common.run(body, 230)
