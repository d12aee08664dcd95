"""frontproc.py - starting and stopping one front of frontpeers.py as our own child.

    with FrontProcess(FRONTS["nginx"], backend_port=8081) as fp:   # fp.port: its port

* Readiness is an event: the front's log line, or a listening socket on its port that belongs
  to the front's own process group (/proc/net/tcp + /proc/PID/fd, so another program that
  happens to hold the port does not count) and accepts a connection; checked whenever the
  front prints a line, else every 50 ms; never a fixed sleep. A front that exits early is an
  error carrying its output; one that lost its port to another program is restarted on another.
* Stopping: SIGTERM to the PID we started, SIGKILL after a timeout; then whatever is left in
  the process group of that PID (it runs in its own session: nginx/apache workers, varnish's
  child, ATS' crash-log helper) is killed by that group id. Nothing else is ever signalled.
"""
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import common  # noqa: E402  (Child: a subprocess whose output a thread drains)

HOST = "127.0.0.1"
BIND_ERR = re.compile(r"address already in use|in use|could not bind|cannot bind|bind\(\) .*failed"
                      r"|make_sock: could not bind|Cannot open HTTP Port|Could not bind", re.I)


def free_port():
    """A port the kernel just gave us, closed again right away (a small race, loopback only)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _session_members(sid):
    """Live (not zombie) PIDs whose process group and session are `sid` (a session we created)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == sid and int(fields[3]) == sid:
                pids.append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return pids


class FrontChild(common.Child):
    """common.Child whose stop() also ends what is left of its own session (workers, helpers)."""

    def stop(self, timeout=8.0):
        t0 = time.monotonic()
        rc, _ = super().stop(timeout)
        # start_new_session: the group and session ids are our child's PID. Only if processes of
        # that very session remain (a worker or helper it left behind) is the group killed.
        if _session_members(self.pid):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return rc, time.monotonic() - t0


# ---- starting and stopping ----------------------------------------------------------------
def _listen_inodes(port):
    """Socket inodes listening on 127.0.0.1:port (or a wildcard address), from /proc/net/tcp*."""
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                rows = f.read().split("\n")[1:]
        except OSError:
            continue
        for row in rows:
            fld = row.split()
            if len(fld) > 9 and fld[3] == "0A" and int(fld[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fld[9])
    return inodes


def _group_sockets(sid):
    """Socket inodes held by the processes of the session we started (its leader's PID: sid)."""
    found = set()
    for pid in _session_members(sid):
        try:
            fd_dir = "/proc/%d/fd" % pid
            for fd in os.listdir(fd_dir):
                link = os.readlink(os.path.join(fd_dir, fd))
                if link.startswith("socket:["):
                    found.add(link[8:-1])
        except (OSError, ValueError, IndexError):
            continue
    return found


class PortTaken(RuntimeError):
    pass


def wait_accepting(child, port, timeout):
    """Until OUR front listens on `port` (a listening socket of its process group, so another
    program on that port does not count) and the port accepts a connection. Between attempts we
    wait on the child's output (a new line wakes us at once), so a front that exits or logs an
    error is noticed right away."""
    deadline = time.monotonic() + timeout
    while True:
        if child.proc.poll() is not None:
            raise RuntimeError("%s exited (%s) before accepting on %d:\n%s"
                               % (child.name, child.proc.returncode, port, child.tail()))
        listening = _listen_inodes(port)
        if listening:
            if listening & _group_sockets(child.pid):
                try:
                    socket.create_connection((HOST, port), timeout=0.5).close()
                    return
                except OSError:
                    pass
            elif BIND_ERR.search("\n".join(child.lines)):
                raise PortTaken("%s: port %d is taken by another program:\n%s" % (child.name, port, child.tail()))
        if time.monotonic() > deadline:
            raise TimeoutError("%s: not listening on %d within %.0fs%s:\n%s" % (
                child.name, port, timeout, " (another program listens there)" if listening else "", child.tail()))
        with child.cond:
            child.cond.wait(0.05)  # no event for "listen() done" in a process we do not control; output wakes us


class FrontProcess:
    """with FrontProcess(front, backend_port) as fp: fp.port, fp.child (output in fp.child.lines)."""

    def __init__(self, front, backend_port, tag=""):
        self.front, self.backend, self.tag = front, backend_port, tag
        self.child, self.port = None, None
        self.dir = tempfile.mkdtemp(prefix="holdon-front-%s-" % front.name)
        os.chmod(self.dir, 0o755)  # a front that drops privileges must reach its files

    def start(self):
        f = self.front
        for attempt in range(3):
            port = 0 if f.port0 else free_port()
            argv = f.write(self.dir, port, self.backend)
            self.child = FrontChild("%s%s" % (f.name, self.tag), argv, env=f.env(self.dir))
            try:
                if f.port0:
                    port = f.discover_port(self.child, self.dir, f.start_timeout)
                wait_accepting(self.child, port, f.start_timeout)
                self.port = port
                return self
            except BaseException as e:
                self.child.stop()
                out = "\n".join(self.child.lines)
                if (isinstance(e, PortTaken) or isinstance(e, RuntimeError) and BIND_ERR.search(out)) \
                        and attempt < 2 and not f.port0:
                    continue  # somebody took the free port between our check and the front's bind
                raise
        raise RuntimeError("unreachable")

    def stop(self):
        if self.child:
            self.child.stop()
            self.child = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
