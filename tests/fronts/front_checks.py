"""front_checks.py - what front_matrix.py asserts on one case's result: holdon's access line,
curl's view of each request (statuses, 102 count and timing) and the front's forwarding headers,
per setup (baseline, declared, undeclared, control) and front (FRONTS.md: which fronts forward
holdon's 102s, cap them, or must get none).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from common import check  # noqa: E402

DELAY_MS = 3500
MULTISTATUS = "</D:multistatus>"
# what each front does with holdon's 102s when holdon sends them (FRONTS.md)
FORWARDS = {"haproxy": None, "squid": None, "lighttpd": None, "apache": 9, "caddy": 5}  # kind -> cap
WITHHELD = ("nginx", "varnish", "trafficserver")  # holdon must send none through these


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
    acc = r["access"]
    if not check(acc is not None, "%s: holdon logged the PROPFIND" % label, r.get("access_err", "")):
        acc = {"interims": -1, "policy": "?", "status": 0}
    n = n102(r["req1"])
    if setup == "direct":
        check_direct(r, label, acc, n)
    elif setup == "declared":
        check_declared(r, label, acc, n)
    elif setup == "undeclared":
        check_undeclared(r, label, acc, n, front_headers)
    else:
        check_control(r, label, acc, n)


def check_direct(r, label, acc, n):
    no_breakage(r, label)
    check(n >= 10 and n == acc["interims"] and acc["policy"] == "allow:curl/",
          "%s: %d x 102 reach curl, all of holdon's %d (policy=%s, want allow:curl/)"
          % (label, n, acc["interims"], acc["policy"]))


def check_declared(r, label, acc, n):
    f, a = r["front"], r["req1"]
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


def check_undeclared(r, label, acc, n, front_headers):
    f = r["front"]
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


def check_control(r, label, acc, n):
    """Holdon sent 102s freely through a front that breaks on them: the breakage must show."""
    f, a, b = r["front"], r["req1"], r["req2"]
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


def next_cell(b):
    if b["rc"] == 28:
        return "hung (curl timeout after %.0f s)" % b["time"]
    if b["code"] == 0:
        return "failed (curl rc %d)" % b["rc"]
    return "%d, %s conn%s" % (b["code"], "same" if b["reused"] and b["connects"] == 0 else "new",
                             "" if b["rc"] == 0 else ", curl rc %d" % b["rc"])
