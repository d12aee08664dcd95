#include "holdon/admin.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "holdon/log.hpp"

namespace holdon {
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {
constexpr auto probe_cache = 1s;      // /readyz at most one probe round per second
constexpr auto probe_timeout = 1s;    // a server that does not accept within this is down
constexpr auto request_timeout = 5s;  // a slow admin client is dropped
}  // namespace

// One admin connection: read one request, answer it, close.
class admin_session : public std::enable_shared_from_this<admin_session> {
 public:
  admin_session(admin& a, tcp::socket s) : a_(a), socket_(std::move(s)), timer_(socket_.get_executor()) {}

  void start() {
    timer_.expires_after(request_timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    parser_.header_limit(8192);
    parser_.body_limit(0);
    http::async_read(socket_, buffer_, parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

 private:
  void on_read(error_code ec) {
    if (ec) return close();
    const auto& req = parser_.get();
    head_ = req.method() == http::verb::head;
    auto target = std::string_view(req.target());
    target = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && !head_) return reply(http::status::method_not_allowed, "use GET\n");
    if (target == "/healthz") return reply(http::status::ok, "ok\n");
    if (target == "/metrics") {
      return a_.probe_upstreams([self = shared_from_this()](bool reachable) {
        bool ready = reachable && !self->a_.draining_.load(std::memory_order_relaxed);
        self->reply(http::status::ok, render_prometheus(self->a_.stats_, self->a_.route_labels_, ready),
                    "text/plain; version=0.0.4; charset=utf-8");
      });
    }
    if (target == "/readyz") {
      if (a_.draining_.load(std::memory_order_relaxed))
        return reply(http::status::service_unavailable, "draining\n");
      return a_.probe_upstreams([self = shared_from_this()](bool reachable) {
        if (self->a_.draining_.load(std::memory_order_relaxed))
          return self->reply(http::status::service_unavailable, "draining\n");
        if (reachable) return self->reply(http::status::ok, "ready\n");
        self->reply(http::status::service_unavailable, "no upstream reachable\n");
      });
    }
    reply(http::status::not_found, "not found: /healthz, /readyz, /metrics\n");
  }

  void reply(http::status st, std::string body, const char* type = "text/plain; charset=utf-8") {
    res_.result(st);
    res_.version(11);
    res_.set(http::field::content_type, type);
    res_.set(http::field::cache_control, "no-store");
    res_.keep_alive(false);
    res_.body() = std::move(body);
    res_.prepare_payload();
    if (head_) res_.body().clear();  // Content-Length stays that of the GET
    http::async_write(socket_, res_, [self = shared_from_this()](error_code, std::size_t) { self->close(); });
  }

  void close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

  admin& a_;
  tcp::socket socket_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> res_;
  bool head_ = false;
};

// One probe round: a TCP connect to every server of every upstream at once; the first
// success, all failures or the timeout ends it.
struct admin::probe_run : std::enable_shared_from_this<probe_run> {
  explicit probe_run(admin& a) : a(a), timer(a.ioc_) {}
  admin& a;
  net::steady_timer timer;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  std::vector<std::unique_ptr<tcp::resolver>> resolvers;
  std::size_t pending = 0;
  bool done = false;

  void start() {
    timer.expires_after(probe_timeout);
    timer.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->end(false);
    });
    for (const auto& u : a.cfg_->upstreams)
      for (const auto& s : u.servers) connect(s);
    if (pending == 0) end(false);
  }

  void connect(const endpoint_spec& s) {
    ++pending;
    auto& sock = *sockets.emplace_back(std::make_unique<tcp::socket>(a.ioc_));
    error_code ec;
    auto addr = net::ip::make_address(s.host, ec);
    if (!ec) {
      sock.async_connect(tcp::endpoint(addr, s.port), [self = shared_from_this()](error_code e) { self->one(!e); });
      return;
    }
    auto& r = *resolvers.emplace_back(std::make_unique<tcp::resolver>(a.ioc_));
    r.async_resolve(s.host, std::to_string(s.port),
                    [self = shared_from_this(), &sock](error_code e, tcp::resolver::results_type rs) {
                      if (e) return self->one(false);
                      net::async_connect(sock, rs, [self](error_code e2, const tcp::endpoint&) { self->one(!e2); });
                    });
  }

  void one(bool ok) {
    --pending;
    if (ok) return end(true);
    if (pending == 0) end(false);
  }

  void end(bool reachable) {
    if (done) return;
    done = true;
    timer.cancel();
    error_code ignored;
    for (auto& r : resolvers) r->cancel();
    for (auto& s : sockets) s->close(ignored);
    a.finish_probe(reachable);
  }
};

admin::admin(std::shared_ptr<const config> cfg, metrics& m)
    : cfg_(std::move(cfg)), stats_(m), acceptor_(ioc_) {
  for (const auto& r : cfg_->routes) route_labels_.push_back(r.path_prefix);
  const auto& spec = *cfg_->admin.listen;
  try {
    tcp::endpoint ep(net::ip::make_address(spec.host), spec.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    endpoint_ = acceptor_.local_endpoint();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on admin address " + spec.text() + ": " + e.what());
  }
}

admin::~admin() {
  stop();
  wait();
}

void admin::start() {
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
  auto host = endpoint_.address().is_v6() ? "[" + endpoint_.address().to_string() + "]" : endpoint_.address().to_string();
  log(log_level::info, "admin on http://" + host + ":" + std::to_string(endpoint_.port()) +
                           " (/healthz /readyz /metrics)");
}

void admin::stop() {
  net::post(ioc_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
    ioc_.stop();
  });
}

void admin::wait() {
  if (thread_.joinable()) thread_.join();
}

void admin::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket s) {
    if (!acceptor_.is_open()) return;
    if (!ec) std::make_shared<admin_session>(*this, std::move(s))->start();
    do_accept();
  });
}

void admin::probe_upstreams(std::function<void(bool)> done) {
  if (probed_ && std::chrono::steady_clock::now() - probed_at_ < probe_cache) return done(reachable_);
  waiters_.push_back(std::move(done));
  if (waiters_.size() == 1) std::make_shared<probe_run>(*this)->start();
}

void admin::finish_probe(bool reachable) {
  probed_ = true;
  reachable_ = reachable;
  probed_at_ = std::chrono::steady_clock::now();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w(reachable);
}

}  // namespace holdon
