// holdon_load: benchmark peers for held exchanges (bench/held.sh).
//
//   holdon_load upstream --port P [--delay-ms 30000] [--interim-every-ms 0]
//       An async slow origin: every request is answered 207 after the delay; keep-alive.
//       With --interim-every-ms E it sends a 102 Processing every E ms while it waits (the
//       upstream makes the 102s, the proxy forwards them: bench/held.sh forwarding mode).
//       Holds any number of connections on one thread (Python's threaded server cannot).
//       Also PUT /sink (drains the body, answers 200 X-Received: N) and GET /bytes/N.
//   holdon_load held --port P [--conns 8000] [--ramp-ms 4000] [--first-ms 1000]
//                    [--every-ms 1000] [--timeout-s 90] [--expect-102 0|1]
//       Opens --conns connections to a proxy, sends one slow PROPFIND on each, and records
//       the arrival time of every 102 against its schedule (first-ms after the request was
//       written, then every every-ms). Prints jitter p50/p99/max, counts and errors.
//
// Loopback only; everything is bounded by --timeout-s.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

std::map<std::string, std::string> args;
long arg(const char* name, long dflt) {
  auto it = args.find(name);
  return it == args.end() ? dflt : std::atol(it->second.c_str());
}

void raise_fd_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

// ---------------------------------------------------------------- upstream

const std::string body =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\"><D:response>"
    "<D:href>/held</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response></D:multistatus>\n";
const std::string interim = "HTTP/1.1 102 Processing\r\n\r\n";
const std::string answer = "HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body;

// Per connection: read a head; drain a Content-Length body (PUT /sink: answers 200 with the
// count); GET /bytes/N streams N bytes; anything else gets the 207 after the delay.
struct upstream_conn : std::enable_shared_from_this<upstream_conn> {
  upstream_conn(tcp::socket s, std::chrono::milliseconds d, std::chrono::milliseconds e)
      : sock(std::move(s)), timer(sock.get_executor()), delay(d), every(e) {}
  tcp::socket sock;
  net::steady_timer timer;
  net::streambuf buf;
  std::chrono::milliseconds delay, every;
  clock_type::time_point due, next;  // when the final answer goes; the next 102
  std::uint64_t left = 0, total = 0;
  std::string reply;
  std::vector<char> chunk = std::vector<char>(65536, 'x');

  static std::uint64_t number_after(const std::string& head, const char* key) {
    auto p = head.find(key);
    return p == std::string::npos ? 0 : std::strtoull(head.c_str() + p + std::strlen(key), nullptr, 10);
  }
  void read() {
    net::async_read_until(sock, buf, "\r\n\r\n", [self = shared_from_this()](error_code ec, std::size_t n) {
      if (ec) return;
      std::string head(net::buffers_begin(self->buf.data()), net::buffers_begin(self->buf.data()) + n);
      self->buf.consume(n);
      for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // HAProxy lowercases
      if (head.rfind("get /bytes/", 0) == 0) {
        self->left = number_after(head, "get /bytes/");
        self->reply = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(self->left) + "\r\n\r\n";
        return net::async_write(self->sock, net::buffer(self->reply), [self](error_code e, std::size_t) {
          if (!e) self->send_bytes();
        });
      }
      self->left = number_after(head, "content-length: ");
      self->total = self->left;
      self->drain(head.rfind("put /sink", 0) == 0);
    });
  }
  void send_bytes() {
    if (left == 0) return read();
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
    left -= n;
    net::async_write(sock, net::buffer(chunk.data(), n), [self = shared_from_this()](error_code e, std::size_t) {
      if (!e) self->send_bytes();
    });
  }
  void drain(bool sink) {
    auto have = std::min<std::uint64_t>(left, buf.size());
    buf.consume(static_cast<std::size_t>(have));
    left -= have;
    if (left > 0) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
      return sock.async_read_some(net::buffer(chunk.data(), n), [self = shared_from_this(), sink](error_code e, std::size_t got) {
        if (e) return;
        self->left -= got;
        self->drain(sink);
      });
    }
    if (sink) {
      reply = "HTTP/1.1 200 OK\r\nX-Received: " + std::to_string(total) + "\r\nContent-Length: 0\r\n\r\n";
      return net::async_write(sock, net::buffer(reply), [self = shared_from_this()](error_code e, std::size_t) {
        if (!e) self->read();
      });
    }
    next = clock_type::now();
    due = next + delay;
    wait();
  }
  // Until `due`: a 102 every `every` after the request (when set), then the answer.
  void wait() {
    next += every;
    bool final = every.count() == 0 || next >= due;
    timer.expires_at(final ? due : next);
    timer.async_wait([self = shared_from_this(), final](error_code) {
      net::async_write(self->sock, net::buffer(final ? answer : interim), [self, final](error_code e, std::size_t) {
        if (!e) final ? self->read() : self->wait();
      });
    });
  }
};

int run_upstream() {
  net::io_context ioc(1);
  tcp::acceptor acc(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(arg("--port", 0))));
  acc.listen(net::socket_base::max_listen_connections);
  std::chrono::milliseconds delay(arg("--delay-ms", 30000)), every(arg("--interim-every-ms", 0));
  std::printf("holdon_load upstream listening on http://127.0.0.1:%u\n", acc.local_endpoint().port());
  std::fflush(stdout);
  std::function<void()> accept = [&] {
    acc.async_accept([&](error_code ec, tcp::socket s) {
      if (!ec) std::make_shared<upstream_conn>(std::move(s), delay, every)->read();
      accept();
    });
  };
  accept();
  ioc.run();
  return 0;
}

// ---------------------------------------------------------------- held client

struct stats {
  std::vector<double> first_ms;   // first 102: arrival - (request written + first-ms)
  std::vector<double> jitter_ms;  // every 102 against the connection's schedule (see finish())
  long completed = 0, errors = 0, early = 0, interims = 0;
  std::map<std::string, long> why;
  void error(const std::string& w) {
    ++errors;
    ++why[w];
  }
};

struct held_conn : std::enable_shared_from_this<held_conn> {
  held_conn(net::io_context& ioc, stats& st) : sock(ioc), st(st) {}
  tcp::socket sock;
  stats& st;
  std::string in;
  char rbuf[4096];
  clock_type::time_point sent;
  long k = 0;  // 102s seen
  std::vector<double> at_ms;  // arrivals, ms after the request was written
  bool done = false;
  std::string request;

  void start(const tcp::endpoint& ep, const std::string& req) {
    request = req;
    sock.async_connect(ep, [self = shared_from_this()](error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      self->sent = clock_type::now();  // before the write: its handler may run late under load
      net::async_write(self->sock, net::buffer(self->request), [self](error_code e, std::size_t) {
        if (e) return self->fail("write: " + e.message());
        self->read();
      });
    });
  }
  void fail(const std::string& w) {
    if (done) return;
    done = true;
    st.error(w);
  }
  void read() {
    sock.async_read_some(net::buffer(rbuf), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (ec) return self->fail(ec == net::error::eof ? "eof before final response" : ec.message());
      self->in.append(self->rbuf, n);
      if (self->parse()) self->read();
    });
  }
  // holdon schedules 102 k at T + (k-1) * every, T being unknown to the client (it follows
  // the forwarding of the request). The earliest arrival implies the latest possible T;
  // jitter is each arrival's lateness against that schedule (>= 0 by construction).
  void finish_schedule(long every) {
    if (at_ms.empty()) return;
    double t = at_ms[0];
    for (std::size_t i = 0; i < at_ms.size(); ++i) t = std::min(t, at_ms[i] - double(i) * double(every));
    for (std::size_t i = 0; i < at_ms.size(); ++i) st.jitter_ms.push_back(at_ms[i] - double(i) * double(every) - t);
  }
  // Returns true to keep reading.
  bool parse() {
    static const long first = arg("--first-ms", 1000), every = arg("--every-ms", 1000);
    auto now = clock_type::now();
    for (;;) {
      auto end = in.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      std::string head = in.substr(0, end + 4);
      if (head.rfind("HTTP/1.1 1", 0) == 0) {
        in.erase(0, end + 4);
        ++k;
        ++st.interims;
        double got = std::chrono::duration<double, std::milli>(now - sent).count();
        if (k == 1) st.first_ms.push_back(got - double(first));
        if (got < double(first + (k - 1) * every) - 1.0) ++st.early;  // before its time: a bug
        at_ms.push_back(got);
        continue;
      }
      auto cl = head.find("Content-Length: ");
      std::size_t len = cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 16, nullptr, 10);
      if (in.size() < end + 4 + len) return true;
      done = true;
      finish_schedule(every);
      if (head.rfind("HTTP/1.1 207", 0) == 0) ++st.completed;
      else st.error("final " + head.substr(9, 3));
      error_code ignored;
      sock.close(ignored);
      return false;
    }
  }
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  return v[i];
}

int run_held() {
  net::io_context ioc(1);
  stats st;
  long conns = arg("--conns", 8000), ramp = arg("--ramp-ms", 4000);
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(arg("--port", 0)));
  std::string req = "PROPFIND /held HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: cadaver/0.23.3 neon/0.31\r\n"
                    "Depth: 1\r\nContent-Length: 0\r\n\r\n";
  std::vector<std::shared_ptr<held_conn>> all;
  net::steady_timer ramp_timer(ioc), deadline(ioc);
  long started = 0;
  const long batch = std::max(1L, conns / std::max(1L, ramp / 10));
  std::function<void()> launch = [&] {
    for (long i = 0; i < batch && started < conns; ++i, ++started) {
      all.push_back(std::make_shared<held_conn>(ioc, st));
      all.back()->start(ep, req);
    }
    if (started < conns) {
      ramp_timer.expires_after(std::chrono::milliseconds(10));
      ramp_timer.async_wait([&](error_code) { launch(); });
    }
  };
  launch();
  deadline.expires_after(std::chrono::seconds(arg("--timeout-s", 90)));
  deadline.async_wait([&](error_code) {
    for (auto& c : all)
      if (!c->done) c->fail("timeout");
    ioc.stop();
  });
  // Stop as soon as every connection is done.
  net::steady_timer poll(ioc);
  std::function<void()> check = [&] {
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](error_code) {
      if (started == conns && std::all_of(all.begin(), all.end(), [](auto& c) { return c->done; })) return ioc.stop();
      check();
    });
  };
  check();
  ioc.run();
  auto max_of = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
  std::printf("held: conns=%ld completed=%ld errors=%ld interims=%ld early=%ld "
              "jitter_ms p50=%.1f p99=%.1f max=%.1f first_102_late_ms p50=%.1f p99=%.1f max=%.1f\n",
              conns, st.completed, st.errors, st.interims, st.early, pct(st.jitter_ms, 50), pct(st.jitter_ms, 99),
              max_of(st.jitter_ms), pct(st.first_ms, 50), pct(st.first_ms, 99), max_of(st.first_ms));
  for (auto& [w, n] : st.why) std::printf("  error %ld x %s\n", n, w.c_str());
  return st.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: holdon_load upstream|held [--key value]...\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  raise_fd_limit();
  std::string mode = argv[1];
  if (mode == "upstream") return run_upstream();
  if (mode == "held") return run_held();
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
