#include "wire/wire_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

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
  if (ssl) {
    SSL_shutdown(static_cast<SSL*>(ssl));  // best effort close_notify (non-blocking socket)
    SSL_free(static_cast<SSL*>(ssl));
  }
  if (fd >= 0) ::close(fd);
}

namespace {
// Waits for `events` on fd until the deadline; false on timeout.
bool wait_fd(int fd, short events, clock::time_point deadline) {
  auto left = std::chrono::duration_cast<ms>(deadline - clock::now()).count();
  if (left < 0) left = 0;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) != 0;
}

// TLS connections use a non-blocking socket, so that a record that carries no data
// (a TLS 1.3 session ticket) cannot block a read past its deadline.
bool tls_retry(SSL* s, int ret, int fd, clock::time_point deadline) {
  auto err = SSL_get_error(s, ret);
  if (err == SSL_ERROR_WANT_READ) return wait_fd(fd, POLLIN, deadline);
  if (err == SSL_ERROR_WANT_WRITE) return wait_fd(fd, POLLOUT, deadline);
  return false;
}
}  // namespace

void conn::send(std::string_view b) {
  auto deadline = clock::now() + 5000ms;
  while (!b.empty()) {
    if (ssl) {
      auto n = SSL_write(static_cast<SSL*>(ssl), b.data(), static_cast<int>(b.size()));
      if (n > 0) b.remove_prefix(static_cast<std::size_t>(n));
      else if (!tls_retry(static_cast<SSL*>(ssl), n, fd, deadline)) throw std::runtime_error("TLS send failed");
      continue;
    }
    auto n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    b.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string conn::tls_version() const { return ssl ? SSL_get_version(static_cast<SSL*>(ssl)) : ""; }

std::string conn::tls_server_name() const {
  const char* n = ssl ? SSL_get_servername(static_cast<SSL*>(ssl), TLSEXT_NAMETYPE_host_name) : nullptr;
  return n ? n : "";
}

std::string conn::tls_peer_subject() const {
  if (!ssl) return {};
  X509* cert = SSL_get0_peer_certificate(static_cast<SSL*>(ssl));
  if (!cert) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

namespace {
// One read with a deadline: >0 bytes appended, 0 on EOF; throws on timeout.
long read_some(conn& c, std::string& into, clock::time_point deadline) {
  char buf[65536];
  if (c.ssl) {
    auto* s = static_cast<SSL*>(c.ssl);
    for (;;) {
      auto n = SSL_read(s, buf, sizeof buf);
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        return n;
      }
      auto err = SSL_get_error(s, n);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return 0;  // close_notify, EOF, reset
      if (!tls_retry(s, n, c.fd, deadline)) throw std::runtime_error("timed out waiting for data");
    }
  }
  if (!wait_fd(c.fd, POLLIN, deadline)) throw std::runtime_error("timed out waiting for data");
  auto n = ::recv(c.fd, buf, sizeof buf, 0);
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
    if (read_some(*this, pending, deadline) == 0)
      throw std::runtime_error("connection closed before '" + std::string(delim) + "'; got: " + pending);
  }
}

std::string conn::read_exact(std::size_t n, ms timeout) {
  auto deadline = clock::now() + timeout;
  while (pending.size() < n)
    if (read_some(*this, pending, deadline) == 0) throw std::runtime_error("connection closed early");
  auto out = pending.substr(0, n);
  pending.erase(0, n);
  return out;
}

std::string conn::read_to_eof(ms timeout) {
  auto deadline = clock::now() + timeout;
  while (read_some(*this, pending, deadline) > 0) {
  }
  return std::exchange(pending, {});
}

bool conn::closed_within(ms timeout) {
  try {
    auto before = pending.size();
    auto deadline = clock::now() + timeout;
    while (read_some(*this, pending, deadline) > 0) {
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
  a.sin_port = htons(port);  // 0: the kernel picks
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
  start();
}

namespace {
void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Handshake on a non-blocking socket, bounded; the SSL is owned by `c` from here on.
void tls_handshake(conn& c, SSL* s, bool server) {
  // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer that is gone must give an
  // error, not kill the test process (holdon's main ignores SIGPIPE the same way).
  static const bool sigpipe_ignored = (::signal(SIGPIPE, SIG_IGN), true);
  (void)sigpipe_ignored;
  c.ssl = s;
  set_nonblocking(c.fd);
  SSL_set_fd(s, c.fd);
  auto deadline = clock::now() + 5000ms;
  for (;;) {
    auto r = server ? SSL_accept(s) : SSL_connect(s);
    if (r == 1) return;
    if (!tls_retry(s, r, c.fd, deadline)) {
      char err[256];
      ERR_error_string_n(ERR_get_error(), err, sizeof err);
      throw std::runtime_error(std::string("TLS handshake failed: ") + err);
    }
  }
}
}  // namespace

fake_upstream::fake_upstream(script s, upstream_options o) : script_(std::move(s)) {
  port_ = o.port;
  listen_fd_ = listen_loopback(port_);
  if (!o.cert.empty()) {
    auto* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("fake upstream: cannot load " + o.cert);
    tls_ctx_ = ctx;
  }
  start();
}

void fake_upstream::start() {
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
        {
          std::lock_guard fl(fds_m_);
          live_fds_.push_back(fd);
        }
        try {
          if (tls_ctx_) tls_handshake(c, SSL_new(static_cast<SSL_CTX*>(tls_ctx_)), true);
          script_(c);
        } catch (const std::exception&) {
          // The proxy closed on us or a read timed out: the test asserts on the client side.
        }
        std::lock_guard fl(fds_m_);  // before c closes fd: kill() never touches a reused fd
        live_fds_.erase(std::find(live_fds_.begin(), live_fds_.end(), fd));
      });
    }
  });
}

void fake_upstream::stop_accepting() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
}

fake_upstream::~fake_upstream() {
  stop_accepting();
  {
    std::lock_guard l(m_);
    for (auto& w : workers_)
      if (w.joinable()) w.join();
  }
  if (tls_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(tls_ctx_));
}

void fake_upstream::kill() {
  stop_accepting();
  {
    std::lock_guard fl(fds_m_);
    for (int fd : live_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  std::lock_guard l(m_);
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

conn tls_connect_to(std::uint16_t port, const std::string& ca_file, const std::string& sni,
                    const std::string& verify_name, std::string max_version) {
  auto c = connect_to(port);
  auto* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (max_version == "TLSv1.2") SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  if (!verify_name.empty()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  }
  auto* s = SSL_new(ctx);
  SSL_CTX_free(ctx);  // the SSL keeps its own reference
  if (!sni.empty()) SSL_set_tlsext_host_name(s, sni.c_str());
  if (!verify_name.empty()) SSL_set1_host(s, verify_name.c_str());
  tls_handshake(c, s, false);
  return c;
}

}  // namespace wire
