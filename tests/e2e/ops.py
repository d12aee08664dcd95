#!/usr/bin/env python3
"""ops.py - operations features of the real binary: environment overrides, the admin
listener (/healthz, /readyz, /metrics), the JSON access log, --healthcheck and exit codes.

Usage: tests/e2e/ops.py [--holdon build/holdon]
The config file names wrong addresses on purpose; HOLDON_LISTEN, HOLDON_UPSTREAM,
HOLDON_ADMIN_LISTEN and HOLDON_LOG_FORMAT must replace them, or nothing below works.
Ends with "N passed, M failed"; exit 0 only if nothing failed. Loopback only, bounded (90 s).
"""
import json
import os
import re
import subprocess
import tempfile
import time
import types
import urllib.request

import common
from common import check, step

DAV_UA = "cadaver/0.24 neon/0.32.5"


def get(port, path, method="GET"):
    """(status, body) of a request to the admin port; HTTP errors are answers too."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(text, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def healthcheck(binary, *args, env=None):
    p = subprocess.run([binary, "--healthcheck"] + list(args), capture_output=True, timeout=10, env=env)
    return p.returncode, p.stderr.decode()


def t_deploy_files(binary, tmp):
    import yaml  # python3-yaml (scripts/deps.sh test)
    docker = common.ROOT / "docker"
    compose = yaml.safe_load((docker / "compose.yaml").read_text())
    h = compose["services"]["holdon"]
    check(h["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}, "compose: holdon built from docker/Dockerfile")
    mount = [v for v in h["volumes"] if v.endswith(":/etc/holdon/holdon.yaml:ro")]
    check(len(mount) == 1, "compose: config mounted at /etc/holdon/holdon.yaml", h["volumes"])
    check(h["environment"].get("HOLDON_UPSTREAM") == "slow:8081" and "slow" in compose["services"],
          "compose: HOLDON_UPSTREAM points at the slow service")
    check(all(p.startswith("127.0.0.1:") for p in h["ports"]), "compose: ports published on loopback only")
    mounted = (docker / mount[0].split(":")[0]).resolve() if mount else None
    p = subprocess.run([binary, "--check", "-c", str(mounted)], capture_output=True, timeout=10)
    check(p.returncode == 0, "compose: the mounted config passes holdon --check", p.stderr)

    docs = {d["kind"]: d for d in yaml.safe_load_all((docker / "k8s-sidecar.yaml").read_text())}
    check({"ConfigMap", "Deployment", "Service"} <= set(docs), "k8s: ConfigMap, Deployment, Service")
    k8s_cfg = common.write_file(os.path.join(tmp, "k8s.yaml"), docs["ConfigMap"]["data"]["holdon.yaml"])
    p = subprocess.run([binary, "--check", "-c", k8s_cfg], capture_output=True, timeout=10)
    check(p.returncode == 0, "k8s: the ConfigMap's holdon.yaml passes holdon --check", p.stderr)
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    c = {x["name"]: x for x in pod["containers"]}
    check(set(c) == {"app", "holdon"}, "k8s: app container + holdon sidecar")
    hs = c["holdon"]
    ports = {p["name"]: p["containerPort"] for p in hs["ports"]}
    check(ports == {"http": 8080, "admin": 9901}, "k8s: holdon ports http 8080, admin 9901", ports)
    check(hs["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}, "k8s: liveness GET /healthz on admin")
    check(hs["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}, "k8s: readiness GET /readyz on admin")
    vol = {v["name"]: v for v in pod["volumes"]}
    check(any(m["mountPath"] == "/etc/holdon" and vol[m["name"]].get("configMap", {}).get("name") == "holdon-config"
              for m in hs["volumeMounts"]), "k8s: /etc/holdon from the holdon-config ConfigMap")
    check(hs["securityContext"]["runAsNonRoot"] is True, "k8s: runAsNonRoot")
    # Both examples say who is in front: compose none, Kubernetes an L4 load balancer (bytes
    # only) and the HTTP ingress that may replace it, by kind.
    check(yaml.safe_load(mounted.read_text()).get("fronts") == [] if mounted else False,
          "compose: fronts declared (none: port publishing adds no HTTP hop)")
    k8s_fronts = yaml.safe_load(docs["ConfigMap"]["data"]["holdon.yaml"]).get("fronts") or []
    check([f.get("kind") for f in k8s_fronts] == ["haproxy"], "k8s: the ingress is declared as a front", k8s_fronts)
    svc = docs["Service"]["spec"]
    check(svc.get("type") == "LoadBalancer" and svc.get("externalTrafficPolicy") == "Local",
          "k8s: published through an L4 load balancer that keeps client addresses", svc)


def write_config(tmp):
    cfg = os.path.join(tmp, "holdon.yaml")
    with open(cfg, "w") as f:  # every address here is wrong: the environment must override it
        f.write("listen: [127.0.0.1:1]\nthreads: 1\n"
                "upstreams: {app: {servers: [127.0.0.1:1]}}\n"
                "routes: [{path_prefix: /, upstream: app}]\n"
                "interim: {first_after: 100ms, every: 100ms}\n"
                "admin: {listen: 127.0.0.1:1}\nlog: {access: text}\n")
    return cfg


def t_env_overrides(rig):
    check(True, "env overrides: holdon listens on %d, admin on %d (config said port 1)" % (rig.h.port, rig.admin))
    check(rig.h.wait_for(r"overridden by HOLDON_UPSTREAM", 1), "start-up log names the overrides")


def t_admin_and_healthcheck(rig):
    binary, admin = rig.binary, rig.admin
    st, body = get(admin, "/healthz")
    check(st == 200 and body == "ok\n", "/healthz: 200 ok", "%s %r" % (st, body))
    st, body = get(admin, "/readyz")
    check(st == 200 and body == "ready\n", "/readyz with the upstream up: 200 ready", "%s %r" % (st, body))
    st, _ = get(admin, "/nope")
    check(st == 404, "/nope: 404", st)
    rc, err = healthcheck(binary, "http://127.0.0.1:%d/healthz" % admin)
    check(rc == 0, "holdon --healthcheck URL: exit 0", err)
    rc, err = healthcheck(binary, "http://127.0.0.1:%d/nope" % admin)
    check(rc == 1 and "status 404" in err, "holdon --healthcheck on a 404: exit 1 (%s)" % err.strip(), rc)
    rc, err = healthcheck(binary, "-c", rig.cfg, env=dict(rig.env, HOLDON_ADMIN_LISTEN="0.0.0.0:%d" % admin))
    check(rc == 0, "holdon --healthcheck -c FILE (admin address from env, 0.0.0.0 probed on loopback): exit 0", err)
    rc, err = healthcheck(binary, "-c", rig.cfg)  # config's admin port 1: nothing listens
    check(rc == 1 and "connect" in err, "--healthcheck against a dead admin port: exit 1 (%s)" % err.strip(), rc)


def t_slow_propfind_and_103(rig):
    """A slow PROPFIND: 102s, 207 (the metrics and the access line must agree with it later);
    then an upstream 103 is forwarded and counted."""
    with common.RawConn(rig.h.port) as c:
        c.send(b"PROPFIND /dav/x?delay_ms=700 HTTP/1.1\r\nHost: t\r\nUser-Agent: " + DAV_UA.encode() +
               b"\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n")
        r = c.read_response("PROPFIND")
        rig.n102 = n102 = sum(1 for s, _ in r.interim if s == 102)
        check(r.status == 207 and n102 >= 3, "slow PROPFIND: %d x 102 then 207" % n102, r.status)
        c.send(b"GET /hint HTTP/1.1\r\nHost: t\r\nUser-Agent: " + DAV_UA.encode() + b"\r\nX-Interim: 103\r\n\r\n")
        r2 = c.read_response()
        check(r2.status == 200 and [s for s, _ in r2.interim] == [103], "GET with an upstream 103: forwarded")


def t_metrics(rig):
    st, text = get(rig.admin, "/metrics")
    check(st == 200, "/metrics: 200")
    want = {
        'holdon_requests_total{route="/",code="2xx"}': 2,
        "holdon_keepalive_102_sent_total": rig.n102,
        "holdon_upstream_interims_forwarded_total": 1,
        "holdon_exchanges_in_flight": 0,
        "holdon_upstream_pooled_connections": 1,
        "holdon_upstream_connect_errors_total": 0,
        "holdon_time_to_final_response_seconds_count": 2,
        'holdon_time_to_final_response_seconds_bucket{le="0.5"}': 1,  # the GET only
        'holdon_time_to_final_response_seconds_bucket{le="+Inf"}': 2,
        "holdon_ready": 1,
    }
    for name, value in want.items():
        got = metric(text, name)
        check(got == value, "/metrics %s = %s" % (name, value), "got %s" % got)
    check(metric(text, "holdon_time_to_final_response_seconds_sum") >= 0.7, "/metrics: time sum >= 0.7 s")


def t_access_log(rig):
    """The JSON access line of the PROPFIND."""
    m = rig.h.wait_for(r'^\{"time".*"method":"PROPFIND".*\}$', 5)
    line = json.loads(m.group(0))
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"]), "access log: time %s" % line["time"])
    expect = {"client": "127.0.0.1", "method": "PROPFIND", "target": "/dav/x?delay_ms=700", "status": 207,
              "interims": rig.n102, "bytes_in": 0, "route": "/", "interim_policy": "allow:neon/", "user_agent": DAV_UA}
    for k, v in expect.items():
        check(line.get(k) == v, "access log: %s = %r" % (k, v), "got %r" % line.get(k))
    check(700 <= line["upstream_ms"] <= line["total_ms"] < 10000,
          "access log: upstream_ms %d <= total_ms %d" % (line["upstream_ms"], line["total_ms"]))
    check(line["bytes_out"] > 0, "access log: bytes_out %d" % line["bytes_out"])


def t_upstream_down(rig):
    """Upstream gone: /readyz turns 503 (probe cache 1 s), a request counts a connect error."""
    rig.upstream.stop()
    deadline, st = time.monotonic() + 5, 0
    while time.monotonic() < deadline:
        st, body = get(rig.admin, "/readyz")
        if st == 503:
            break
        time.sleep(0.1)
    check(st == 503 and body == "no upstream reachable\n", "/readyz with the upstream down: 503", "%s %r" % (st, body))
    with common.RawConn(rig.h.port) as c:
        c.send(b"GET /down HTTP/1.1\r\nHost: t\r\n\r\n")
        check(c.read_response().status == 502, "request with the upstream down: 502")
    st, text = get(rig.admin, "/metrics")
    check(metric(text, "holdon_upstream_connect_errors_total") == 1, "/metrics: 1 connect error")
    check(metric(text, 'holdon_requests_total{route="/",code="5xx"}') == 1, "/metrics: one 5xx")
    check(metric(text, "holdon_ready") == 0, "/metrics: holdon_ready 0")


def t_exit_codes(binary, cfg):
    """Exit codes of the command line."""
    p = subprocess.run([binary, "--no-such-flag"], capture_output=True, timeout=10)
    check(p.returncode == 2 and b"unknown argument" in p.stderr, "unknown argument: exit 2, message on stderr")
    p = subprocess.run([binary, "--check", "-c", cfg], capture_output=True, timeout=10,
                       env=dict(os.environ, HOLDON_LISTEN="nowhere"))
    check(p.returncode == 2 and b"environment HOLDON_LISTEN: bad address" in p.stderr,
          "--check with a bad HOLDON_LISTEN: exit 2 naming the variable", p.stderr)


def t_listen_taken(binary, cfg, env):
    busy = common.start_upstream()
    try:
        p = subprocess.run([binary, "-c", cfg], capture_output=True, timeout=10,
                           env=dict(env, HOLDON_LISTEN="127.0.0.1:%d" % busy.port))
        check(p.returncode == 1 and b"cannot listen" in p.stderr, "listen address taken: exit 1", p.stderr)
    finally:
        busy.stop()


def main():
    args = common.arg_parser(__doc__).parse_args()
    binary = args.holdon
    upstream = common.start_upstream()
    tmp = tempfile.mkdtemp(prefix="holdon-ops-")
    cfg = write_config(tmp)
    env = dict(os.environ, HOLDON_LISTEN="127.0.0.1:0", HOLDON_UPSTREAM="127.0.0.1:%d" % upstream.port,
               HOLDON_ADMIN_LISTEN="127.0.0.1:0", HOLDON_LOG_FORMAT="json")
    h = common.Child("holdon", [binary, "-c", cfg], env=env)
    try:
        h.port = int(h.wait_for(r"listening on http://127\.0\.0\.1:(\d+)", 10).group(1))
        admin = int(h.wait_for(r"admin on http://127\.0\.0\.1:(\d+)", 10).group(1))
        rig = types.SimpleNamespace(binary=binary, cfg=cfg, env=env, h=h, admin=admin, upstream=upstream, n102=None)
        # in this order: the metrics and the access line count the slow exchanges, then the upstream goes
        for name, fn in (("env overrides", t_env_overrides), ("admin and --healthcheck", t_admin_and_healthcheck),
                         ("slow PROPFIND and 103", t_slow_propfind_and_103), ("metrics", t_metrics),
                         ("access log", t_access_log), ("upstream down", t_upstream_down)):
            step(name, fn, rig)
    finally:
        code, secs = h.stop()
        upstream.stop()
    check(code == 0, "SIGTERM: exit code 0 after %.2fs" % secs, code)

    step("exit codes", t_exit_codes, binary, cfg)
    # The files shipped for Compose and Kubernetes: structure, and their holdon configs pass --check.
    step("deploy files", t_deploy_files, binary, tmp)
    step("listen address taken", t_listen_taken, binary, cfg, env)


if __name__ == "__main__":
    common.run(main, 90)
