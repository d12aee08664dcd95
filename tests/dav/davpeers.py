"""davpeers.py - the WebDAV peers of holdon's DAV tests: Apache httpd + mod_dav on loopback,
litmus and its per-suite results. Python 3.11 stdlib + Debian's apache2 and litmus packages
(scripts/deps.sh test).

* Apache(tmpdir): a standalone httpd (own config, pid file, logs, DAV root and lock DB in a
  temp dir; mpm_event; no auth). Started as root it runs its children as www-data (the owner
  of the DAV root), as anyone else as that user. stop() ends it by the PID it wrote.
* run_litmus(url): litmus -k with a time limit; returns {suite: Suite} parsed from its output.
  Suite holds run/passed/failed/warnings/skipped and the names of failed tests.
* holdon_config(apache_port, ...) / write_config(tmp, text): the holdon in front of Apache that
  the DAV tests and bench/dav_big_file.py run: /dav/ mounted on Apache's /, and / as is.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import common  # noqa: E402  (apache_globals: the standalone httpd's global part)

HOST = "127.0.0.1"
APACHE = os.environ.get("APACHE_BIN", "/usr/sbin/apache2")
SUITES = ["basic", "copymove", "props", "locks", "http"]


def free_port():
    """A port the kernel just gave us (closed again: a small race, loopback only)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)  # polling a port we do not own: no event to wait for
    return False


# After common.apache_globals(..., ["mime", "dav", "dav_fs"]).
CONF = """StartServers 1
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
Timeout 300
KeepAlive On
MaxKeepAliveRequests 1000
KeepAliveTimeout 15
TypesConfig /etc/mime.types
LogFormat "%h \\"%r\\" %>s %b \\"%{{Destination}}i\\"" davlog
CustomLog "{d}/logs/access.log" davlog
DAVLockDB "{d}/lock/DAVLock"
DAVMinTimeout 0
LimitXMLRequestBody 1000000
LimitRequestBody 0
<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot "{root}"
<Directory "{root}">
    Dav On
    Options None
    AllowOverride None
    Require all granted
    DavDepthInfinity On
</Directory>
"""


class Apache:
    def __init__(self, tmp=None):
        self.dir = tmp or tempfile.mkdtemp(prefix="holdon-dav-")
        self.port = None
        self.pid = None

    def start(self, timeout=15):
        d = self.dir
        for sub in ("conf", "logs", "run", "lock", "root"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        user = ""
        if os.getuid() == 0:  # Apache refuses to run its children as root
            pw = pwd.getpwnam("www-data")
            user = "User www-data\nGroup #%d" % pw.pw_gid
            os.chmod(d, 0o755)
            for sub in ("root", "lock"):
                os.chown(os.path.join(d, sub), pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.root = os.path.join(d, "root")
        conf = os.path.join(d, "conf", "httpd.conf")
        with open(conf, "w") as f:
            f.write(common.apache_globals(d, "%s:%d" % (HOST, self.port), '"%s/logs/error.log"' % d, user,
                                          ["mime", "dav", "dav_fs"]))
            f.write(CONF.format(d=d, root=self.root))
        out = subprocess.run([APACHE, "-f", conf, "-k", "start"], capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError("apache2 did not start: %s%s" % (out.stdout, out.stderr))
        # "-k start" returns once the parent daemonised; it writes its pid file soon after.
        pidfile = os.path.join(d, "run", "httpd.pid")
        listening = wait_port(self.port, timeout)
        deadline = time.monotonic() + timeout
        while self.pid is None and time.monotonic() < deadline:
            try:
                with open(pidfile) as f:
                    self.pid = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)  # the file appears without an event we could wait on
        if not listening or self.pid is None:
            raise RuntimeError("apache2 not listening on %d: %s" % (self.port, self.log_tail()))
        return self

    def url(self, path="/"):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def log_tail(self, name="error.log", n=20):
        try:
            with open(os.path.join(self.dir, "logs", name)) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout=10):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)  # the parent stops its own children
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)  # no wait() on a process that is not our child
            self.pid = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()


def holdon_config(apache_port, interim="{mode: auto}", mount="", catch_all=True,
                  timeouts="{connect: 2s, client_header: 10s, idle: 30s, upstream_response: 60s}",
                  access="off"):
    """holdon (one thread, any port) in front of Apache: /dav/ mounted on its / (`mount`: more
    keys of that route, e.g. ", public_origin: '...'"), then, with catch_all, / unchanged."""
    routes = "  - {path_prefix: /dav/, upstream: dav, upstream_prefix: /%s}\n" % mount
    if catch_all:
        routes += "  - {path_prefix: /, upstream: dav}\n"
    return ("listen: [127.0.0.1:0]\nthreads: 1\nupstreams:\n  dav: {servers: [127.0.0.1:%d]}\n"
            "routes:\n%sinterim: %s\ntimeouts: %s\nlog: {access: %s}\n"
            % (apache_port, routes, interim, timeouts, access))


def write_config(tmp, text, name="holdon"):
    """Writes text to tmp/NAME.yaml; returns the path."""
    return common.write_file(os.path.join(tmp, name + ".yaml"), text)


@dataclass
class Suite:
    run: int = 0
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0
    failures: list = field(default_factory=list)

    def counts(self):
        return (self.run, self.passed, self.failed, self.warnings)

    def __str__(self):
        s = "run %d, passed %d, failed %d, warnings %d" % (self.run, self.passed, self.failed, self.warnings)
        return s + (" (failed: %s)" % " ".join(self.failures) if self.failures else "")


def parse_litmus(text):
    """litmus output -> {suite: Suite}. litmus redraws progress lines with \\r."""
    suites, cur, last = {}, None, None
    for line in text.replace("\r", "\n").split("\n"):
        m = re.match(r"^-> running `(\w+)'", line)
        if m:
            cur = m.group(1)
            suites[cur] = Suite()
            continue
        if cur is None:
            continue
        s = suites[cur]
        m = re.match(r"^<- summary for `\w+': of (\d+) tests run: (\d+) passed, (\d+) failed", line)
        if m:
            s.run, s.passed, s.failed = map(int, m.groups())
            continue
        m = re.match(r"^-> (\d+) warnings? (?:was|were) issued", line)
        if m:
            s.warnings += int(m.group(1))
            continue
        m = re.match(r"^-> (\d+) tests? (?:was|were) skipped", line)
        if m:
            s.skipped += int(m.group(1))
            continue
        m = re.match(r"^\s*\d+\. (\w+)", line)
        if m:
            last = m.group(1)
        if re.search(r"\b(FAIL|FAILED|ABORTED)\b", line) and last and last not in s.failures:
            s.failures.append(last)
    return suites


def run_litmus(url, timeout=240, suites=SUITES):
    """Run litmus against url (a collection; litmus works in url + 'litmus/')."""
    tmp = tempfile.mkdtemp(prefix="holdon-litmus-")  # litmus writes debug.log / child.log here
    try:
        env = dict(os.environ, TESTS=" ".join(suites))
        p = subprocess.run(["litmus", "-k", url], cwd=tmp, env=env, capture_output=True, text=True,
                           timeout=timeout)
        result = parse_litmus(p.stdout + p.stderr)
        result["_raw"] = p.stdout + p.stderr
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def totals(result):
    p = sum(s.passed for k, s in result.items() if k != "_raw")
    f = sum(s.failed for k, s in result.items() if k != "_raw")
    w = sum(s.warnings for k, s in result.items() if k != "_raw")
    return "%d passed, %d failed, %d warnings" % (p, f, w)
