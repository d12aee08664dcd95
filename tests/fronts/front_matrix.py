#!/usr/bin/env python3
"""front_matrix.py - real client -> real front proxy -> holdon -> slow upstream, for each front.

Usage: tests/fronts/front_matrix.py [--holdon /tmp/holdon-dev/holdon] [--only nginx,caddy]
                                    [--jobs 3]
Fronts (Debian 12 packages, each from a config of tests/fronts/frontpeers.py, on loopback):
nginx 1.22 (as ingress-nginx), HAProxy 2.6, Apache 2.4 mod_proxy_http, Caddy 2.6, Varnish 7.1,
Squid 5.7 (accel), lighttpd 1.4 (mod_proxy), Apache Traffic Server 9.2.
The client is curl (default UA curl/..., on holdon's allow list): one invocation, two requests on
one connection: PROPFIND Depth: 1 /slow?delay_ms=3500 (207 multistatus), then GET /next.
holdon: interim {mode: auto, first_after: 50ms, every: 100ms, max: 100}, upstream_response 20s,
text access log (interims=N policy=WHY). 3.5 s at 100 ms is ~34 interims: more than Apache's
9 and Go's (Caddy 2.6) 5.

Baseline: curl -> holdon directly (all of holdon's 102s, policy allow:curl/).
Per front:
  declared    `fronts: [{addresses: [127.0.0.1, "::1"], kind: <front>}]`: no breakage (207 +
              body, the next request works on the same connection, no 5xx). 102s reach the
              client through haproxy/squid/lighttpd (all of holdon's), apache (1..9), caddy
              (1..5, holdon stretches the gap); nginx/varnish/trafficserver: holdon sends none
              (policy=front:<kind>, interims=0).
  undeclared  no `fronts:`, the front adds its usual forwarding headers: no breakage, holdon
              sends no 1xx (policy=undeclared-proxy:<Header>, interims=0).
  control     (nginx, varnish, apache, caddy, trafficserver) interim mode always and the front
              declared as `kind: haproxy` (a lie), so holdon sends 102s freely: the breakage
              must show (nginx: 102 taken as final / next request hangs; varnish 503; apache
              502 after 10; caddy 502 after 5; trafficserver 102 taken as final). With a holdon
              that does not know `fronts:` the control runs without that section.
Each front's own request headers are measured too (front -> slow_upstream, no holdon), and
the header holdon names in undeclared-proxy:<Header> must be one of them.
Prints a markdown matrix, then "N passed, M failed"; exit 1 on any failure. Loopback only,
bounded (290 s). E2E_VERBOSE=1 echoes every child's output to stderr.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import check, skip  # noqa: E402
import frontproc  # noqa: E402
from frontpeers import FRONTS  # noqa: E402
from front_checks import (DELAY_MS, MULTISTATUS, evaluate, final_status, first_102_at, n102,  # noqa: E402
                          next_cell)

INTERIM = "{mode: %s, first_after: 50ms, every: 100ms, max: 100}"
BREAKING = ("nginx", "varnish", "apache", "caddy", "trafficserver")
CLIENT_HEADERS = {"host", "user-agent", "accept", "depth", "content-length", "connection", "accept-encoding"}

_live = set()  # FrontProcess / Child objects alive, torn down on an overall timeout
_live_lock = threading.Lock()


def track(obj, on=True):
    with _live_lock:
        (_live.add if on else _live.discard)(obj)


# ---- holdon --------------------------------------------------------------------------------
def holdon_yaml(upstream_port, mode, fronts_kind):
    y = ("listen: [127.0.0.1:0]\nthreads: 1\n"
         "upstreams:\n  dav: {servers: [127.0.0.1:%d]}\n"
         "routes:\n  - {path_prefix: /, upstream: dav}\n"
         "interim: %s\ntimeouts: {upstream_response: 20s}\nlog: {access: text}\n"
         % (upstream_port, INTERIM % mode))
    if fronts_kind:
        y += 'fronts:\n  - {addresses: [127.0.0.1, "::1"], kind: %s}\n' % fronts_kind
    return y


def holdon_knows_fronts(binary, tmp):
    path = common.write_file(os.path.join(tmp, "probe.yaml"), holdon_yaml(9, "auto", "nginx"))
    p = subprocess.run([binary, "--check", "-c", path], capture_output=True, timeout=10)
    return p.returncode == 0, (p.stdout + p.stderr).decode("utf-8", "replace").strip()


ACCESS = re.compile(r'"(PROPFIND|GET) (\S+)" (\d{3}) interims=(\d+) .*?policy=(\S+)')


def access_line(holdon, method, timeout):
    m = holdon.wait_for(r'"%s /[^"]*" \d{3} interims=\d+ .*policy=\S+' % method, timeout)
    a = ACCESS.search(m.group(0))
    return {"status": int(a.group(3)), "interims": int(a.group(4)), "policy": a.group(5), "line": m.group(0)}


# ---- curl ----------------------------------------------------------------------------------
TRACE_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) ")


def parse_verbose(err):
    """curl -v --trace-time stderr -> [{"line": request line, "reused": bool,
    "blocks": [(status, {hdr: v})], "at": [seconds after the request line, per block]}]."""
    reqs, cur, blk, reuse, t_req = [], None, None, False, 0.0
    for line in err.replace("\r", "").split("\n"):
        t = None
        if (m := TRACE_TIME.match(line)):
            t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
            line = line[m.end():]
        if line.startswith("* Re-using existing connection"):
            reuse = True
        elif re.match(r"> [A-Z]+ \S+ HTTP/", line):
            cur = {"line": line[2:], "reused": reuse, "blocks": [], "at": []}
            reqs.append(cur)
            reuse, blk, t_req = False, None, t or 0.0
        elif cur is not None and (m := re.match(r"< HTTP/\S+ (\d{3}) ?(.*)", line)):
            blk = (int(m.group(1)), {":reason": m.group(2).strip()})
            cur["blocks"].append(blk)
            cur["at"].append(((t - t_req) % 86400) if t is not None else None)
        elif blk is not None and line.startswith("< ") and ":" in line:
            k, _, v = line[2:].partition(":")
            blk[1][k.strip().lower()] = v.strip()
    return reqs


def run_curl(port, tmp):
    """PROPFIND (slow) then GET on the same connection; per request: status blocks, body, rc."""
    b1, b2 = os.path.join(tmp, "body1"), os.path.join(tmp, "body2")
    base = ["-sS", "-v", "--trace-time", "--noproxy", "*"]
    w = "##R%d %{response_code} %{num_connects} %{exitcode} %{time_total}\n"
    url = "http://%s:%d" % (common.HOST, port)
    argv = (["curl"] + base + ["--max-time", "12", "-X", "PROPFIND", "-H", "Depth: 1", "-o", b1,
                               "-w", w.replace("%d", "1", 1), url + "/slow?delay_ms=%d" % DELAY_MS, "--next"]
            + base + ["--max-time", "5", "-o", b2, "-w", w.replace("%d", "2", 1), url + "/next"])
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=30)
    took = time.monotonic() - t0
    err = p.stderr.decode("latin-1")
    reqs = parse_verbose(err)
    res = {}
    for m in re.finditer(r"^##R(\d) (\d+) (\d+) (\d+) (\S+)$", p.stdout.decode("latin-1"), re.M):
        res[int(m.group(1))] = {"code": int(m.group(2)), "connects": int(m.group(3)), "rc": int(m.group(4)),
                                "time": float(m.group(5))}
    out = []
    for i, path in ((1, b1), (2, b2)):
        r = res.get(i, {"code": 0, "connects": -1, "rc": -1, "time": 0.0})
        r["reqs"] = [q for q in reqs if (" /slow" in q["line"]) == (i == 1)]
        r["blocks"] = [b for q in r["reqs"] for b in q["blocks"]]
        r["at"] = [t for q in r["reqs"] for t in q["at"]]
        r["reused"] = any(q["reused"] for q in r["reqs"])
        try:
            with open(path, "rb") as f:
                r["body"] = f.read(1 << 16).decode("utf-8", "replace")
        except OSError:
            r["body"] = ""
        out.append(r)
    return out[0], out[1], took, err


# ---- one case: holdon + front + curl --------------------------------------------------------
def run_case(binary, upstream_port, front, setup, knows_fronts):
    """One holdon (config per `setup`) + one front (None: curl talks to holdon directly, the
    baseline) + curl. Returns a dict with everything the checks and the matrix need."""
    r = {"front": front.name if front else "(none)", "setup": setup, "error": None}
    if setup == "declared":
        mode, kind = "auto", front.kind
    elif setup in ("undeclared", "direct"):
        mode, kind = "auto", None
    else:  # control: holdon is told the front forwards 1xx, and to send 102s to everyone
        mode, kind = "always", "haproxy"
    if kind and not knows_fronts:
        if setup == "declared":
            r["error"] = "holdon rejects `fronts:` (binary without the new policy)"
            return r
        kind, r["no_fronts_section"] = None, True
    tmp = tempfile.mkdtemp(prefix="holdon-fm-%s-%s-" % (front.name if front else "none", setup))
    holdon = fp = None
    try:
        r["holdon_config"] = holdon_yaml(upstream_port, mode, kind)
        cfg = common.write_file(os.path.join(tmp, "holdon.yaml"), r["holdon_config"])
        holdon = common.start_holdon(binary, cfg)
        track(holdon)
        port = holdon.port
        if front:
            fp = frontproc.FrontProcess(front, holdon.port, tag="-" + setup)
            track(fp)
            port = fp.start().port
        r1, r2, took, err = run_curl(port, tmp)
        r.update(req1=r1, req2=r2, curl_s=took, curl_err=err)
        try:
            r["access"] = access_line(holdon, "PROPFIND", 25)
        except (TimeoutError, RuntimeError) as e:
            r["access"], r["access_err"] = None, str(e).split("\n")[0]
        if fp:
            r["front_tail"] = fp.child.tail(15)
            r["front_log"] = "\n".join(fp.child.lines)
        r["holdon_tail"] = holdon.tail(10)
    except Exception as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        for c in (fp, holdon):
            if c:
                c.stop()
                track(c, False)
        shutil.rmtree(tmp, ignore_errors=True)
    return r


def probe_headers(front, upstream_port):
    """The request headers `front` adds by default: front -> slow_upstream directly (no holdon),
    one GET; returns [[name, value], ...] as the upstream received them, or an error string."""
    fp = frontproc.FrontProcess(front, upstream_port, tag="-probe")
    track(fp)
    try:
        fp.start()
        p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "5", "-o", os.devnull, "-D", "-",
                            "http://%s:%d/probe" % (common.HOST, fp.port)], capture_output=True, timeout=15)
        m = re.search(r"^X-Echo-Headers: (.*?)\r?$", p.stdout.decode("latin-1"), re.M | re.I)
        if not m:
            return "no X-Echo-Headers (curl rc %d: %s)" % (p.returncode, p.stderr.decode("latin-1").strip()[:120])
        return [[k, v] for k, v in json.loads(m.group(1)) if k.lower() not in CLIENT_HEADERS]
    except Exception as e:
        return "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
    finally:
        fp.stop()
        track(fp, False)


# ---- the matrix -------------------------------------------------------------------------------
def final_cell(a):
    fs = final_status(a)
    txt = str(fs)
    if fs == 207:
        txt += " + multistatus" if MULTISTATUS in a["body"] else " (body %dB, no multistatus)" % len(a["body"])
    if a["rc"] == 28:
        txt += " (then hung: curl timeout)"
    elif a["rc"]:
        txt += " (curl rc %d)" % a["rc"]
    return txt


def matrix(results):
    rows = ["| front | setup | 102s reaching the client | holdon interims / policy | final status | next request |",
            "|---|---|---|---|---|---|"]
    for r in results:
        setup = r["setup"] + (" (no fronts: section)" if r.get("no_fronts_section") else "")
        if r.get("error"):
            rows.append("| %s | %s | - | - | %s | - |" % (r["front"], setup, r["error"].split("\n")[0][:90]))
            continue
        a, b, acc = r["req1"], r["req2"], r["access"] or {"interims": "?", "policy": "?"}
        c102 = str(n102(a))
        if n102(a) and first_102_at(a) is not None:
            c102 += " (1st at %.2f s)" % first_102_at(a)
        if r["front"] == "nginx" and any(s == 102 and "nginx" in h.get("server", "") for s, h in a["blocks"]):
            c102 = c102[:-1] + "; 1st with Server: nginx)"
        rows.append("| %s | %s | %s | %s / %s | %s | %s |" % (r["front"], setup, c102, acc["interims"], acc["policy"],
                                                           final_cell(a), next_cell(b)))
    return "\n".join(rows)


def usable_fronts(names):
    """The fronts of `names` whose binaries are installed (the others are skipped), with their versions."""
    fronts = []
    for n in names:
        f = FRONTS[n]
        if f.available():
            fronts.append(f)
            print("front %s %s" % (n, f.version()), flush=True)
        else:
            skip("%s: no %s (scripts/deps.sh test installs it)" % (n, f.binary))
    return fronts


def run_all(a, fronts, knows):
    """Every case, the baseline and the header probes, `a.jobs` at a time; (results in matrix
    order with the baseline first, {front: headers it adds})."""
    setups = ("declared", "undeclared", "control")
    cases = [(f, s) for f in fronts for s in setups if s != "control" or f.name in BREAKING]
    # the longest cases first (a control that hangs until curl's --max-time), results in matrix order
    cases.sort(key=lambda c: (c[1] != "control" or c[0].name not in ("trafficserver", "nginx"), c[1] != "control"))

    upstream = common.start_upstream()
    track(upstream)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs))
    results, front_headers = [], {}
    try:
        futs = [pool.submit(run_case, a.holdon, upstream.port, f, s, knows) for f, s in cases]
        direct = pool.submit(run_case, a.holdon, upstream.port, None, "direct", knows)
        probes = {f.name: pool.submit(probe_headers, f, upstream.port) for f in fronts}
        results = [fut.result() for fut in futs]
        order = {(f.name, s): i for i, (f, s) in enumerate((f, s) for f in fronts for s in setups)}
        results.sort(key=lambda r: order[(r["front"], r["setup"])])
        results.insert(0, direct.result())
        front_headers = {n: p.result() for n, p in probes.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        with _live_lock:
            left = list(_live)
        for c in left:
            c.stop()
        upstream.stop()
    return results, front_headers


def judge(results, front_headers):
    """The checks of every case; a failed case's logs (every case's with E2E_VERBOSE) printed."""
    for r in results:
        failed = common._counts["failed"]
        try:
            evaluate(r, front_headers)
        except Exception as e:  # a bug in a check is one failure, the other cases are still judged
            check(False, "%s %s: evaluated" % (r["front"], r["setup"]), "%s: %s" % (type(e).__name__, e))
        if common._counts["failed"] > failed or os.environ.get("E2E_VERBOSE"):
            for what in ("holdon_config", "front_tail", "holdon_tail"):
                if r.get(what):
                    print("--- %s %s: %s ---\n%s" % (r["front"], r["setup"], what.replace("_", " "), r[what]))
            if r.get("curl_err"):
                tail = [l for l in r["curl_err"].split("\n") if "< X-Echo-Headers" not in l][-25:]
                print("--- %s %s: curl -v (tail) ---\n%s" % (r["front"], r["setup"], "\n".join(tail)))


def report(results, front_headers):
    print()
    print(matrix(results))
    print()
    for r in results:
        if r.get("breakage"):
            print("control %s: %s" % (r["front"], r["breakage"]))
    print("Request headers each front adds (front -> slow_upstream directly, no holdon):")
    for f, hs in front_headers.items():
        print("  %s: %s" % (f, "; ".join("%s: %s" % (k, v[:70]) for k, v in hs) if isinstance(hs, list) else hs))


def main():
    ap = common.arg_parser(__doc__.split("\n")[0])
    ap.set_defaults(holdon="/tmp/holdon-dev/holdon")
    ap.add_argument("--only", default="", help="comma-separated fronts (default: all)")
    ap.add_argument("--jobs", type=int, default=3, help="cases run in parallel (default 3)")
    a = ap.parse_args()
    t_start = time.monotonic()
    names = [n for n in (a.only.split(",") if a.only else FRONTS) if n]
    for n in names:
        if n not in FRONTS:
            raise SystemExit("unknown front %r (have: %s)" % (n, ", ".join(FRONTS)))
    if not check(os.access(a.holdon, os.X_OK), "holdon binary %s is executable" % a.holdon):
        return
    if not shutil.which("curl"):
        check(False, "curl is installed (scripts/deps.sh test)")
        return
    tmp = tempfile.mkdtemp(prefix="holdon-fm-")
    try:
        knows, why = holdon_knows_fronts(a.holdon, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("holdon %s: `fronts:` %s" % (a.holdon, "accepted" if knows else "REJECTED (%s)" % why), flush=True)

    fronts = usable_fronts(names)
    results, front_headers = run_all(a, fronts, knows)
    judge(results, front_headers)
    report(results, front_headers)
    print("total %.1fs" % (time.monotonic() - t_start), flush=True)


if __name__ == "__main__":
    common.run(main, 290)
