#!/usr/bin/python3
"""soup_client.py - libsoup 3 (GNOME: gvfs's WebDAV backend, GNOME apps) through python3-gi,
for client_matrix.py.

Usage: /usr/bin/python3 soup_client.py URL1 URL2 [User-Agent]
One Soup.Session (HTTP/1.1 on plain http): request 1 PROPFIND URL1 with Depth: 1, request 2
GET URL2. No User-Agent argument: the session's default (libsoup 3 sends no User-Agent unless
one is set). A User-Agent ending in a space gets libsoup's own "libsoup/3.x.y" appended, as
libsoup documents for applications. 1xx are counted with the message's "got-informational"
signal, connection reuse with Soup.Message.get_connection_id(). Session timeout 12 s.
Prints one JSON line {"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
"""
import json
import sys

import gi

gi.require_version("Soup", "3.0")
from gi.repository import GLib, Soup  # noqa: E402

urls, ua = sys.argv[1:3], (sys.argv[3] if len(sys.argv) > 3 else None)
session = Soup.Session(timeout=12, idle_timeout=30)
if ua is not None:
    session.set_user_agent(ua)
results, conn_ids = [], []
for i, url in enumerate(urls):
    msg = Soup.Message.new("PROPFIND" if i == 0 else "GET", url)
    if i == 0:
        msg.get_request_headers().append("Depth", "1")
    interim = []
    msg.connect("got-informational", lambda m, acc=interim: acc.append(m.get_status()))
    status, body, error = None, "", None
    try:
        data = session.send_and_read(msg, None)
        status = msg.get_status()
        body = bytes(data.get_data() or b"").decode("utf-8", "replace")
    except GLib.Error as e:
        error = "GLib.Error: %s" % e.message
    conn_ids.append(msg.get_connection_id())
    results.append({"status": status, "body": body, "interim": [int(c) for c in interim],
                    "reused": (conn_ids[0] == conn_ids[-1]) if i else None, "error": error})
print(json.dumps({"requests": results}), flush=True)
