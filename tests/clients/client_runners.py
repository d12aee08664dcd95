"""client_runners.py - how client_matrix.py runs each real client library: one process per
case in its own session (killed by process group on timeout or teardown), the Go and Java
builds cached in the work dir, and CLIENTS: library -> its runner. A runner gets the case's
URLs and home directory and returns the two requests' results as
[{"status", "body", "interim", "reused", "error"}, ...].
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
DELAY_MS = 3000
DEBIAN_PYTHON = "/usr/bin/python3"
JARS = ["/usr/share/java/%s.jar" % j for j in ("httpclient", "httpcore", "commons-logging", "commons-codec")]
JVM = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
FILE_BODY = "hello from matrix_upstream\n"  # matrix_upstream.py's file.txt
CLIENT_TIMEOUT = 45  # seconds, per client process (the slowest case needs ~12)


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


def kill_live():
    """SIGKILL every client process still running (teardown)."""
    with _live_lock:
        procs = list(_live.values())
    for p in procs:
        kill_group(p)
