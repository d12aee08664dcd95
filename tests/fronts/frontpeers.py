"""frontpeers.py - real front proxies (the reverse proxy in front of holdon) started from configs
this file owns, on loopback, in a temp dir. Python 3.11 stdlib + Debian 12's packages: nginx,
haproxy, apache2, caddy, varnish, squid, lighttpd, trafficserver (scripts/deps.sh test).

    front = FRONTS["nginx"]
    with frontproc.FrontProcess(front, backend_port=8081) as fp:   # fp.port: the front's listening port
        ...
* Each front listens on 127.0.0.1 only. Caddy and Varnish bind port 0 and report the port they
  got (Caddy's "port 0 listener" log line; varnishadm debug.listen_address). The others cannot
  report a kernel-chosen port, so we take a free one (bind to :0, close) right before the start
  and retry with another port when the front exits with a bind error.
* Starting, readiness and stopping: frontproc.py.
* Run as root, the fronts that drop privileges do so to their Debian users (www-data, proxy);
  their temp dirs are made theirs. Varnish runs with -j none (no jail, stays the caller), ATS
  with admin.user_id #-1 (no user change). As a non-root user all of them run as that user.
"""
import os
import pwd
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import common  # noqa: E402  (Child: a subprocess whose output a thread drains)

HOST = "127.0.0.1"
IS_ROOT = os.geteuid() == 0


def give_to(path, user):
    """chown path (recursively) to `user` when we are root and the user exists."""
    if not IS_ROOT or not user:
        return
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


# ---- the fronts -------------------------------------------------------------------------
class Front:
    name = kind = ""
    binary = ""
    port0 = False  # binds port 0 and reports the port
    start_timeout = 20.0
    version_cmd = None

    def write(self, d, port, backend):
        """Write the config under d; return argv (env: self.env(d))."""
        raise NotImplementedError

    def env(self, d):
        return None

    def discover_port(self, child, d, timeout):
        raise NotImplementedError

    def available(self):
        return shutil.which(self.binary) is not None or os.path.exists(self.binary)

    def version(self):
        try:
            p = subprocess.run(self.version_cmd, capture_output=True, timeout=10)
            out = (p.stdout + p.stderr).decode("utf-8", "replace")
        except (OSError, subprocess.TimeoutExpired) as e:
            return "? (%s)" % e
        m = re.search(self.version_rx, out)
        return m.group(1) if m else out.strip().split("\n")[0][:60]


class Nginx(Front):
    """nginx 1.22 as ingress-nginx runs it: proxy_http_version 1.1, no upstream Connection
    header, Host of the request, X-Request-ID / X-Real-IP / X-Forwarded-* from the ingress
    template, proxy_buffering off (ingress' default)."""
    name = kind = "nginx"
    binary = "/usr/sbin/nginx"
    version_cmd, version_rx = [binary, "-v"], r"nginx/(\S+)"

    def write(self, d, port, backend):
        common.make_dirs(d, "tmp", "logs")
        conf = common.write_file(os.path.join(d, "nginx.conf"), """
daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path       {d}/tmp/proxy;
    fastcgi_temp_path     {d}/tmp/fastcgi;
    uwsgi_temp_path       {d}/tmp/uwsgi;
    scgi_temp_path        {d}/tmp/scgi;
    server {{
        listen {host}:{port};
        server_name _;
        client_max_body_size 0;
        location / {{
            proxy_pass http://{host}:{backend};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host              $host;
            proxy_set_header X-Request-ID      $request_id;
            proxy_set_header X-Real-IP         $remote_addr;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Host  $host;
            proxy_set_header X-Forwarded-Port  $server_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Scheme          $scheme;
            proxy_buffering off;
            proxy_request_buffering on;
            proxy_read_timeout 60s;
        }}
    }}
}}
""".format(d=d, host=HOST, port=port, backend=backend))
        return [self.binary, "-p", d + "/", "-e", "stderr", "-c", conf]


class HAProxy(Front):
    """HAProxy 2.6, option forwardfor, timeout server (30 s) above the 3.5 s wait."""
    name = kind = "haproxy"
    binary = "/usr/sbin/haproxy"
    version_cmd, version_rx = [binary, "-v"], r"HAProxy version (\S+)"

    def write(self, d, port, backend):
        conf = common.write_file(os.path.join(d, "haproxy.cfg"), """
global
    maxconn 256
defaults
    mode http
    option http-keep-alive
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
frontend fe
    bind {host}:{port}
    default_backend be
backend be
    server holdon {host}:{backend}
""".format(host=HOST, port=port, backend=backend))
        return [self.binary, "-db", "-f", conf]


class Apache(Front):
    """Apache 2.4 mod_proxy_http, standalone config (ProxyAddHeaders On by default:
    X-Forwarded-For/-Host/-Server), mpm_event, one child."""
    name = kind = "apache"
    binary = "/usr/sbin/apache2"
    version_cmd, version_rx = [binary, "-v"], r"Apache/(\S+)"

    def write(self, d, port, backend):
        common.make_dirs(d, "run", "logs")
        user = "User www-data\nGroup www-data" if IS_ROOT else ""
        conf = common.write_file(os.path.join(d, "httpd.conf"), common.apache_globals(
            d, "%s:%d" % (HOST, port), "/dev/stderr", user, ["proxy", "proxy_http"]) + """StartServers 1
ServerLimit 1
ThreadsPerChild 16
ThreadLimit 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 32
KeepAlive On
MaxKeepAliveRequests 1000
KeepAliveTimeout 15
Timeout 60
ProxyRequests Off
ProxyPreserveHost On
ProxyPass        / http://{host}:{backend}/
ProxyPassReverse / http://{host}:{backend}/
<Location />
    Require all granted
</Location>
""".format(host=HOST, backend=backend))
        return [self.binary, "-f", conf, "-DFOREGROUND"]


class Caddy(Front):
    """Caddy 2.6.2 (Go 1.19), reverse_proxy; admin endpoint off, HTTP/1.1 only, binds
    127.0.0.1:0 and logs the port it got."""
    name = kind = "caddy"
    binary = "/usr/bin/caddy"
    port0 = True
    version_cmd, version_rx = [binary, "version"], r"v?(\d+\.\d+\.\d+)"

    def write(self, d, port, backend):
        conf = common.write_file(os.path.join(d, "Caddyfile"), """{{
	admin off
	auto_https off
	servers {{
		protocols h1
	}}
}}
http://:{port} {{
	bind {host}
	reverse_proxy {host}:{backend}
}}
""".format(host=HOST, port=port, backend=backend))
        return [self.binary, "run", "--adapter", "caddyfile", "--config", conf]

    def env(self, d):
        e = dict(os.environ)
        e.update(HOME=d, XDG_CONFIG_HOME=os.path.join(d, "config"), XDG_DATA_HOME=os.path.join(d, "data"))
        return e

    def discover_port(self, child, d, timeout):
        m = child.wait_for(r'"port 0 listener".*"actual_address":"127\.0\.0\.1:(\d+)"', timeout)
        child.wait_for(r"serving initial configuration", timeout)
        return int(m.group(1))


class Varnish(Front):
    """Varnish 7.1, a small VCL: holdon as the backend and WebDAV methods passed (the builtin
    VCL would pipe PROPFIND, i.e. tunnel the connection); binds 127.0.0.1:0."""
    name = kind = "varnish"
    binary = "/usr/sbin/varnishd"
    port0 = True
    version_cmd, version_rx = [binary, "-V"], r"varnish-(\S+)"

    def write(self, d, port, backend):
        os.makedirs(os.path.join(d, "n"), exist_ok=True)
        vcl = common.write_file(os.path.join(d, "front.vcl"), """vcl 4.1;
backend holdon {{
    .host = "{host}";
    .port = "{backend}";
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 30s;
}}
sub vcl_recv {{
    if (req.method ~ "^(PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|REPORT|SEARCH)$") {{
        return (pass);
    }}
}}
""".format(host=HOST, backend=backend))
        return [self.binary, "-F", "-j", "none", "-n", os.path.join(d, "n"),
                "-a", "%s:%d" % (HOST, port), "-T", "%s:0" % HOST, "-f", vcl,
                "-s", "malloc,16m", "-p", "first_byte_timeout=30", "-p", "thread_pools=1",
                "-p", "thread_pool_min=10", "-p", "thread_pool_max=100", "-p", "vsl_space=2m",
                "-p", "auto_restart=off"]

    def discover_port(self, child, d, timeout):
        child.wait_for(r"Child launched OK", timeout)
        p = subprocess.run(["varnishadm", "-n", os.path.join(d, "n"), "debug.listen_address"],
                           capture_output=True, timeout=timeout)
        m = re.search(r"^\S+ 127\.0\.0\.1 (\d+)$", p.stdout.decode(), re.M)
        if not m:
            raise RuntimeError("varnishadm debug.listen_address: %r %r" % (p.stdout, p.stderr))
        return int(m.group(1))


class Squid(Front):
    """Squid 5.7 as a reverse proxy (accel, cache_peer originserver), no cache at all,
    via on / forwarded_for on (the defaults)."""
    name = kind = "squid"
    binary = "/usr/sbin/squid"
    version_cmd, version_rx = [binary, "-v"], r"Version (\S+)"

    def write(self, d, port, backend):
        conf = common.write_file(os.path.join(d, "squid.conf"), """
http_port {host}:{port} accel defaultsite=127.0.0.1 no-vhost
cache_peer {host} parent {backend} 0 no-query no-digest originserver name=holdon
cache_peer_access holdon allow all
never_direct allow all
acl lo src 127.0.0.1/32 ::1
http_access allow lo
http_access deny all
cache deny all
cache_mem 1 MB
memory_cache_shared off
pid_filename {d}/squid.pid
cache_log stdio:/dev/stderr
access_log none
cache_store_log none
coredump_dir {d}
netdb_filename none
logfile_rotate 0
shutdown_lifetime 0 seconds
visible_hostname front-squid
{user}
icp_port 0
htcp_port 0
dns_nameservers 127.0.0.1
""".format(d=d, host=HOST, port=port, backend=backend,
           user="cache_effective_user proxy" if IS_ROOT else ""))
        give_to(d, "proxy")  # squid runs as proxy when started as root: its pid file and logs
        return [self.binary, "-N", "-d", "1", "-f", conf]


class Lighttpd(Front):
    """lighttpd 1.4.69 mod_proxy (X-Forwarded-For, X-Host, X-Forwarded-Proto by default)."""
    name = kind = "lighttpd"
    binary = "/usr/sbin/lighttpd"
    version_cmd, version_rx = [binary, "-v"], r"lighttpd/(\S+)"

    def write(self, d, port, backend):
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        conf = common.write_file(os.path.join(d, "lighttpd.conf"), """
server.document-root = "{d}/www"
server.bind = "{host}"
server.port = {port}
server.modules = ( "mod_proxy" )
server.max-keep-alive-requests = 100
server.max-keep-alive-idle = 15
proxy.server = ( "" => ( ( "host" => "{host}", "port" => {backend} ) ) )
""".format(d=d, host=HOST, port=port, backend=backend))
        return [self.binary, "-D", "-f", conf]


class TrafficServer(Front):
    """Apache Traffic Server 9.2 (traffic_server alone, no traffic_manager) from a private
    runroot: records.config, remap.config (map / -> holdon), ip_allow.yaml, empty storage
    (cache.http 0: no caching), logs/runtime in the temp dir, no user change (#-1)."""
    name = kind = "trafficserver"
    binary = "/usr/bin/traffic_server"
    version_cmd, version_rx = [binary, "-V"], r"Traffic Server - traffic_server - (\S+)"
    start_timeout = 30.0

    def write(self, d, port, backend):
        common.make_dirs(d, "etc", "log", "run", "cache")
        common.write_file(os.path.join(d, "runroot.yaml"), "".join("%s: %s\n" % kv for kv in (
            ("prefix", d), ("exec_prefix", "/usr"), ("bindir", "/usr/bin"), ("sbindir", "/usr/sbin"),
            ("sysconfdir", d + "/etc"), ("datadir", d + "/cache"), ("includedir", "/usr/include"),
            ("libdir", "/usr/lib/trafficserver"), ("libexecdir", "/usr/lib/trafficserver/modules"),
            ("localstatedir", d + "/run"), ("runtimedir", d + "/run"), ("logdir", d + "/log"),
            ("cachedir", d + "/cache"))))
        etc = os.path.join(d, "etc")
        common.write_file(os.path.join(etc, "records.config"), """
CONFIG proxy.config.admin.user_id STRING #-1
CONFIG proxy.config.http.server_ports STRING {port}:ip-in={host}
CONFIG proxy.config.http.cache.http INT 0
CONFIG proxy.config.reverse_proxy.enabled INT 1
CONFIG proxy.config.url_remap.remap_required INT 1
CONFIG proxy.config.url_remap.pristine_host_hdr INT 0
CONFIG proxy.config.http.insert_request_via_str INT 1
CONFIG proxy.config.http.insert_squid_x_forwarded_for INT 1
CONFIG proxy.config.http.transaction_no_activity_timeout_out INT 30
CONFIG proxy.config.body_factory.template_sets_dir STRING /etc/trafficserver/body_factory
CONFIG proxy.config.exec_thread.autoconfig INT 0
CONFIG proxy.config.exec_thread.limit INT 1
CONFIG proxy.config.accept_threads INT 1
CONFIG proxy.config.task_threads INT 1
CONFIG proxy.config.log.logging_enabled INT 0
CONFIG proxy.config.diags.output.diag STRING E
CONFIG proxy.config.diags.output.status STRING E
CONFIG proxy.config.diags.output.note STRING E
CONFIG proxy.config.diags.output.warning STRING E
CONFIG proxy.config.diags.output.error STRING E
""".format(host=HOST, port=port))
        common.write_file(os.path.join(etc, "remap.config"), "map / http://%s:%d/\n" % (HOST, backend))
        common.write_file(os.path.join(etc, "ip_allow.yaml"), """ip_allow:
  - apply: in
    ip_addrs: [127.0.0.1, "::1"]
    action: allow
    methods: ALL
  - apply: out
    ip_addrs: [127.0.0.1, "::1"]
    action: allow
    methods: ALL
""")
        for f in ("storage.config", "plugin.config", "hosting.config", "volume.config", "parent.config",
                  "cache.config", "splitdns.config", "socks.config", "ssl_multicert.config"):
            common.write_file(os.path.join(etc, f), "")
        return [self.binary, "--run-root=" + os.path.join(d, "runroot.yaml")]


FRONTS = {f.name: f for f in (Nginx(), HAProxy(), Apache(), Caddy(), Varnish(), Squid(), Lighttpd(),
                               TrafficServer())}
