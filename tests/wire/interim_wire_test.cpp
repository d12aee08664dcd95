// Wire tests of interim responses: holdon's own 102s (schedule, cap, who gets none) and the
// upstream's 1xx, between a raw client socket and a scripted upstream. Every assertion is on
// bytes seen on the wire. Timer intervals are tens of ms; lower bounds on timing are exact
// (timers never fire early), upper bounds are generous.
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
std::string propfind(std::string_view target, std::string_view ua = "litmus/0.13 neon/0.31.2",
                     std::string_view version = "HTTP/1.1") {
  return "PROPFIND " + std::string(target) + " " + std::string(version) +
         "\r\nHost: dav.test\r\nUser-Agent: " + std::string(ua) + "\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n";
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
  auto run = ask_102s(c, propfind("/slow"), &saw_three, 3);
  const auto& at = run.at;
  const auto sent = run.sent;
  CHECK(run.final_raw.rfind("HTTP/1.1 207 Multi-Status\r\n", 0) == 0);
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
  auto run = read_102s(c, &saw_two, 2);
  CHECK(run.final_raw.rfind("HTTP/1.1 207", 0) == 0);
  CHECK(run.at.size() == 2);
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
  const std::string early_hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n";
  fake_upstream up(answer_when(saw_103, response(200, "hello"), early_hints));
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("GET /page HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8.0\r\n\r\n");
  auto raw = c.read_until("\r\n\r\n");
  CHECK(raw == early_hints);
  saw_103.set();
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "hello");
  CHECK(px.stats().interims_forwarded.load() == 1);
}

TEST_CASE("wire: an upstream 102 restarts the keep-alive interval (no doubled 102s)") {
  event saw_two;
  // The upstream's 102 comes at once: holdon's first_after (30ms) must not follow it closely.
  fake_upstream up(answer_when(saw_two, response(207, multistatus), k102));
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

TEST_CASE("wire: a client leaving during the wait closes the upstream and cancels the timer") {
  event upstream_saw_close;
  fake_upstream up(note_close(upstream_saw_close));
  proxy px(up.port(), "interim: {first_after: 20ms, every: 20ms}\n");
  CHECK(leave_after_first_head(px.port(), propfind("/gone")) == 102);
  CHECK(upstream_saw_close.wait(3000ms));
  CHECK(eventually([&] { return px.stats().exchanges_in_flight.load() == 0; }));
  CHECK(unchanged_for(px.stats().keepalive_sent, 100ms));  // five intervals: a live timer would keep counting
}
