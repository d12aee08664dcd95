#include "wire/wire_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "holdon/config.hpp"
#include "holdon/log.hpp"

namespace wire {

void event::set() {
  {
    std::lock_guard l(m_);
    set_ = true;
  }
  cv_.notify_all();
}

bool event::wait(ms timeout) {
  std::unique_lock l(m_);
  return cv_.wait_for(l, timeout, [&] { return set_; });
}

bool event::is_set() {
  std::lock_guard l(m_);
  return set_;
}

conn::~conn() {
  if (fd >= 0) ::close(fd);
}

void conn::send(std::string_view b) {
  while (!b.empty()) {
    auto n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    b.remove_prefix(static_cast<std::size_t>(n));
  }
}

namespace {
// One read with a deadline: >0 bytes appended, 0 on EOF; throws on timeout.
long read_some(int fd, std::string& into, clock::time_point deadline) {
  auto left = std::chrono::duration_cast<ms>(deadline - clock::now()).count();
  if (left < 0) left = 0;
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(left));
  if (r == 0) throw std::runtime_error("timed out waiting for data");
  char buf[65536];
  auto n = ::recv(fd, buf, sizeof buf, 0);
  if (n < 0) return 0;  // reset counts as closed
  into.append(buf, static_cast<std::size_t>(n));
  return n;
}
}  // namespace

std::string conn::read_until(std::string_view delim, ms timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    auto pos = pending.find(delim);
    if (pos != std::string::npos) {
      auto out = pending.substr(0, pos + delim.size());
      pending.erase(0, pos + delim.size());
      return out;
    }
    if (read_some(fd, pending, deadline) == 0)
      throw std::runtime_error("connection closed before '" + std::string(delim) + "'; got: " + pending);
  }
}

std::string conn::read_exact(std::size_t n, ms timeout) {
  auto deadline = clock::now() + timeout;
  while (pending.size() < n)
    if (read_some(fd, pending, deadline) == 0) throw std::runtime_error("connection closed early");
  auto out = pending.substr(0, n);
  pending.erase(0, n);
  return out;
}

std::string conn::read_to_eof(ms timeout) {
  auto deadline = clock::now() + timeout;
  while (read_some(fd, pending, deadline) > 0) {
  }
  return std::exchange(pending, {});
}

bool conn::closed_within(ms timeout) {
  try {
    auto before = pending.size();
    auto deadline = clock::now() + timeout;
    while (read_some(fd, pending, deadline) > 0) {
    }
    return pending.size() == before;
  } catch (const std::runtime_error&) {
    return false;
  }
}

void conn::shutdown_write() { ::shutdown(fd, SHUT_WR); }

conn connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return conn(fd);
}

namespace {
int listen_loopback(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 512) != 0)
    throw std::runtime_error("cannot listen on loopback");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}
}  // namespace

std::uint16_t unused_port() {
  std::uint16_t port = 0;
  ::close(listen_loopback(port));
  return port;
}

std::string head::header(std::string_view name) const {
  std::size_t pos = raw.find("\r\n");
  while (pos != std::string::npos && pos + 2 < raw.size()) {
    auto end = raw.find("\r\n", pos + 2);
    if (end == std::string::npos) break;
    auto line = std::string_view(raw).substr(pos + 2, end - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    pos = end;
  }
  return {};
}

head read_head(conn& c, ms timeout) {
  head h;
  h.raw = c.read_until("\r\n\r\n", timeout);
  h.at = clock::now();
  h.start = h.raw.substr(0, h.raw.find("\r\n"));
  if (h.start.rfind("HTTP/", 0) == 0) {
    h.status = std::stoi(h.start.substr(9, 3));
  } else {
    auto sp1 = h.start.find(' ');
    auto sp2 = h.start.find(' ', sp1 + 1);
    h.method = h.start.substr(0, sp1);
    h.target = h.start.substr(sp1 + 1, sp2 - sp1 - 1);
  }
  return h;
}

std::string read_body(conn& c, const head& h, ms timeout) {
  auto cl = h.header("Content-Length");
  if (!cl.empty()) return c.read_exact(std::stoull(cl), timeout);
  if (h.header("Transfer-Encoding").find("chunked") == std::string::npos) return {};
  std::string body;
  for (;;) {
    auto line = c.read_until("\r\n", timeout);
    auto size = std::stoull(line, nullptr, 16);
    if (size == 0) {
      while (c.read_until("\r\n", timeout) != "\r\n") {
      }
      return body;
    }
    body += c.read_exact(size, timeout);
    c.read_until("\r\n", timeout);
  }
}

fake_upstream::fake_upstream(script s) : script_(std::move(s)) {
  listen_fd_ = listen_loopback(port_);
  acceptor_ = std::thread([this] {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0 || stopping_) {
        if (fd >= 0) ::close(fd);
        return;
      }
      ++accepted_;
      std::lock_guard l(m_);
      workers_.emplace_back([this, fd] {
        conn c(fd);
        try {
          script_(c);
        } catch (const std::exception&) {
          // The proxy closed on us or a read timed out: the test asserts on the client side.
        }
      });
    }
  });
}

fake_upstream::~fake_upstream() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard l(m_);
  for (auto& w : workers_) w.join();
}

proxy::proxy(std::uint16_t upstream_port, const std::string& extra_yaml, unsigned threads) {
  std::string yaml = "listen: [127.0.0.1:0]\nthreads: " + std::to_string(threads) +
                     "\nupstreams:\n  app: {servers: [127.0.0.1:" + std::to_string(upstream_port) +
                     "]}\nroutes:\n  - {path_prefix: /, upstream: app}\nlog: {access: off}\n" + extra_yaml;
  auto cfg = std::make_shared<const holdon::config>(holdon::parse_config(yaml, "wire-test"));
  holdon::set_log_level(holdon::log_level::warn);
  server_ = std::make_unique<holdon::server>(cfg);
  port_ = server_->endpoints().front().port();
  server_->start();
}

proxy::~proxy() {
  server_->stop();
  server_->wait();
}

bool eventually(const std::function<bool()>& pred, ms timeout) {
  auto deadline = clock::now() + timeout;
  while (clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

std::string response(int status, std::string_view body, std::string_view extra) {
  std::string reason = status == 200 ? "OK" : status == 207 ? "Multi-Status" : "Status";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

}  // namespace wire
