// Hardening against hostile request heads. Each is refused with its 4xx, the
// connection closes, and nothing ambiguous reaches the upstream: either no request at all,
// or (for a body that turns bad after the head) never a complete message.
#include <atomic>
#include <mutex>

#include "wire/hardening_rig.hpp"

using namespace wire;

namespace {
// An upstream that records what it receives: heads, and whether a body arrived complete.
struct recorder {
  std::mutex m;
  std::vector<std::string> heads;
  std::atomic<int> complete_bodies{0};
  std::vector<std::string> complete_targets;
  fake_upstream up{[this](conn& c) {
    for (;;) {
      auto h = read_head(c, 3000ms);
      {
        std::lock_guard l(m);
        heads.push_back(h.raw);
      }
      read_body(c, h, 3000ms);  // throws if the body never completes
      ++complete_bodies;
      {
        std::lock_guard l(m);
        complete_targets.push_back(h.target);
      }
      c.send(response(200, "fine"));
    }
  }};
  std::size_t seen() {
    std::lock_guard l(m);
    return heads.size();
  }
};

// Sends raw bytes, expects `status` and a close; returns the full response.
std::string refused(rig& r, const std::string& bytes, int status) {
  auto c = r.connect();
  c.send(bytes);
  auto all = c.read_to_eof();
  CHECK(all.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0);
  CHECK(all.find("Connection: close\r\n") != std::string::npos);
  return all;
}
}  // namespace

TEST_CASE("hardening: hostile heads are refused with their 4xx and never forwarded") {
  recorder rec;
  rig r(rec.up.port(), "limits: {max_header_bytes: 4096, max_request_line_bytes: 1024}\n");
  struct hostile {
    const char* what;
    std::string bytes;
    int status;
  };
  std::vector<hostile> cases = {
      {"Content-Length with Transfer-Encoding",
       "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding then Content-Length",
       "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      {"two differing Content-Lengths",
       "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
      {"two equal Content-Lengths", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"a Content-Length list", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400},
      {"Transfer-Encoding not ending in chunked",
       "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding gzip only", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxx", 400},
      {"Transfer-Encoding in HTTP/1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"obs-fold", "GET /x HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400},
      {"obs-fold with a tab", "GET /x HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n", 400},
      {"request line over the limit", "GET /" + std::string(2000, 'l') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"header over the limit", "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n", 431},
      {"absolute-form naming a foreign host", "GET http://evil.example/x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"absolute-form with userinfo", "GET http://a@evil.example/x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"absolute-form with another scheme", "GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 405},
      {"two Host headers", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
  };
  for (const auto& h : cases) {
    CAPTURE(h.what);
    refused(r, h.bytes, h.status);
    CHECK(rec.up.accepted() == 0);
  }
  CHECK(rec.seen() == 0);
  CHECK(r.keeps_serving());
  CHECK(r.all_settled());
}

TEST_CASE("hardening: bad chunk sizes -> 400, the upstream never gets a complete message") {
  recorder rec;
  rig r(rec.up.port(), "");
  int i = 0;
  for (std::string bad : {"zz\r\nhello\r\n0\r\n\r\n", "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
                          "-5\r\nhello\r\n0\r\n\r\n", "5\r\nhelloEXTRA\r\n0\r\n\r\n"}) {
    CAPTURE(bad);
    refused(r, "PUT /bad" + std::to_string(i++) + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + bad, 400);
  }
  CHECK(eventually([&] { return r.stats().exchanges_in_flight.load() == 0; }));
  // Heads may have gone ahead; no body ever completed. Each upstream connection ends (EOF)
  // as holdon cuts it, so the recorder threads are done once accepted() connections failed.
  std::this_thread::sleep_for(300ms);  // a window for a late completion to show
  {
    std::lock_guard l(rec.m);
    for (const auto& t : rec.complete_targets) CHECK_MESSAGE(false, "complete body upstream for " << t);
  }
  CHECK(rec.complete_bodies.load() == 0);
  CHECK(r.keeps_serving());
  // A good chunked body after all that still goes through whole.
  auto c = r.connect();
  c.send("PUT /file HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "fine");
  std::lock_guard l(rec.m);
  std::string got;
  for (const auto& t : rec.complete_targets) got += t + " ";
  CHECK(got == "/file ");  // and nothing after it: once a last chunk was sent twice
  CHECK(rec.heads.size() == 5);
}

TEST_CASE("hardening: absolute-form naming the Host itself is served on holdon's routes as origin-form") {
  recorder rec;
  rig r(rec.up.port(), "");
  auto c = r.connect();
  c.send("GET http://dav.test/dir/f?q=1 HTTP/1.1\r\nHost: dav.test\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "fine");
  REQUIRE(rec.seen() == 1);
  std::lock_guard l(rec.m);
  CHECK(rec.heads[0].rfind("GET /dir/f?q=1 HTTP/1.1\r\n", 0) == 0);  // never absolute-form upstream
}
