#!/usr/bin/env python3
"""soak.py - bounded soak of the holdon binary: mixed fast and slow traffic for a fixed
duration, holdon's RSS sampled every interval. Not part of CI (it runs for 30 minutes).

  bench/soak.py [--holdon build/holdon] [--minutes 30] [--interval-s 60] [--clients 12]

Traffic (per client thread, in a loop; every request bounded by a deadline):
  fast GET (small body) x5, a slow PROPFIND held 1-3 s (gets 102s), a 1 MiB streamed
  download, a chunked upload of 256 KiB, and a client that leaves while its request is held.
Prints "minute N: rss_kib=... hwm_kib=... requests=... errors=..." per sample, then the
series and the spread (max/min - 1) over the samples after the first (warm-up) minute.
Exit 0 if the spread is <= 10 % and no request failed unexpectedly, 1 otherwise.
Loopback only; holdon and slow_upstream are our own children, stopped by PID at the end.
"""
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
import common  # noqa: E402

stop = threading.Event()
lock = threading.Lock()
counts = {"requests": 0, "errors": 0}
last_errors = []


def note(ok, what=""):
    with lock:
        counts["requests"] += 1
        if not ok:
            counts["errors"] += 1
            last_errors.append(what)
            del last_errors[:-5]


def one(port, method, path, headers=(), body=b"", expect=200, leave_after_s=None):
    c = common.RawConn(port, timeout=30)
    try:
        h = "".join("%s: %s\r\n" % kv for kv in headers)
        if body:
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                              for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
            h += "Transfer-Encoding: chunked\r\n"
        else:
            chunks = b""
        c.send(("%s %s HTTP/1.1\r\nHost: soak\r\nUser-Agent: litmus/0.13 soak\r\n%s\r\n" % (method, path, h)).encode()
               + chunks)
        if leave_after_s is not None:
            time.sleep(leave_after_s)  # the point: the client leaves while the request is held
            return note(True)
        r = c.read_response(method=method)
        note(r.status == expect, "%s %s -> %s" % (method, path, r.status))
    except Exception as e:  # noqa: BLE001 - every failure is counted and shown
        note(False, "%s %s: %s" % (method, path, e))
    finally:
        c.close()


def client(port, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        for _ in range(5):
            one(port, "GET", "/fast?body_size=%d" % rnd.randint(10, 4000))
        one(port, "PROPFIND", "/slow?delay_ms=%d" % rnd.randint(1000, 3000), [("Depth", "1")], expect=207)
        one(port, "GET", "/big?body_size=1048576")
        one(port, "PUT", "/up", body=b"y" * (256 * 1024), expect=200)
        one(port, "GET", "/gone?delay_ms=2000", leave_after_s=0.3)


def main():
    ap = common.arg_parser("holdon soak: RSS over time under mixed traffic")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--interval-s", type=float, default=60)
    ap.add_argument("--clients", type=int, default=12)
    a = ap.parse_args()
    t_end = time.monotonic() + a.minutes * 60
    series = []
    with common.Rig(a.holdon) as rig:
        threads = [threading.Thread(target=client, args=(rig.port, i), daemon=True) for i in range(a.clients)]
        for t in threads:
            t.start()
        n = 0
        while True:
            left = t_end - time.monotonic()
            time.sleep(max(0, min(a.interval_s, left)))
            n += 1
            m = common.memory_kib(rig.holdon.pid)
            with lock:
                req, err = counts["requests"], counts["errors"]
            series.append(m["VmRSS"])
            print("minute %g: rss_kib=%d hwm_kib=%d requests=%d errors=%d"
                  % (n * a.interval_s / 60, m["VmRSS"], m["VmHWM"], req, err), flush=True)
            if time.monotonic() >= t_end - 0.5:
                break
        stop.set()
        for t in threads:
            t.join(60)
    steady = series[1:] if len(series) > 1 else series
    spread = max(steady) / min(steady) - 1
    print("rss_kib series: %s" % " ".join(map(str, series)))
    print("spread after warm-up: %.1f %% (max %d, min %d KiB); requests=%d errors=%d"
          % (spread * 100, max(steady), min(steady), counts["requests"], counts["errors"]))
    if last_errors:
        print("last errors: %s" % "; ".join(last_errors))
    ok = spread <= 0.10 and counts["errors"] == 0
    print("soak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
