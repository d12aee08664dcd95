"""client_table.py - THE expectation table of client_matrix.py: which real client library, with
which User-Agent, gets 102s from holdon's default policy (and the controls that prove the
matrix would catch a breakage). `client_matrix.py --table` prints it as the README's client table.
"""

NEXTCLOUD = "Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud, debian-x86_64 QT/5.15.8)"
OWNCLOUD = "Mozilla/5.0 (Linux) mirall/5.2.0 (ownCloud, debian)"
CYBERDUCK = "Cyberduck/8.7.0.40629 (Linux/6.1) (x86_64)"
NODE_FETCH = "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"

# ---- THE expectation table (also the README's client table: --table) -----------------------
# 102s: none = no 1xx at all; yes = 102s (at most interim.max = 200); yes<=C = 102s, at most C.
#       breaks:SYMPTOM = a control, run against holdon in mode always with deny_user_agents: []
#       (every client gets ~150 102s): the client must show that breakage, proving the matrix
#       would catch it.
# User-Agent None = the library's default (the matrix prints what the upstream received).
MATRIX = [
    # case                   library           User-Agent           102s
    ("qt5-default",          "qt5",            None,                "none"),      # Qt sends "Mozilla/5.0"
    ("qt5-nextcloud",        "qt5",            NEXTCLOUD,           "none"),
    ("qt5-owncloud",         "qt5",            OWNCLOUD,            "none"),
    ("qt6-default",          "qt6",            None,                "none"),
    ("qt6-nextcloud",        "qt6",            NEXTCLOUD,           "none"),
    ("qt6-owncloud",         "qt6",            OWNCLOUD,            "none"),
    ("jdk-httpclient",       "jdk-httpclient", None,                "yes<=8"),    # JDK 17.0.15 fails at the 9th 1xx
    ("jdk-huc",              "jdk-huc",        None,                "none"),
    ("apache4",              "apache4",        None,                "yes"),
    ("apache4-cyberduck",    "apache4",        CYBERDUCK,           "yes"),
    ("go",                   "go",             None,                "yes<=5"),
    ("go-acme-sync",         "go",             "acme-sync/2.1",     "none"),      # unknown product on Go
    ("rclone",               "rclone",         None,                "yes<=5"),    # Debian's build sends "rclone/"
    ("rclone-v1.60.1",       "rclone",         "rclone/v1.60.1",    "yes<=5"),    # what release builds send
    ("soup",                 "soup",           None,                "none"),      # libsoup sends no UA by default
    ("soup-app",             "soup",           "matrix-app/1.0 ",   "yes"),       # -> "matrix-app/1.0 libsoup/3.2.3"
    ("soup-gvfs",            "soup",           "gvfs/1.50.3",       "yes"),
    ("curl",                 "curl",           None,                "yes"),
    ("cadaver",              "cadaver",        None,                "yes<=100"),  # neon fails past 128
    ("node-http",            "node-http",      None,                "none"),      # sends no UA
    ("node-http-node-fetch", "node-http",      NODE_FETCH,          "yes"),
    ("node-fetch",           "node-fetch",     None,                "yes"),       # Node 20's fetch sends "node"
    ("py-http.client",       "http.client",    None,                "none"),
    ("py-urllib",            "http.client",    "Python-urllib/3.11", "none"),
    ("py-requests",          "requests",       None,                "none"),
    ("py-httpx",             "httpx",          None,                "yes"),
    ("py-aiohttp",           "aiohttp",        None,                "yes"),
    # controls (holdon mode always, deny list emptied)
    ("control-qt5-nextcloud", "qt5",           NEXTCLOUD,           "breaks:status 102"),
    ("control-qt6-default",  "qt6",            None,                "breaks:status 102"),
    ("control-jdk-huc",      "jdk-huc",        None,                "breaks:read timeout"),
    ("control-py-http.client", "http.client",  None,                "breaks:status 102"),
    ("control-py-requests",  "requests",       None,                "breaks:status 102"),
    # an unknown UA, so no cap of holdon's applies: the library's own 1xx limit shows
    ("control-jdk-httpclient-limit", "jdk-httpclient", "acme-sync/2.1", "breaks:too many interim"),
    ("control-go-limit",     "go",             "acme-sync/2.1",     "breaks:too many 1xx"),
]
LIBRARIES = {
    "qt5": "Qt 5.15 QNetworkAccessManager (PyQt5)",
    "qt6": "Qt 6.4 QNetworkAccessManager (PyQt6)",
    "jdk-httpclient": "JDK 17 java.net.http.HttpClient",
    "jdk-huc": "JDK 17 HttpURLConnection (GET + Depth: 1)",
    "apache4": "Apache HttpClient 4.5 (libhttpclient-java)",
    "go": "Go 1.19 net/http",
    "rclone": "rclone 1.60 (Go 1.19) webdav",
    "soup": "libsoup 3 (python3-gi)",
    "curl": "curl 7.88 CLI",
    "cadaver": "cadaver 0.24 / neon 0.32",
    "node-http": "Node 20 http",
    "node-fetch": "Node 20 fetch (undici)",
    "http.client": "Python 3.11 http.client",
    "requests": "requests 2.28 (urllib3 1.26)",
    "httpx": "httpx 0.23",
    "aiohttp": "aiohttp 3.8",
}
# What each library sends when no User-Agent is set (measured on Debian 12; --table shows it,
# a run prints what the upstream really received).
DEFAULT_UA = {
    "qt5": "Mozilla/5.0", "qt6": "Mozilla/5.0", "jdk-httpclient": "Java-http-client/17.0.15",
    "jdk-huc": "Java/17.0.15", "apache4": "Apache-HttpClient/4.5.14 (Java/17.0.15)",
    "go": "Go-http-client/1.1", "rclone": "rclone/", "soup": None, "curl": "curl/7.88.1",
    "cadaver": "cadaver/0.24 neon/0.32.5", "node-http": None, "node-fetch": "node", "http.client": None,
    "requests": "python-requests/2.28.1", "httpx": "python-httpx/0.23.3", "aiohttp": "Python/3.11 aiohttp/3.8.4",
}


def md(s):
    return str(s).replace("|", "\\|")


def print_table():
    print("| case | library | User-Agent | 102s |\n|---|---|---|---|")
    for name, lib, ua, expect in MATRIX:
        if expect.startswith("breaks:"):
            expect = "control (`mode: always`, empty deny list): breaks, " + expect[7:]
        if ua is None:
            ua = "default: " + ("`%s`" % DEFAULT_UA[lib] if DEFAULT_UA[lib] else "(none)")
        elif lib == "soup" and ua.endswith(" "):
            ua = "`%slibsoup/3.2.3`" % ua  # libsoup appends itself to a UA ending in a space
        else:
            ua = "`%s`" % ua
        print("| %s | %s | %s | %s |" % (name, md(LIBRARIES[lib]), md(ua), expect))
