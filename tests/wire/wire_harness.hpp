// wire_harness: blocking loopback sockets for wire tests. A holdon server runs in-process
// on its own threads; a scripted fake upstream runs one thread per connection; the test
// thread is the client and asserts on the exact bytes it receives.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "holdon/log.hpp"
#include "holdon/server.hpp"

namespace wire {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// A one-shot event between threads (a test never sleeps to synchronise).
class event {
 public:
  void set();
  bool wait(ms timeout);  // true if set within timeout
  bool is_set();

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Owns a connected TCP socket; reads keep what they over-read in `pending`.
struct conn {
  explicit conn(int fd = -1) : fd(fd) {}
  conn(conn&& o) noexcept : fd(o.fd), pending(std::move(o.pending)), ssl(o.ssl) {
    o.fd = -1;
    o.ssl = nullptr;
  }
  ~conn();
  int fd;
  std::string pending;
  void* ssl = nullptr;  // an OpenSSL SSL*: reads and writes go through TLS (tls_connect_to)
  std::string tls_version() const;       // "TLSv1.3"; "" without TLS
  std::string tls_peer_subject() const;  // the peer certificate's subject, e.g. "CN = a.test"
  std::string tls_server_name() const;   // on a TLS upstream: the SNI the client sent

  void send(std::string_view bytes);
  // Reads until `delim` is in the data; returns everything up to and including it.
  // Throws std::runtime_error on EOF or timeout.
  std::string read_until(std::string_view delim, ms timeout = 5000ms);
  std::string read_exact(std::size_t n, ms timeout = 5000ms);
  // Reads until the peer closes; returns all bytes. Throws on timeout.
  std::string read_to_eof(ms timeout = 5000ms);
  // True if the peer closes (EOF/reset) within timeout with no further bytes.
  bool closed_within(ms timeout);
  void shutdown_write();
};

conn connect_to(std::uint16_t port);
std::uint16_t unused_port();  // a loopback port nothing listens on (bound, then closed)

// A parsed HTTP message head (request or response) with its raw bytes.
struct head {
  std::string raw;     // including the final CRLFCRLF
  std::string start;   // first line
  int status = 0;      // responses
  std::string method;  // requests
  std::string target;
  clock::time_point at;
  std::string header(std::string_view name) const;  // first value, case-insensitive; "" if none
};
head read_head(conn& c, ms timeout = 5000ms);
// Body per Content-Length or chunked (decoded); "" if neither. `chunked_raw` gets the wire form.
std::string read_body(conn& c, const head& h, ms timeout = 5000ms);

// For the TLS tests: a throwaway CA and server certificates, made once per test process by
// tests/tls/make_pki.sh in a temporary directory that is removed at exit.
struct pki {
  std::string dir;
  std::string file(const std::string& name) const { return dir + "/" + name; }  // "ca.pem", "a.test.key"
};
const pki& test_pki();

// A TLS client connection (TLS 1.2+), verifying the server against `ca_file` and `verify_name`
// (none: no verification); `sni` is sent as the server name when not empty. Throws on failure.
conn tls_connect_to(std::uint16_t port, const std::string& ca_file, const std::string& sni,
                    const std::string& verify_name, std::string max_version = "");

// Where and how a fake upstream listens: `port` 0 picks one (else SO_REUSEADDR on that port,
// to bring a killed upstream back); `cert`/`key`: it speaks TLS.
struct upstream_options {
  std::uint16_t port = 0;
  std::string cert, key;
};

// Scripted upstream: each accepted connection runs `script` on its own thread.
class fake_upstream {
 public:
  using script = std::function<void(conn&)>;
  explicit fake_upstream(script s);
  fake_upstream(script s, upstream_options o);
  ~fake_upstream();
  // Dies now: stops listening (connects are refused) and closes every open connection.
  void kill();
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  script script_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex m_;
  std::vector<std::thread> workers_;
  void* tls_ctx_ = nullptr;  // SSL_CTX* when the upstream speaks TLS
  std::mutex fds_m_;
  std::vector<int> live_fds_;  // connections whose script still runs
  void start();
  void stop_accepting();
};

// holdon in-process, listening on 127.0.0.1:0, with `upstream_port` as upstream "app".
// `extra_yaml` is appended to the generated config (interim/timeouts/limits sections).
class proxy {
 public:
  proxy(std::uint16_t upstream_port, const std::string& extra_yaml, unsigned threads = 1);
  // The whole configuration (several listeners, TLS, several routes).
  explicit proxy(const std::string& full_yaml, holdon::log_level level = holdon::log_level::warn);
  ~proxy();
  std::uint16_t port() const { return port_; }
  std::uint16_t port(std::size_t listener) const { return ports_.at(listener); }
  holdon::metrics& stats() { return server_->stats(); }
  conn connect() const { return connect_to(port_); }

 private:
  std::unique_ptr<holdon::server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::uint16_t> ports_;  // per listen address
};

// Waits (bounded) until pred() holds; for counters that settle after an event.
bool eventually(const std::function<bool()>& pred, ms timeout = 3000ms);
// True if `counter` does not move during a window of silence (e.g. no 102 timer left running).
bool unchanged_for(const std::atomic<std::uint64_t>& counter, ms window);

std::string response(int status, std::string_view body, std::string_view extra_headers = "");

// `body` in chunked transfer coding, `piece` bytes per chunk, with the terminating chunk.
std::string chunked(std::string_view body, std::size_t piece);

inline const std::string k102 = "HTTP/1.1 102 Processing\r\n\r\n";
inline const std::string multistatus = "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"/>";

// "GET target HTTP/1.1" with Host: a and `extra` header lines.
std::string get(std::string_view target, std::string_view extra = "");

// A response head and its body.
struct reply {
  head h;
  std::string body;
};
// Sends `request` on `c`, then reads the response head and body.
reply round_trip(conn& c, std::string_view request, ms timeout = 5000ms);
// The same on a fresh connection to `port`, closed afterwards.
reply round_trip(std::uint16_t port, std::string_view request, ms timeout = 5000ms);
// Sends `request` on a fresh connection to `port`; returns the response head, and as `body`
// every byte after it until holdon closes the connection (read within `eof_timeout`).
reply head_then_eof(std::uint16_t port, std::string_view request, ms eof_timeout = 5000ms);
// Sends `s` in pieces of `piece` bytes (separate writes, so the relay sees many reads).
void send_in_pieces(conn& c, std::string_view s, std::size_t piece);

// Upstream scripts. answer_once: reads one request head, sends `bytes`, waits for holdon to close.
fake_upstream::script answer_once(std::string bytes);
// To a request for `target`: `head`, then `body` in writes of `piece` bytes, then a close (a
// body cut short when `head` announces more); to any other: `answer`, then waits for the close.
fake_upstream::script cut_off_at(std::string target, std::string head, std::string body, std::size_t piece,
                                 std::string answer);
// answer_every: 200 `body` to every request on the connection.
fake_upstream::script answer_every(std::string body);
// Reads one request head, sends `first` (an interim, say) if any, waits for `go` (5 s at
// most), sends `bytes`, then waits for holdon to close.
fake_upstream::script answer_when(event& go, std::string bytes, std::string first = "");
// Reads one request head, never answers, and sets `closed` when holdon closes the connection.
fake_upstream::script note_close(event& closed);
// Reads one request head, sends `bytes` and closes at once.
fake_upstream::script answer_then_close(std::string bytes);

// An upstream that answers one request per connection with `answer`, keeping the raw head of
// the request it got; read `seen` after `seen_set` is set.
struct recording_upstream {
  std::string seen;
  event seen_set;
  fake_upstream up;
  explicit recording_upstream(std::string answer);
};

// A client that sends `request` on a fresh connection to `port`, reads one head (holdon's
// first 102 while the upstream holds the answer), runs `while_held`, then leaves; returns
// that head's status.
int leave_after_first_head(std::uint16_t port, std::string_view request, const std::function<void()>& while_held = {});

// Reads heads until a final (>= 200) one into `final_head`; returns the interim heads in order.
std::vector<head> read_interims(conn& c, head& final_head, ms timeout = 5000ms);
// The exact 102s a client read before the next head, when each came, and that head's raw bytes.
struct interim_run {
  clock::time_point sent;  // ask_102s: when the request was sent
  std::vector<clock::time_point> at;
  std::string final_raw;
};
// Reads heads while they are exactly k102; sets `go` (if any) once `n` of them have come.
interim_run read_102s(conn& c, event* go = nullptr, std::size_t n = 0);
// Sends `request` (noting when), then read_102s.
interim_run ask_102s(conn& c, std::string_view request, event* go = nullptr, std::size_t n = 0);

}  // namespace wire
