#!/usr/bin/python3
"""py_client.py - Python HTTP clients (Debian 12's python3 and its packages) for client_matrix.py.

Usage: /usr/bin/python3 py_client.py http.client|requests|httpx|aiohttp URL1 URL2 [User-Agent]
Request 1 PROPFIND URL1 with Depth: 1, request 2 GET URL2, on one connection object / pool:
  http.client  one HTTPConnection (sends no User-Agent unless one is set; urllib.request sends
               "Python-urllib/3.11" and parses with http.client too); reuse = same socket
  requests     one Session (python-requests/2.28); reuse = the pool opened one connection
  httpx        one Client, HTTP/1.1 (python-httpx/0.23); reuse = same local port
  aiohttp      one ClientSession (Python/3.11 aiohttp/3.8); reuse = TraceConfig's reuseconn
No User-Agent argument: the library's default. None of these APIs shows a 1xx ("interim":
null). Every request is bounded by a 10 s timeout. Prints one JSON line
{"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
"""
import asyncio
import http.client
import json
import sys
import urllib.parse

TIMEOUT = 10
lib, urls = sys.argv[1], sys.argv[2:4]
ua = sys.argv[4] if len(sys.argv) > 4 else None
extra = {} if ua is None else {"User-Agent": ua}
methods = ("PROPFIND", "GET")
heads = ({"Depth": "1", **extra}, extra)


def result(status=None, body="", reused=None, error=None):
    return {"status": status, "body": body, "interim": None, "reused": reused, "error": error}


def err(e):
    return "%s: %s" % (type(e).__name__, e)


def run_http_client():
    u = urllib.parse.urlsplit(urls[0])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
    out, first_sock = [], None
    for i in (0, 1):
        try:
            t = urllib.parse.urlsplit(urls[i])
            conn.request(methods[i], t.path + ("?" + t.query if t.query else ""), headers=heads[i])
            sock = conn.sock
            first_sock = first_sock or sock
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
            out.append(result(r.status, body, (sock is first_sock) if i else None))
        except Exception as e:
            out.append(result(error=err(e)))
    conn.close()
    return out


def run_requests():
    import requests
    s, out = requests.Session(), []
    for i in (0, 1):
        try:
            r = s.request(methods[i], urls[i], headers=heads[i], timeout=TIMEOUT)
            pool = s.get_adapter(urls[i]).poolmanager.connection_from_url(urls[i])
            out.append(result(r.status_code, r.text, (pool.num_connections == 1) if i else None))
        except Exception as e:
            out.append(result(error=err(e)))
    s.close()
    return out


def run_httpx():
    import httpx
    out, ports = [], []
    with httpx.Client(timeout=TIMEOUT, http1=True, http2=False) as c:
        for i in (0, 1):
            try:
                with c.stream(methods[i], urls[i], headers=heads[i]) as r:
                    stream = r.extensions.get("network_stream")
                    addr = stream.get_extra_info("client_addr") if stream is not None else None
                    ports.append(addr)
                    body = r.read().decode("utf-8", "replace")
                out.append(result(r.status_code, body,
                                  (addr is not None and ports[0] == addr) if i else None))
            except Exception as e:
                out.append(result(error=err(e)))
    return out


async def run_aiohttp_async():
    import aiohttp
    created = []
    trace = aiohttp.TraceConfig()

    async def on_create(session, ctx, params):
        created.append(1)
    trace.on_connection_create_end.append(on_create)
    out = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT),
                                     trace_configs=[trace]) as s:
        for i in (0, 1):
            try:
                async with s.request(methods[i], urls[i], headers=heads[i]) as r:
                    body = await r.text()
                out.append(result(r.status, body, (len(created) == 1) if i else None))
            except Exception as e:
                out.append(result(error=err(e)))
    return out


RUN = {"http.client": run_http_client, "requests": run_requests, "httpx": run_httpx,
       "aiohttp": lambda: asyncio.run(run_aiohttp_async())}
if lib not in RUN:
    sys.exit("usage: py_client.py %s URL1 URL2 [User-Agent]" % "|".join(RUN))
print(json.dumps({"requests": RUN[lib]()}), flush=True)
