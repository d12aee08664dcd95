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
Beside it: client_table.py (the expectation table), client_runners.py (how each library is
run and built), matrix_rig.py (children with a whole log, the counting relay).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import common  # noqa: E402
from common import check  # noqa: E402
from client_runners import CLIENTS, DEBIAN_PYTHON, DELAY_MS, FILE_BODY, build_go, build_java, kill_live  # noqa: E402
from client_table import LIBRARIES, MATRIX, md, print_table  # noqa: E402
from matrix_rig import Relay, start_child  # noqa: E402

ROUTE_MAX = 200

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


def case_targets(name, lib, pathy):
    """(prefix, target of request 1, target of request 2) of a case."""
    prefix = "/m/%s/" % name
    if pathy:  # clients that drop a query: the delay is a path segment (matrix_upstream.py)
        t1 = prefix + "delay_ms=%d/" % DELAY_MS
        t2 = prefix + ("file.txt" if lib == "cadaver" else "delay_ms=%d/sub/" % DELAY_MS)
    else:
        t1, t2 = prefix + "r1?delay_ms=%d" % DELAY_MS, prefix + "r2"
    return prefix, t1, t2


def run_case(rig, name, lib, ua, expect, control):
    runner, method1, pathy, _ = CLIENTS[lib]
    holdon = rig["control"] if control else rig["auto"]
    relay = Relay(holdon.port)
    home = tempfile.mkdtemp(prefix="case-", dir=rig["tmp"])
    prefix, t1, t2 = case_targets(name, lib, pathy)
    base = "http://%s:%d%s" % (common.HOST, relay.port, prefix)
    ctx = {"base": base, "url1": "http://%s:%d%s" % (common.HOST, relay.port, t1),
           "url2": "http://%s:%d%s" % (common.HOST, relay.port, t2), "home": home, "builds": rig["builds"]}
    row = {"case": name, "lib": lib, "ua_cfg": ua, "expect": expect, "control": control, "problems": []}
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

    fill_row(row, reqs, up, log, relay, method1, t1, t2)
    if row["l1"] is None:
        row["problems"].append("no access line for %s %s" % (method1, t1))
    if control:
        judge_control(row)
    else:
        judge_case(row, method1)
    return row


def fill_row(row, reqs, up, log, relay, method1, t1, t2):
    """What the client, the upstream, holdon's log and the relay saw of the case, into `row`."""
    lib = row["lib"]
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


def judge_control(row):
    """A control case: the client's known breakage must show, and holdon must have sent 1xx."""
    expect, r1, n, problems = row["expect"], row["r1"], row["n"], row["problems"]
    sym = symptom(expect, r1)
    if not sym:
        problems.append("the breakage (%s) did not show: request 1 %s" % (expect, brief(r1)))
    if n is not None and n == 0:
        problems.append("holdon sent no 1xx in mode always")
    row["verdict"] = "ok: broke as required" if sym else "FAIL: did NOT break"


def judge_case(row, method1):
    """A normal case: both answers right, one connection, the 1xx counts as expected and agreeing."""
    expect, n, client_n, log, l1, problems = (row["expect"], row["n"], row["client_n"], row["log"], row["l1"],
                                              row["problems"])
    r1, r2 = row["r1"], row["r2"]
    want1 = 200 if method1 == "GET" else 207
    if not row["final_ok"]:
        problems.append("request 1: want %d + full body, got %s" % (want1, brief(r1)))
    if not row["next_ok"]:
        problems.append("request 2: got %s" % brief(r2))
    if row["conns"] != 1:
        problems.append("%d TCP connections (want one for both requests)" % row["conns"])
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
    if row["wire"] != total:
        problems.append("%d 1xx status lines on the wire, holdon logged %d" % (row["wire"], total))
    row["verdict"] = "ok" if not problems else "FAIL"


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
def start_rig(holdon, tmp, state):
    """matrix_upstream and the two holdons (auto, control), each registered in state for teardown."""
    rig = {"tmp": tmp}
    rig["upstream"] = start_child("matrix_upstream", [DEBIAN_PYTHON, str(HERE / "matrix_upstream.py"), "--port", "0",
                                                      "--quiet"], r"listening on http://127\.0\.0\.1:(\d+)")
    state["children"].append(rig["upstream"])
    for key, interim in (("auto", INTERIM_AUTO), ("control", INTERIM_CONTROL)):
        cfg = common.write_file(os.path.join(tmp, "holdon-%s.yaml" % key),
                                HOLDON_CONFIG.format(port=rig["upstream"].port, interim=interim))
        rig[key] = start_child("holdon-" + key, [holdon, "-c", cfg], r"listening on http://127\.0\.0\.1:(\d+)")
        state["children"].append(rig[key])
    print("matrix_upstream :%d, holdon (auto) :%d, holdon (controls) :%d, %s" % (
        rig["upstream"].port, rig["auto"].port, rig["control"].port, holdon), flush=True)
    return rig


def collect(futures):
    """One check per case as it finishes (in completion order); returns the rows."""
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
    return rows


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
    rig = start_rig(a.holdon, tmp, state)

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
    rows = collect(futures)
    pool.shutdown(wait=True)
    index = {c[0]: i for i, c in enumerate(cases)}
    rows.sort(key=lambda r: index[r["case"]])
    print_matrix(rows)
    print("\n(%d cases in %.0fs)" % (len(rows), time.monotonic() - t0), flush=True)


def teardown(state):
    kill_live()
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
