#!/usr/bin/python3
"""qt_client.py - Qt's QNetworkAccessManager (PyQt5 = Qt 5.15, PyQt6 = Qt 6.4) for client_matrix.py.

Usage: /usr/bin/python3 qt_client.py 5|6 URL1 URL2 [User-Agent]
One QNetworkAccessManager (one connection pool per host, what Nextcloud's and ownCloud's
desktop clients use): request 1 PROPFIND URL1 with Depth: 1 (sendCustomRequest), then, once it
finished, request 2 GET URL2. No User-Agent argument: none set, Qt sends its default.
Qt does not show 1xx ("interim": null). A request unfinished after 12 s is aborted and
reported as an error (a hang is a failure, not a stuck test). Prints one JSON line
{"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
"""
import json
import sys

if sys.argv[1:2] == ["6"]:
    from PyQt6.QtCore import QByteArray, QCoreApplication, QTimer, QUrl
    from PyQt6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest
    STATUS = QNetworkRequest.Attribute.HttpStatusCodeAttribute
    NO_ERROR = QNetworkReply.NetworkError.NoError
else:
    from PyQt5.QtCore import QByteArray, QCoreApplication, QTimer, QUrl
    from PyQt5.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest
    STATUS = QNetworkRequest.HttpStatusCodeAttribute
    NO_ERROR = QNetworkReply.NoError

urls, ua = sys.argv[2:4], (sys.argv[4] if len(sys.argv) > 4 else None)
app = QCoreApplication(sys.argv[:1])
nam = QNetworkAccessManager()
results = []


def send(i):
    req = QNetworkRequest(QUrl(urls[i]))
    if ua is not None:
        req.setRawHeader(QByteArray(b"User-Agent"), QByteArray(ua.encode()))
    if i == 0:
        req.setRawHeader(QByteArray(b"Depth"), QByteArray(b"1"))
        reply = nam.sendCustomRequest(req, QByteArray(b"PROPFIND"))
    else:
        reply = nam.get(req)
    timer = QTimer()
    timer.setSingleShot(True)
    state = {"timed_out": False}

    def on_timeout():
        state["timed_out"] = True
        reply.abort()

    def on_finished():
        timer.stop()
        status = reply.attribute(STATUS)
        body = bytes(reply.readAll()).decode("utf-8", "replace")
        error = None
        if state["timed_out"]:
            error = "timeout: no finished reply within 12 s"
        elif reply.error() != NO_ERROR:
            error = "QNetworkReply error %s: %s" % (reply.error(), reply.errorString())
        results.append({"status": status, "body": body, "interim": None, "reused": None, "error": error})
        reply.deleteLater()
        if i + 1 < len(urls):
            send(i + 1)
        else:
            app.quit()

    timer.timeout.connect(on_timeout)
    reply.finished.connect(on_finished)
    timer.start(12000)
    send.keep = (timer, reply)  # keep the Python wrappers alive while the request runs


QTimer.singleShot(0, lambda: send(0))
app.exec() if hasattr(app, "exec") else app.exec_()
print(json.dumps({"requests": results}), flush=True)
