#!/usr/bin/env python3
"""dav_clients.py - a real DAV client and a public origin through holdon to Apache mod_dav.

Usage: tests/dav/dav_clients.py [--holdon build/holdon]
holdon (interim mode always, first_after 0: every exchange gets a 102) in front of Apache
httpd + mod_dav (tests/dav/davpeers.py), routes:
    /dav/   -> upstream /, public_origin https://files.example.com
    /       -> upstream /, nothing rewritten
  * cadaver session (ls, put, get, copy, move, lock, unlock, delete) through holdon at /
    and under the /dav/ mount: every command succeeds, the file comes back byte for byte,
    and Apache's DAV root ends in the expected state
  * public origin: COPY and MOVE with Destination https://files.example.com/dav/... (what a
    client behind a TLS front end sends) succeed, Location comes back under the public
    origin and prefix, PROPFIND hrefs are under /dav/; the same COPY on the route without
    public_origin is refused by mod_dav with 502 (the control: the rewriting is what helps)
Ends with "N passed, M failed"; exit 0 only if nothing failed.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import common  # noqa: E402
import davpeers  # noqa: E402
from common import check, step  # noqa: E402

PUBLIC = "https://files.example.com"
COMMANDS = ["ls", "mkcol {d}", "put local.txt {d}/f.txt", "ls {d}", "copy {d}/f.txt {d}/g.txt",
            "move {d}/g.txt {d}/h.txt", "lock {d}/h.txt", "unlock {d}/h.txt", "get {d}/h.txt back.txt",
            "delete {d}/f.txt", "ls {d}"]


def t_cadaver(holdon_port, apache, path, d, tmp):
    url = "http://127.0.0.1:%d%s" % (holdon_port, path)
    work = tempfile.mkdtemp(dir=tmp)
    payload = os.urandom(70000) + b"end\n"  # binary, more than one relay chunk
    with open(os.path.join(work, "local.txt"), "wb") as f:
        f.write(payload)
    script = "\n".join(c.format(d=d) for c in COMMANDS) + "\nquit\n"
    p = subprocess.run(["cadaver", url], input=script, cwd=work, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, HOME=work))  # no ~/.netrc or ~/.cadaverrc of the user
    out = p.stdout + p.stderr
    # One "dav:/...> command" prompt per command; the text up to the next prompt is its output.
    parts = re.split(r"dav:[^\n>]*> ", out)[1:]
    label = "cadaver via holdon at %s" % path
    check(p.returncode == 0 and len(parts) >= len(COMMANDS), "%s: session ran every command" % label, out[-1500:])
    for cmd, text in zip(COMMANDS, parts):
        cmd = cmd.format(d=d)
        ok = ("succeeded" in text or "collection is empty" in text) and "failed" not in text.lower()
        check(ok, "%s: %s" % (label, cmd), text.strip()[-300:])
    listing = parts[3] if len(parts) > 3 else ""
    check(re.search(r"\bf\.txt\s+%d\b" % len(payload), listing), "%s: ls lists f.txt with its size" % label, listing)
    with open(os.path.join(work, "back.txt"), "rb") as f:
        back = f.read()
    check(back == payload, "%s: get returns the bytes put" % label, "%d bytes back" % len(back))
    root = os.path.join(apache.root, d)
    check(sorted(os.listdir(root)) == ["h.txt"], "%s: DAV root holds exactly h.txt after the session" % label,
          str(os.listdir(root)))


def request(port, method, path, host, headers=(), body=b""):
    with common.RawConn(port, timeout=20) as c:
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: dav-clients-e2e\r\nContent-Length: %d\r\n" % (
            method, path, host, len(body))
        head += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
        c.send(head.encode() + body)
        return c.read_response(method)


def t_public_origin(port, apache):
    host = "files.example.com"  # what the TLS front end passes on
    r = request(port, "PUT", "/dav/src.txt", host, body=b"public origin\n")
    check(r.status == 201, "public origin: PUT /dav/src.txt -> 201", r.status_line)
    check(r.headers.get("location") == PUBLIC + "/dav/src.txt",
          "public origin: Location is under the public origin and prefix", r.headers.get("location"))
    check(any(s == 102 for s, _ in r.interim), "public origin: the PUT got a 102 first", str(r.interim))
    r = request(port, "COPY", "/dav/src.txt", host, [("Destination", PUBLIC + "/dav/copy.txt")])
    check(r.status == 201, "public origin: COPY to %s/dav/copy.txt -> 201" % PUBLIC, r.status_line)
    r = request(port, "MOVE", "/dav/copy.txt", host, [("Destination", PUBLIC + ":443/dav/moved.txt")])
    check(r.status == 201, "public origin: MOVE to %s:443/dav/moved.txt -> 201" % PUBLIC, r.status_line)
    check(sorted(os.listdir(apache.root)) == ["moved.txt", "src.txt"],
          "public origin: COPY and MOVE landed where asked", str(os.listdir(apache.root)))
    r = request(port, "PROPFIND", "/dav/", host, [("Depth", "1")])
    hrefs = re.findall(rb"<D:href>([^<]*)</D:href>", r.body)
    check(r.status == 207 and sorted(hrefs) == [b"/dav/", b"/dav/moved.txt", b"/dav/src.txt"],
          "public origin: PROPFIND hrefs are under /dav/", str(hrefs))
    check("content-length" not in r.headers and "chunked" in r.headers.get("transfer-encoding", ""),
          "public origin: the rewritten 207 is re-framed chunked", str(r.headers))
    # Control: without public_origin mod_dav refuses a Destination of another scheme.
    r = request(port, "COPY", "/src.txt", host, [("Destination", PUBLIC + "/copy2.txt")])
    check(r.status == 502, "control: route without public_origin: COPY -> 502 from mod_dav", r.status_line)


def main(binary):
    with davpeers.Apache() as apache, tempfile.TemporaryDirectory(prefix="holdon-davc-") as tmp:
        config = davpeers.holdon_config(apache.port, interim="{mode: always, first_after: 0ms, every: 1s, max: 100}",
                                        mount=", public_origin: '%s'" % PUBLIC)
        h = common.start_holdon(binary, davpeers.write_config(tmp, config))
        try:
            step("cadaver at /", t_cadaver, h.port, apache, "/", "plain", tmp)
            step("cadaver at /dav/", t_cadaver, h.port, apache, "/dav/", "mounted", tmp)
            for d in ("plain", "mounted"):  # clean the root for the public origin checks
                for name in os.listdir(os.path.join(apache.root, d)):
                    os.unlink(os.path.join(apache.root, d, name))
                os.rmdir(os.path.join(apache.root, d))
            step("public origin", t_public_origin, h.port, apache)
        finally:
            if common._counts["failed"]:
                print("--- holdon (tail) ---\n%s\n--- apache error.log ---\n%s" % (h.tail(), apache.log_tail()))
            h.stop()


if __name__ == "__main__":
    args = common.arg_parser(__doc__.split("\n")[0]).parse_args()
    common.run(lambda: main(args.holdon), limit_s=200)
