// Wire tests for TLS: HTTPS listeners beside HTTP ones, SNI certificate choice,
// X-Forwarded-Proto, keep-alive 102s over HTTPS (exact bytes, on schedule), and TLS to the
// upstream (verified by CA file and name, SNI, the insecure switch). Certificates come from
// a throwaway CA made at test time (tests/tls/make_pki.sh).
#include <doctest/doctest.h>
#include <sys/socket.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
std::string cert_entry(const std::string& name) {
  const auto& p = test_pki();
  return "{cert: '" + p.file(name + ".pem") + "', key: '" + p.file(name + ".key") + "'}";
}

// A TLS upstream serving the test PKI's certificate `name` ("a.test", "localhost").
upstream_options serving_cert(const std::string& name) {
  const auto& p = test_pki();
  return upstream_options{0, p.file(name + ".pem"), p.file(name + ".key")};
}

// HTTP on listen[0], HTTPS on listen[1] with `certs` (the first is the default).
std::string two_listeners(std::uint16_t upstream, const std::vector<std::string>& certs, std::string extra = "") {
  std::string list;
  for (const auto& c : certs) list += (list.empty() ? "" : ", ") + cert_entry(c);
  return "listen:\n  - 127.0.0.1:0\n  - {address: 127.0.0.1:0, tls: {certificates: [" + list +
         "]}}\nthreads: 1\nlog: {access: off}\nupstreams:\n  app: {servers: [127.0.0.1:" + std::to_string(upstream) +
         "]}\nroutes: [{upstream: app}]\n" + extra;
}

conn https(const proxy& px, const std::string& sni = "localhost", const std::string& verify = "localhost",
           std::string max_version = "") {
  return tls_connect_to(px.port(1), test_pki().file("ca.pem"), sni, verify, std::move(max_version));
}
}  // namespace

TEST_CASE("wire: HTTPS and HTTP listeners side by side, X-Forwarded-Proto follows the client's scheme") {
  std::mutex m;
  std::vector<std::string> protos;
  fake_upstream up([&](conn& c) {
    for (;;) {
      auto req = read_head(c, 10000ms);
      {
        std::lock_guard l(m);
        protos.push_back(req.header("X-Forwarded-Proto"));
      }
      c.send(response(200, "hello"));
    }
  });
  proxy px(two_listeners(up.port(), {"localhost"}));
  auto plain = px.connect();
  plain.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto h = read_head(plain);
  CHECK(h.status == 200);
  CHECK(read_body(plain, h) == "hello");

  for (std::string version : {"", "TLSv1.2"}) {
    CAPTURE(version);
    auto c = https(px, "localhost", "localhost", version);
    CHECK(c.tls_version() == (version.empty() ? "TLSv1.3" : "TLSv1.2"));
    c.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: forged\r\n\r\n");
    auto th = read_head(c);
    CHECK(th.status == 200);
    CHECK(read_body(c, th) == "hello");
    c.send("GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n");  // keep-alive over TLS
    auto again = read_head(c);
    CHECK(again.status == 200);
    CHECK(read_body(c, again) == "hello");
  }
  std::lock_guard l(m);
  CHECK(protos == std::vector<std::string>{"http", "https", "https", "https", "https"});
}

TEST_CASE("wire: SNI picks the certificate that names the host, no or an unknown name gets the first") {
  fake_upstream up([](conn& c) {
    read_head(c);
    c.send(response(200, "ok"));
  });
  proxy px(two_listeners(up.port(), {"a.test", "b.test", "localhost"}));
  const auto ca = test_pki().file("ca.pem");
  CHECK(tls_connect_to(px.port(1), ca, "b.test", "b.test").tls_peer_subject() == "CN = b.test");
  CHECK(tls_connect_to(px.port(1), ca, "a.test", "a.test").tls_peer_subject() == "CN = a.test");
  CHECK(tls_connect_to(px.port(1), ca, "x.a.test", "x.a.test").tls_peer_subject() == "CN = a.test");  // *.a.test
  CHECK(tls_connect_to(px.port(1), ca, "localhost", "localhost").tls_peer_subject() == "CN = localhost");
  CHECK(tls_connect_to(px.port(1), ca, "", "").tls_peer_subject() == "CN = a.test");
  CHECK(tls_connect_to(px.port(1), ca, "c.test", "").tls_peer_subject() == "CN = a.test");
  // A client that checks the name refuses the default certificate for a name it does not carry.
  CHECK_THROWS(tls_connect_to(px.port(1), ca, "c.test", "c.test"));
}

TEST_CASE("wire: keep-alive 102s over HTTPS: exact bytes on schedule, then the 207, twice on one connection") {
  std::atomic<int> round{0};
  event saw[2];
  fake_upstream up([&](conn& c) {
    for (;;) {
      auto req = read_head(c, 10000ms);
      CHECK(req.method == "PROPFIND");
      CHECK(req.header("X-Forwarded-Proto") == "https");
      saw[round.load()].wait(5000ms);
      c.send(response(207, multistatus, "Content-Type: application/xml\r\n"));
    }
  });
  proxy px(two_listeners(up.port(), {"localhost"}, "interim: {first_after: 80ms, every: 80ms, max: 30}\n"));
  auto c = https(px);
  for (int r = 0; r < 2; ++r) {
    CAPTURE(r);
    round = r;
    auto sent = clock::now();
    c.send("PROPFIND /slow HTTP/1.1\r\nHost: localhost\r\nUser-Agent: litmus/0.13 neon/0.31.2\r\nDepth: 1\r\n"
           "Content-Length: 0\r\n\r\n");
    std::vector<clock::time_point> at;
    std::string final_raw;
    for (;;) {
      auto raw = c.read_until("\r\n\r\n");
      if (raw != k102) {
        final_raw = raw;
        break;
      }
      at.push_back(clock::now());
      if (at.size() == 3) saw[r].set();
    }
    CHECK(final_raw.rfind("HTTP/1.1 207 Multi-Status\r\n", 0) == 0);
    CHECK(c.read_exact(multistatus.size()) == multistatus);
    REQUIRE(at.size() >= 3);
    CHECK(at.size() <= 4);
    CHECK(at[0] - sent >= 80ms);
    CHECK(at[0] - sent < 1000ms);
    for (std::size_t i = 1; i < at.size(); ++i) {
      // Timers never fire early, each re-armed after the last fired: a cumulative lower bound
    // (the gap seen by a busy client can be shorter when the previous 102 was read late).
    CHECK(at[i] - sent >= 80ms * (i + 1));
      CHECK(at[i] - at[i - 1] < 1000ms);
    }
    CHECK(c.pending.empty());
  }
  CHECK(px.stats().keepalive_sent.load() >= 6);
}

TEST_CASE("wire: an HTTPS client that leaves during the wait closes the upstream") {
  event upstream_closed;
  fake_upstream up([&](conn& c) {
    read_head(c);
    if (c.closed_within(5000ms)) upstream_closed.set();
  });
  proxy px(two_listeners(up.port(), {"localhost"}, "interim: {first_after: 20ms, every: 20ms}\n"));
  {
    auto c = https(px);
    c.send("PROPFIND /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cadaver/0.24 neon/0.32.5\r\nContent-Length: 0\r\n\r\n");
    CHECK(c.read_until("\r\n\r\n") == k102);
  }
  CHECK(upstream_closed.wait(3000ms));
}

TEST_CASE("wire: a client that starts no TLS handshake is closed at the client_header timeout") {
  fake_upstream up([](conn&) {});
  proxy px(two_listeners(up.port(), {"localhost"}, "timeouts: {client_header: 150ms}\n"));
  auto raw = connect_to(px.port(1));
  auto t0 = clock::now();
  CHECK(raw.closed_within(3000ms));
  CHECK(clock::now() - t0 >= 140ms);
  // And plain HTTP sent to the TLS port is not answered as HTTP.
  auto junk = connect_to(px.port(1));
  junk.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto all = junk.read_to_eof(3000ms);
  CHECK(all.find("HTTP/1.1 200") == std::string::npos);
  CHECK(up.accepted() == 0);
}

// ---------------------------------------------------------------- TLS to the upstream

namespace {
std::string tls_upstream(std::uint16_t port, const std::string& tls) {
  return "listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  app: {servers: [127.0.0.1:" +
         std::to_string(port) + "], tls: " + tls + "}\nroutes: [{upstream: app}]\n";
}
std::string status_and_body(const proxy& px) {
  auto c = px.connect();
  c.send("GET /x HTTP/1.1\r\nHost: public.example\r\n\r\n");
  auto h = read_head(c);
  return std::to_string(h.status) + " " + read_body(c, h);
}
}  // namespace

TEST_CASE("wire: TLS to the upstream: verified by ca_file and server_name, which is sent as SNI") {
  const auto& p = test_pki();
  std::mutex m;
  std::vector<std::string> names;
  fake_upstream up(
      [&](conn& c) {
        {
          std::lock_guard l(m);
          names.push_back(c.tls_server_name());
        }
        for (;;) {
          read_head(c, 10000ms);
          c.send(response(200, std::string("over ") + c.tls_version()));
        }
      },
      serving_cert("a.test"));
  proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("ca.pem") + "', server_name: x.a.test}"));
  CHECK(status_and_body(px) == "200 over TLSv1.3");
  CHECK(status_and_body(px) == "200 over TLSv1.3");
  CHECK(up.accepted() == 1);  // the TLS connection is pooled and reused
  std::lock_guard l(m);
  CHECK(names == std::vector<std::string>{"x.a.test"});
}

TEST_CASE("wire: TLS to the upstream fails closed: unknown CA or wrong name gives 502, the insecure switch connects") {
  const auto& p = test_pki();
  fake_upstream up(answer_every("secret"), serving_cert("a.test"));
  {
    proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("other-ca.pem") + "', server_name: a.test}"));
    CHECK(status_and_body(px).rfind("502 ", 0) == 0);
  }
  {
    proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("ca.pem") + "', server_name: b.test}"));
    CHECK(status_and_body(px).rfind("502 ", 0) == 0);
  }
  {
    // No server_name: the server's host (127.0.0.1) is verified, and a.test's cert lacks it.
    proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("ca.pem") + "'}"));
    CHECK(status_and_body(px).rfind("502 ", 0) == 0);
  }
  {
    proxy px(tls_upstream(up.port(), "{insecure_skip_verify: true}"));
    CHECK(status_and_body(px) == "200 secret");
  }
}

TEST_CASE("wire: an upstream server whose certificate verifies by IP address works without server_name") {
  const auto& p = test_pki();
  fake_upstream up(answer_then_close(response(200, "by ip")), serving_cert("localhost"));
  proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("ca.pem") + "'}"));
  CHECK(status_and_body(px) == "200 by ip");
}

TEST_CASE("wire: a plain-HTTP upstream behind a tls section gives 502, and the next server is tried") {
  const auto& p = test_pki();
  fake_upstream plain([](conn& c) {  // as an HTTP server does with a ClientHello
    c.read_exact(1);
    c.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  fake_upstream good(answer_then_close(response(200, "tls")), serving_cert("localhost"));
  proxy one(tls_upstream(plain.port(), "{ca_file: '" + p.file("ca.pem") + "'}"));
  CHECK(status_and_body(one).rfind("502 ", 0) == 0);
  proxy two("listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  app: {servers: [127.0.0.1:" +
            std::to_string(plain.port()) + ", 127.0.0.1:" + std::to_string(good.port()) + "], tls: {ca_file: '" +
            p.file("ca.pem") + "'}}\nroutes: [{upstream: app}]\n");
  CHECK(status_and_body(two) == "200 tls");  // the failed handshake counts as a failed connect
}

TEST_CASE("wire: a TLS upstream's close-delimited body ends at close, with or without close_notify") {
  const auto& p = test_pki();
  for (bool notify : {true, false}) {
    CAPTURE(notify);
    fake_upstream up(
        [notify](conn& c) {
          read_head(c);
          c.send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
          if (!notify) ::shutdown(c.fd, SHUT_RDWR);  // TCP close, no TLS close_notify
        },
        serving_cert("localhost"));
    proxy px(tls_upstream(up.port(), "{ca_file: '" + p.file("ca.pem") + "'}"));
    auto c = px.connect();
    c.send("GET /x HTTP/1.1\r\nHost: public.example\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 200);
    CHECK(h.header("Transfer-Encoding") == "chunked");  // re-chunked for the HTTP/1.1 client
    CHECK(read_body(c, h) == "until the end");
  }
}

TEST_CASE("wire: a server that accepts but never finishes the handshake times out, is retried elsewhere and taken out") {
  const auto& p = test_pki();
  event done;
  fake_upstream silent([&](conn&) { done.wait(5000ms); });  // TCP accepted, then nothing
  fake_upstream good(answer_every("good"), serving_cert("localhost"));
  proxy px("listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\ntimeouts: {connect: 200ms}\nupstreams:\n  app:\n"
           "    servers: [127.0.0.1:" + std::to_string(silent.port()) + ", 127.0.0.1:" + std::to_string(good.port()) +
           "]\n    fail_threshold: 1\n    fail_backoff: 60s\n    tls: {ca_file: '" + p.file("ca.pem") +
           "'}\nroutes: [{upstream: app}]\n");
  auto t0 = clock::now();
  CHECK(status_and_body(px) == "200 good");  // after the 200 ms connect deadline on `silent`
  CHECK(clock::now() - t0 >= 200ms);
  CHECK(px.stats().upstream_connect_errors.load() == 1);
  for (int i = 0; i < 4; ++i) CHECK(status_and_body(px) == "200 good");  // `silent` is out now
  CHECK(silent.accepted() == 1);
  CHECK(px.stats().upstream_connect_errors.load() == 1);
  done.set();
}

TEST_CASE("wire: over HTTPS a prefix mount maps an https Destination up and Location back to https") {
  std::mutex m;
  std::string destination;
  std::atomic<std::uint16_t> up_port{0};
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    {
      std::lock_guard l(m);
      destination = req.header("Destination");
    }
    c.send(response(201, "", "Location: http://127.0.0.1:" + std::to_string(up_port.load()) + "/b\r\n"));
  });
  up_port = up.port();
  const auto& p = test_pki();
  proxy px("listen:\n  - {address: 127.0.0.1:0, tls: {certificates: [" + cert_entry("localhost") +
           "]}}\nthreads: 1\nlog: {access: off}\nupstreams:\n  app: {servers: [127.0.0.1:" + std::to_string(up.port()) +
           "]}\nroutes: [{path_prefix: /dav/, upstream: app, upstream_prefix: /}]\n");
  auto c = tls_connect_to(px.port(0), p.file("ca.pem"), "localhost", "localhost");
  auto origin = "https://localhost:" + std::to_string(px.port(0));
  c.send("COPY /dav/a HTTP/1.1\r\nHost: localhost:" + std::to_string(px.port(0)) + "\r\nDestination: " + origin +
         "/dav/b\r\nContent-Length: 0\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 201);
  CHECK(h.header("Location") == origin + "/dav/b");
  std::lock_guard l(m);
  CHECK(destination == "http://127.0.0.1:" + std::to_string(up.port()) + "/b");
}
