#!/usr/bin/env python3
"""litmus_compare.py - WebDAV transparency: litmus through holdon equals litmus direct.

Usage: tests/dav/litmus_compare.py [--holdon build/holdon]
Starts Apache httpd + mod_dav on loopback (tests/dav/davpeers.py) and runs litmus
(basic copymove props locks http):
  1. directly against Apache                       -> the reference
  2. through holdon, route / -> /                  -> per-suite run/passed/failed/warnings = 1
  3. through holdon, prefix mount /dav/ -> /        -> must equal 1 (Destination, If, Location
     and the hrefs of 207 bodies are rewritten; without the hrefs props fails), and 0 failed
  4. through holdon with interim mode always, first_after 0: a 102 on every exchange, at /
     and at the /dav/ mount -> must equal 1, and holdon's JSON access log must show a
     keep-alive 102 on every exchange answered with a status < 400
Every comparison also names the failed tests. Prints the litmus summaries; ends with
"N passed, M failed"; exit 0 only if nothing failed.
"""
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import common  # noqa: E402
import davpeers  # noqa: E402
from common import check  # noqa: E402

class Holdon(common.Child):
    """holdon with a JSON access log; every line is counted (the Child keeps only a tail)."""

    def __init__(self, binary, config_path):
        self.exchanges = self.with_102 = self.keepalive_102 = 0
        self.without_102 = []  # exchanges that got none, for the log
        self.complete = self.complete_with_102 = 0
        self.count_lock = threading.Lock()
        super().__init__("holdon", [str(binary), "-c", str(config_path)])
        self.port = int(self.wait_for(r"listening on http://127\.0\.0\.1:(\d+)", 10).group(1))

    def on_line(self, line):
        if not line.startswith("{"):
            return
        try:
            rec = json.loads(line)
            with self.count_lock:
                self.exchanges += 1
                self.keepalive_102 += rec["keepalive_102"]
                self.with_102 += rec["keepalive_102"] > 0
                # A success can only follow the whole request; an error status may come
                # early (before holdon finished forwarding the body, so before any 102).
                if not rec["error"] and rec["status"] < 400:
                    self.complete += 1
                    self.complete_with_102 += rec["keepalive_102"] > 0
                if rec["keepalive_102"] == 0:
                    self.without_102.append("%s %s -> %s (%s)" % (
                        rec["method"], rec["target"], rec["status"], rec["error"] or "no error"))
        except (ValueError, KeyError):
            pass

    def counts(self):
        with self.count_lock:
            return self.exchanges, self.with_102, self.keepalive_102, self.complete, self.complete_with_102


def start_holdon(binary, apache, interim, tmp, name):
    config = davpeers.holdon_config(apache.port, interim=interim, access="json")
    return Holdon(binary, davpeers.write_config(tmp, config, name))


def compare(label, ref, got):
    """Per-suite run/passed/failed/warnings and the failed test names must equal the direct run's."""
    print("%-34s %s" % (label + ":", davpeers.totals(got)), flush=True)
    for suite in davpeers.SUITES:
        r, g = ref.get(suite), got.get(suite)
        ok = g is not None and r is not None and g.counts() == r.counts() and g.failures == r.failures
        check(ok, "%s: litmus %s equals direct" % (label, suite),
              "direct: %s / %s: %s" % (r, label, g))
        if not ok:
            print(got["_raw"][-3000:], flush=True)


def main(binary):
    with davpeers.Apache() as apache, tempfile.TemporaryDirectory(prefix="holdon-litmus-") as tmp:
        direct = davpeers.run_litmus(apache.url("/"))
        print("%-34s %s" % ("direct:", davpeers.totals(direct)), flush=True)
        for s in davpeers.SUITES:
            print("  %-9s %s" % (s, direct.get(s)), flush=True)
        # The reference itself must be sane, or equality would prove nothing.
        check(all(s in direct and direct[s].run > 0 for s in davpeers.SUITES),
              "direct litmus ran every suite", direct["_raw"][-2000:])

        h = start_holdon(binary, apache, "{mode: auto}", tmp, "plain")
        try:
            compare("through holdon", direct, davpeers.run_litmus("http://127.0.0.1:%d/" % h.port))
            mounted = davpeers.run_litmus("http://127.0.0.1:%d/dav/" % h.port)
            compare("prefix mount /dav/ -> /", direct, mounted)
            failed = sum(mounted[x].failed for x in davpeers.SUITES if x in mounted)
            check(failed == 0 and all(x in mounted for x in davpeers.SUITES),
                  "prefix mount /dav/ -> /: no litmus test fails (%s)" % davpeers.totals(mounted))
        finally:
            h.stop()

        h = start_holdon(binary, apache, "{mode: always, first_after: 0ms, every: 1s, max: 100}", tmp, "always")
        try:
            for label, path in (("102 on every exchange", "/"), ("102 on every exchange, /dav/", "/dav/")):
                before = h.counts()
                got = davpeers.run_litmus("http://127.0.0.1:%d%s" % (h.port, path))
                compare(label, direct, got)
                # The access line is written when the exchange ends; litmus has finished.
                ex, with_102, sent, complete, complete_102 = (a - b for a, b in zip(h.counts(), before))
                print("  holdon: %d exchanges, %d with a keep-alive 102, %d keep-alive 102s sent"
                      % (ex, with_102, sent), flush=True)
                for line in h.without_102[-10:]:
                    print("  without a 102: %s" % line, flush=True)
                h.without_102.clear()
                # Exempt: error answers (an upstream may send them before the request body
                # is through) and exchanges the client abandoned (litmus' expect100 test).
                check(complete > 100 and complete_102 == complete,
                      "%s: holdon sent a keep-alive 102 on each of the %d successful exchanges" % (label, complete),
                      "only on %d" % complete_102)
        finally:
            h.stop()


if __name__ == "__main__":
    args = common.arg_parser(__doc__.split("\n")[0]).parse_args()
    common.run(lambda: main(args.holdon), limit_s=280)
