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
import frontpeers  # noqa: E402
from frontpeers import FRONTS  # noqa: E402

DELAY_MS = 3500
MULTISTATUS = "</D:multistatus>"
INTERIM = "{mode: %s, first_after: 50ms, every: 100ms, max: 100}"
# what each front does with holdon's 102s when holdon sends them (FRONTS.md)
FORWARDS = {"haproxy": None, "squid": None, "lighttpd": None, "apache": 9, "caddy": 5}  # kind -> cap
WITHHELD = ("nginx", "varnish", "trafficserver")  # holdon must send none through these
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
    path = os.path.join(tmp, "probe.yaml")
    with open(path, "w") as f:
        f.write(holdon_yaml(9, "auto", "nginx"))
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
        cfg = os.path.join(tmp, "holdon.yaml")
        r["holdon_config"] = holdon_yaml(upstream_port, mode, kind)
        with open(cfg, "w") as f:
            f.write(r["holdon_config"])
        holdon = common.start_holdon(binary, cfg)
        track(holdon)
        port = holdon.port
        if front:
            fp = frontpeers.FrontProcess(front, holdon.port, tag="-" + setup)
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
    fp = frontpeers.FrontProcess(front, upstream_port, tag="-probe")
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


# ---- checks ----------------------------------------------------------------------------------
def n102(req):
    return sum(1 for s, _ in req["blocks"] if s == 102)


def first_102_at(req):
    """Seconds from the request line to the first 102 curl printed (None: no 102)."""
    for (s, _), t in zip(req["blocks"], req["at"]):
        if s == 102:
            return t
    return None


def expected_stretched(cap):
    """How many 102s a capped front should see in DELAY_MS (spec step 6): the gap is
    clamp((upstream_response - first_after) / cap, every, max_gap) = (20 s - 50 ms) / cap."""
    gap = max(0.1, (20.0 - 0.05) / cap)
    return sum(1 for k in range(cap) if 0.05 + k * gap < DELAY_MS / 1000.0)


def final_status(req):
    finals = [s for s, _ in req["blocks"] if s >= 200 or s == 101]
    return finals[-1] if finals else (req["blocks"][-1][0] if req["blocks"] else 0)


def statuses(req):
    return [s for s, _ in req["blocks"]]


def brief(req):
    """'207' / '102 x34, 207' style summary of the status lines curl printed."""
    out, prev, n = [], None, 0
    for s in statuses(req) + [None]:
        if s == prev:
            n += 1
            continue
        if prev is not None:
            out.append("%d x%d" % (prev, n) if n > 1 else str(prev))
        prev, n = s, 1
    return ", ".join(out) or "none"


def no_breakage(r, label):
    a, b = r["req1"], r["req2"]
    check(final_status(a) == 207 and MULTISTATUS in a["body"] and a["rc"] == 0,
          "%s: final 207 + multistatus body" % label,
          "status lines [%s], curl rc %d, body %r" % (brief(a), a["rc"], a["body"][:120]))
    fives = [s for s in statuses(a) + statuses(b) if s >= 500]
    check(not fives, "%s: no 5xx" % label, "5xx seen: %s" % fives)
    check(b["code"] == 200 and b["rc"] == 0 and b["reused"] and b["connects"] == 0,
          "%s: the next request: 200 on the same client connection" % label,
          "status %d, curl rc %d, reused %s, new connections %d" % (b["code"], b["rc"], b["reused"], b["connects"]))


def evaluate(r, front_headers):
    f, setup = r["front"], r["setup"]
    label = "%s %s" % (f, setup)
    if r.get("error"):
        check(False, "%s: ran" % label, r["error"])
        return
    a, b, acc = r["req1"], r["req2"], r["access"]
    if not check(acc is not None, "%s: holdon logged the PROPFIND" % label, r.get("access_err", "")):
        acc = {"interims": -1, "policy": "?", "status": 0}
    n = n102(a)
    if setup == "direct":
        no_breakage(r, label)
        check(n >= 10 and n == acc["interims"] and acc["policy"] == "allow:curl/",
              "%s: %d x 102 reach curl, all of holdon's %d (policy=%s, want allow:curl/)"
              % (label, n, acc["interims"], acc["policy"]))
    elif setup == "declared":
        no_breakage(r, label)
        if f in WITHHELD:
            check(n == 0 and acc["interims"] == 0 and acc["policy"] == "front:%s" % f,
                  "%s: holdon sends no 1xx through %s (policy=front:%s interims=0), none reach the client"
                  % (label, f, f), "client saw %d x 102; holdon interims=%d policy=%s" % (n, acc["interims"], acc["policy"]))
        else:
            cap = FORWARDS[f]
            hi = cap if cap else 100
            lo = 1 if cap else 10  # uncapped: ~34 expected in 3.5 s at 100 ms; 10 leaves room for a loaded box
            check(lo <= n <= hi and n == acc["interims"],
                  "%s: %d x 102 reach the client (want %d..%d, all of holdon's %d)" % (label, n, lo, hi, acc["interims"]),
                  "policy=%s" % acc["policy"])
            t1 = first_102_at(a)
            check(t1 is not None and t1 < 1.5, "%s: the 1st 102 reaches the client while the upstream works (%s s after the request)"
                  % (label, "%.2f" % t1 if t1 is not None else "-"))
            if cap:
                want = expected_stretched(cap)
                check(abs(n - want) <= 1, "%s: holdon stretched the gap for the cap of %d: %d x 102 in %.1f s (want %d +- 1)"
                      % (label, cap, n, DELAY_MS / 1000.0, want))
    elif setup == "undeclared":
        no_breakage(r, label)
        check(n == 0 and acc["interims"] == 0 and acc["policy"].startswith("undeclared-proxy:"),
              "%s: holdon sends no 1xx (policy=undeclared-proxy:..., interims=0), none reach the client" % label,
              "client saw %d x 102; holdon interims=%d policy=%s" % (n, acc["interims"], acc["policy"]))
        sent = front_headers.get(f)
        if isinstance(sent, list) and acc["policy"].startswith("undeclared-proxy:"):
            named = acc["policy"].split(":", 1)[1]
            check(named.lower() in {k.lower() for k, _ in sent},
                  "%s: the header holdon names (%s) is one %s sends by default" % (label, named, f),
                  "%s sends: %s" % (f, ", ".join(k for k, _ in sent)))
    else:
        check(acc["interims"] >= 1, "%s: holdon sent 102s freely (%d, policy=%s)" % (label, acc["interims"], acc["policy"]))
        fs = final_status(a)
        if f == "nginx":
            head = next((h for s, h in a["blocks"] if s == 102 and "nginx" in h.get("server", "")), None)
            own_head = head is not None
            hung = not (b["code"] == 200 and b["rc"] == 0)
            r["breakage"] = "; ".join(x for x in (
                "the 1st 102 carries nginx's own head (Server: %s, Connection: %s): taken as the final response, "
                "the rest (%d more 102s, the 207) relayed as its body" % (head.get("server"), head.get("connection", "-"), n - 1)
                if own_head else "",
                "next request: %s" % next_cell(b) if hung else "") if x)
            check(own_head or hung or fs != 207, "%s: breakage shows (102 taken as final / next request hangs)" % label,
                  "status lines [%s], next %s" % (brief(a), next_cell(b)))
        elif f == "varnish":
            check(fs == 503, "%s: breakage shows (503)" % label, "status lines [%s]" % brief(a))
            r["breakage"] = "503 (%s) after holdon's %d x 102; the client saw none" % (
                next((h[":reason"] for s_, h in a["blocks"] if s_ == 503), ""), acc["interims"])
        elif f == "apache":
            check(fs == 502 and 1 <= n <= 10, "%s: breakage shows (502 after <= 10 interims: %d)" % (label, n),
                  "status lines [%s]" % brief(a))
            m = re.search(r"AH\d+: Too many \(\d+\) interim responses[^\n]*", r.get("front_log", ""))
            check(m, "%s: Apache's error log says why" % label, "no 'Too many (N) interim responses' line")
            r["breakage"] = "%d x 102 forwarded, then 502; Apache: %s" % (n, m.group(0) if m else "-")
        elif f == "caddy":
            check(fs == 502 and n == 5, "%s: breakage shows (502 after 5 interims: %d)" % (label, n),
                  "status lines [%s]" % brief(a))
            m = re.search(r"too many 1xx informational responses", r.get("front_log", ""))
            check(m, "%s: Caddy's log says why (Go's 'too many 1xx informational responses')" % label)
            r["breakage"] = "%d x 102 forwarded, then 502; Caddy logs: net/http: %s" % (n, m.group(0) if m else "-")
        elif f == "trafficserver":
            check(fs == 102 or (n >= 1 and 207 not in statuses(a)),
                  "%s: breakage shows (102 taken as final, no 207)" % label,
                  "status lines [%s], curl rc %d" % (brief(a), a["rc"]))
            h102 = next((h for s_, h in a["blocks"] if s_ == 102), {})
            r["breakage"] = ("the client got one 102 with ATS' own head (%s; Server: %s, Connection: %s) as the answer, "
                             "then nothing until curl's --max-time (rc %d); holdon: %d x 102, then ATS closed (holdon status %s)"
                             % (h102.get(":reason", "-"), h102.get("server", "-"), h102.get("connection", "-"), a["rc"], acc["interims"], acc["status"]))


# ---- the matrix -------------------------------------------------------------------------------
def next_cell(b):
    if b["rc"] == 28:
        return "hung (curl timeout after %.0f s)" % b["time"]
    if b["code"] == 0:
        return "failed (curl rc %d)" % b["rc"]
    return "%d, %s conn%s" % (b["code"], "same" if b["reused"] and b["connects"] == 0 else "new",
                             "" if b["rc"] == 0 else ", curl rc %d" % b["rc"])


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

    fronts = []
    for n in names:
        f = FRONTS[n]
        if f.available():
            fronts.append(f)
            print("front %s %s" % (n, f.version()), flush=True)
        else:
            skip("%s: no %s (scripts/deps.sh test installs it)" % (n, f.binary))
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
    print()
    print(matrix(results))
    print()
    for r in results:
        if r.get("breakage"):
            print("control %s: %s" % (r["front"], r["breakage"]))
    print("Request headers each front adds (front -> slow_upstream directly, no holdon):")
    for f, hs in front_headers.items():
        print("  %s: %s" % (f, "; ".join("%s: %s" % (k, v[:70]) for k, v in hs) if isinstance(hs, list) else hs))
    print("total %.1fs" % (time.monotonic() - t_start), flush=True)


if __name__ == "__main__":
    common.run(main, 290)
