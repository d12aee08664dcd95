// Wire tests: holdon in-process between a raw client socket and a scripted upstream.
// Every assertion is on bytes seen on the wire. Timer intervals are tens of ms; lower
// bounds on timing are exact (timers never fire early), upper bounds are generous.
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
const std::string k102 = "HTTP/1.1 102 Processing\r\n\r\n";
const std::string multistatus = "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"/>";

std::string propfind(std::string_view target, std::string_view ua = "litmus/0.13 neon/0.31.2",
                     std::string_view version = "HTTP/1.1") {
  return "PROPFIND " + std::string(target) + " " + std::string(version) +
         "\r\nHost: dav.test\r\nUser-Agent: " + std::string(ua) + "\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n";
}

// Reads heads until a final (>= 200) one; the interim heads are returned in order.
std::vector<head> read_interims(conn& c, head& final_head, ms timeout = 5000ms) {
  std::vector<head> interims;
  for (;;) {
    auto h = read_head(c, timeout);
    if (h.status >= 200) {
      final_head = h;
      return interims;
    }
    interims.push_back(h);
  }
}
}  // namespace

TEST_CASE("wire: a slow PROPFIND gets exact 102s on schedule, then the 207, and nothing after") {
  event saw_three;
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    CHECK(req.method == "PROPFIND");
    saw_three.wait(5000ms);
    c.send(response(207, multistatus, "Content-Type: application/xml\r\n"));
    c.read_to_eof();
  });
  proxy px(up.port(), "interim: {first_after: 80ms, every: 80ms, max: 30}\n");
  auto c = px.connect();
  auto sent = clock::now();
  c.send(propfind("/slow"));

  std::vector<clock::time_point> at;
  head final_head;
  for (;;) {
    auto raw = c.read_until("\r\n\r\n");
    if (raw != k102) {
      final_head.raw = raw;
      break;
    }
    at.push_back(clock::now());
    if (at.size() == 3) saw_three.set();
  }
  CHECK(final_head.raw.rfind("HTTP/1.1 207 Multi-Status\r\n", 0) == 0);
  CHECK(c.read_exact(multistatus.size()) == multistatus);
  REQUIRE(at.size() >= 3);
  CHECK(at.size() <= 4);  // the upstream answers as soon as the third arrived
  CHECK(at[0] - sent >= 80ms);
  CHECK(at[0] - sent < 1000ms);
  // The k-th 102 is due first_after + k * every after the request was forwarded: never
  // earlier; a late one does not push the later ones back.
  for (std::size_t i = 1; i < at.size(); ++i) {
    CHECK(at[i] - sent >= 80ms + static_cast<int>(i) * 80ms);
    CHECK(at[i] - at[i - 1] < 1000ms);
  }
  CHECK(c.pending.empty());
  CHECK(px.stats().keepalive_sent.load() == at.size());
}

TEST_CASE("wire: max caps the number of 102s per exchange") {
  event saw_two;
  fake_upstream up([&](conn& c) {
    read_head(c);
    saw_two.wait(5000ms);
    // A window of silence long enough for five more 102s had there been no cap.
    std::this_thread::sleep_for(250ms);
    c.send(response(207, multistatus));
    c.read_to_eof();
  });
  proxy px(up.port(), "interim: {first_after: 20ms, every: 50ms, max: 2}\n");
  auto c = px.connect();
  c.send(propfind("/capped"));
  int n = 0;
  for (;;) {
    auto raw = c.read_until("\r\n\r\n");
    if (raw != k102) {
      CHECK(raw.rfind("HTTP/1.1 207", 0) == 0);
      break;
    }
    if (++n == 2) saw_two.set();
  }
  CHECK(n == 2);
}

TEST_CASE("wire: an HTTP/1.0 request never receives a 1xx, not even in mode always") {
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.send("HTTP/1.1 102 Processing\r\n\r\n");  // the upstream's own interim is dropped too
    std::this_thread::sleep_for(200ms);         // several keep-alive intervals
    c.send(response(207, multistatus, "Connection: close\r\n"));
  });
  proxy px(up.port(), "interim: {mode: always, first_after: 10ms, every: 20ms}\n");
  auto c = px.connect();
  c.send(propfind("/old", "cadaver/0.23.3", "HTTP/1.0"));
  auto all = c.read_to_eof();
  CHECK(all.rfind("HTTP/1.1 207 Multi-Status\r\n", 0) == 0);
  CHECK(all.find(" 102 ") == std::string::npos);
  CHECK(px.stats().keepalive_sent.load() == 0);
}

TEST_CASE("wire: a denied, an unknown and an anonymous client get no 102 of holdon's nor the upstream's 1xx") {
  for (auto ua : {"Python-urllib/3.11", "acme-sync/2.1", ""}) {
    CAPTURE(ua);
    fake_upstream up([&](conn& c) {
      read_head(c);
      c.send("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n");
      std::this_thread::sleep_for(200ms);  // the slow upstream: ten keep-alive intervals
      c.send(response(207, multistatus));
      c.read_to_eof();
    });
    proxy px(up.port(), "interim: {first_after: 10ms, every: 20ms}\n");
    auto c = px.connect();
    if (*ua) c.send(propfind("/py", ua));
    else c.send("PROPFIND /anon HTTP/1.1\r\nHost: dav.test\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 207);
    CHECK(read_body(c, h) == multistatus);
    CHECK(px.stats().interims_forwarded.load() == 0);
  }
}

TEST_CASE("wire: an upstream 103 is forwarded with its Link header before the final response") {
  event saw_103;
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.send("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n");
    saw_103.wait(5000ms);
    c.send(response(200, "hello"));
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("GET /page HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8.0\r\n\r\n");
  auto raw = c.read_until("\r\n\r\n");
  CHECK(raw == "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n");
  saw_103.set();
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "hello");
  CHECK(px.stats().interims_forwarded.load() == 1);
}

TEST_CASE("wire: an upstream 102 restarts the keep-alive interval (no doubled 102s)") {
  event saw_two;
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.send(k102);  // at once: holdon's first_after (30ms) must not follow it closely
    saw_two.wait(5000ms);
    c.send(response(207, multistatus));
    c.read_to_eof();
  });
  proxy px(up.port(), "interim: {first_after: 30ms, every: 300ms}\n");
  auto c = px.connect();
  c.send(propfind("/x"));
  auto first = read_head(c);
  CHECK(first.status == 102);
  auto second = read_head(c);
  CHECK(second.status == 102);
  saw_two.set();
  CHECK(second.at - first.at >= 299ms);
  head fin;
  read_interims(c, fin);
  CHECK(fin.status == 207);
  CHECK(px.stats().interims_forwarded.load() == 1);
}

TEST_CASE("wire: no final response within upstream_response gives 504, after the 102s") {
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.closed_within(5000ms);  // never answers; holdon must close this connection
  });
  proxy px(up.port(), "interim: {first_after: 20ms, every: 40ms}\ntimeouts: {upstream_response: 300ms}\n");
  auto c = px.connect();
  auto sent = clock::now();
  c.send(propfind("/never"));
  head fin;
  auto interims = read_interims(c, fin);
  CHECK(fin.status == 504);
  CHECK(fin.at - sent >= 300ms);
  CHECK(interims.size() >= 3);
  CHECK(read_body(c, fin).find("504") != std::string::npos);
  CHECK(px.stats().upstream_timeouts.load() == 1);
}

TEST_CASE("wire: a refused upstream gives 502 with a short text body") {
  proxy px(unused_port(), "");
  auto c = px.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 502);
  CHECK(h.header("Content-Type").rfind("text/plain", 0) == 0);
  auto body = read_body(c, h);
  CHECK(body.find("502 Bad Gateway: upstream connect failed") == 0);
  CHECK(body.size() < 200);
  CHECK(px.stats().upstream_connect_errors.load() == 1);
}

TEST_CASE("wire: pipelined requests are answered in order on one connection") {
  fake_upstream up([&](conn& c) {
    for (int i = 0; i < 3; ++i) {
      auto req = read_head(c);
      if (req.target == "/2") std::this_thread::sleep_for(100ms);  // the slow one in the middle
      c.send(response(200, req.target));
    }
    c.read_to_eof();
  });
  proxy px(up.port(), "interim: {first_after: 20ms, every: 20ms}\n");
  auto c = px.connect();
  c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPROPFIND /2 HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n"
         "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    head fin;
    read_interims(c, fin);
    CHECK(fin.status == 200);
    bodies.push_back(read_body(c, fin));
  }
  CHECK(bodies == std::vector<std::string>{"/1", "/2", "/3"});
  CHECK(up.accepted() == 1);  // and the upstream connection was kept alive
}

TEST_CASE("wire: chunked request and response bodies are streamed intact") {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    CHECK(req.header("Transfer-Encoding") == "chunked");
    auto body = read_body(c, req);
    CHECK(body == big);
    c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 100000));
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  std::string req = "PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(big, 70000);
  std::thread sender([&] { c.send(req); });
  auto h = read_head(c, 10000ms);
  sender.join();
  CHECK(h.status == 200);
  CHECK(read_body(c, h, 10000ms) == big);
}

TEST_CASE("wire: Expect 100-continue: the upstream's 100 reaches the client, then the body flows") {
  fake_upstream up([&](conn& c) {
    try {
      for (;;) {  // each request on this connection, until holdon closes it
        auto req = read_head(c, 10000ms);
        CHECK(req.header("Expect") == "100-continue");
        c.send("HTTP/1.1 100 Continue\r\n\r\n");
        auto body = read_body(c, req);
        c.send(response(201, "got " + std::to_string(body.size())));
      }
    } catch (const std::exception&) {
    }
  });
  proxy px(up.port(), "");
  // An allowed client, an unknown one (litmus's raw expect100 test) and one behind an
  // undeclared proxy: each asked for the 100, so each gets it, whatever else it may not get.
  for (auto extra : {"User-Agent: curl/8\r\n", "User-Agent: litmus/0.13\r\n", "X-Forwarded-For: 192.0.2.1\r\n"}) {
    CAPTURE(extra);
    auto c = px.connect();
    c.send("PUT /up HTTP/1.1\r\nHost: a\r\n" + std::string(extra) + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    auto cont = c.read_until("\r\n\r\n");  // the client sends nothing before this arrives
    CHECK(cont == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("hello");
    auto h = read_head(c);
    CHECK(h.status == 201);
    CHECK(read_body(c, h) == "got 5");
  }
}

TEST_CASE("wire: malformed request line gives 400 and the connection closes") {
  fake_upstream up([&](conn& c) { c.read_to_eof(); });
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("GARBAGE\r\n\r\n");
  auto all = c.read_to_eof();
  CHECK(all.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(all.find("Connection: close") != std::string::npos);
  CHECK(up.accepted() == 0);
}

TEST_CASE("wire: a request head over max_header_bytes gives 431") {
  fake_upstream up([&](conn& c) { c.read_to_eof(); });
  proxy px(up.port(), "limits: {max_header_bytes: 2048}\n");
  auto c = px.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4000, 'b') + "\r\n\r\n");
  auto all = c.read_to_eof();
  CHECK(all.rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(up.accepted() == 0);
}

TEST_CASE("wire: a client that dribbles its head is closed at the header timeout") {
  fake_upstream up([&](conn& c) { c.read_to_eof(); });
  proxy px(up.port(), "timeouts: {client_header: 150ms}\n");
  auto c = px.connect();
  auto t0 = clock::now();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n");
  CHECK(c.closed_within(3000ms));
  CHECK(clock::now() - t0 >= 150ms);
}

TEST_CASE("wire: a client leaving during the wait closes the upstream and cancels the timer") {
  event upstream_saw_close;
  fake_upstream up([&](conn& c) {
    read_head(c);
    if (c.closed_within(5000ms)) upstream_saw_close.set();
  });
  proxy px(up.port(), "interim: {first_after: 20ms, every: 20ms}\n");
  {
    auto c = px.connect();
    c.send(propfind("/gone"));
    CHECK(read_head(c).status == 102);
  }  // the client closes here
  CHECK(upstream_saw_close.wait(3000ms));
  CHECK(eventually([&] { return px.stats().exchanges_in_flight.load() == 0; }));
  auto sent = px.stats().keepalive_sent.load();
  std::this_thread::sleep_for(100ms);  // five intervals: a live timer would keep counting
  CHECK(px.stats().keepalive_sent.load() == sent);
}

TEST_CASE("wire: hop-by-hop headers are removed both ways, Via and X-Forwarded-* added") {
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    CHECK(req.header("Connection").empty());
    CHECK(req.header("X-Secret-Hop").empty());
    CHECK(req.header("Keep-Alive").empty());
    CHECK(req.header("TE").empty());
    CHECK(req.header("Host") == "public.example");
    CHECK(req.header("Via") == "1.1 holdon");
    CHECK(req.header("X-Forwarded-For") == "127.0.0.1");
    CHECK(req.header("X-Forwarded-Host") == "public.example");
    CHECK(req.header("X-End-To-End") == "kept");
    c.send(response(200, "ok", "Connection: X-Up-Hop\r\nX-Up-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Up: kept\r\n"));
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("GET / HTTP/1.1\r\nHost: public.example\r\nConnection: X-Secret-Hop, keep-alive\r\n"
         "X-Secret-Hop: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nX-End-To-End: kept\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(h.header("X-Up-Hop").empty());
  CHECK(h.header("Keep-Alive").empty());
  CHECK(h.header("Connection").empty());
  CHECK(h.header("X-Up") == "kept");
  CHECK(h.header("Via") == "1.1 holdon");
  CHECK(read_body(c, h) == "ok");
}

TEST_CASE("wire: every method token is forwarded as is, HEAD and 204/304 carry no body") {
  fake_upstream up([&](conn& c) {
    for (;;) {
      auto req = read_head(c);
      read_body(c, req);
      if (req.method == "HEAD") c.send("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
      else if (req.method == "DELETE") c.send("HTTP/1.1 204 No Content\r\n\r\n");
      else c.send(response(200, req.method));
    }
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  for (std::string m : {"GET", "POST", "OPTIONS", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
                        "REPORT", "SEARCH", "BREW-COFFEE"}) {
    c.send(m + " /r HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 200);
    CHECK(read_body(c, h) == m);
  }
  c.send("HEAD /r HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.header("Content-Length") == "1234");
  c.send("DELETE /r HTTP/1.1\r\nHost: a\r\n\r\n");
  auto d = read_head(c);  // would misparse if HEAD had left 1234 body bytes expected
  CHECK(d.status == 204);
  CHECK(up.accepted() == 1);
}

TEST_CASE("wire: an upstream dying mid-body closes the client and is never pooled") {
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    if (req.target == "/partial") {
      c.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(400, 'p'));
      return;  // closes with 600 bytes missing
    }
    c.send(response(200, "fine"));
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  {
    auto c = px.connect();
    c.send("GET /partial HTTP/1.1\r\nHost: a\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 200);
    auto rest = c.read_to_eof();  // closed by holdon: the client can tell the body is short
    CHECK(rest.size() == 400);
  }
  auto c = px.connect();
  c.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "fine");
  CHECK(up.accepted() == 2);  // a fresh upstream connection, not the broken one
}

TEST_CASE("wire: an upstream that answers garbage or closes without a response gives 502") {
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    if (req.target == "/garbage") c.send("\x01\x02 NOT HTTP\r\n\r\n");
  });
  proxy px(up.port(), "");
  for (std::string target : {"/garbage", "/close"}) {
    auto c = px.connect();
    c.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 502);
    CHECK(read_body(c, h).find("502 Bad Gateway") == 0);
  }
}

TEST_CASE("wire: an oversize upstream response head gives 502") {
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.send("HTTP/1.1 200 OK\r\nX-Huge: " + std::string(8000, 'h') + "\r\nContent-Length: 0\r\n\r\n");
    c.read_to_eof();
  });
  proxy px(up.port(), "limits: {max_header_bytes: 4096}\n");
  auto c = px.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 502);
  CHECK(read_body(c, h).find("too large") != std::string::npos);
}
