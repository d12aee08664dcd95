#include "holdon/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>

#include "holdon/client_session.hpp"
#include "holdon/listener.hpp"
#include "holdon/log.hpp"
#include "holdon/worker.hpp"

namespace holdon {

server::server(std::shared_ptr<const config> cfg) : cfg_(std::move(cfg)) {
  stats_.set_routes(cfg_->routes.size());  // before any worker can count
  unsigned n = cfg_->threads ? cfg_->threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<worker>(cfg_, stats_));
  listeners_.resize(n);
  auto tls = std::make_shared<tls_contexts>(*cfg_);  // config_error: a key file or the like
  for (auto& w : workers_) w->tls = tls;
  for (std::size_t a = 0; a < cfg_->listen.size(); ++a) {
    const auto& spec = cfg_->listen[a];
    tcp::endpoint ep(net::ip::make_address(spec.host), spec.port);
    for (unsigned i = 0; i < n; ++i) {
      try {
        auto l = std::make_shared<listener>(*workers_[i], ep, tls->listeners[a].get());
        if (i == 0) ep = l->local_endpoint();  // port 0: the others share the chosen port
        listeners_[i].push_back(std::move(l));
      } catch (const std::exception& e) {
        throw std::runtime_error("cannot listen on " + spec.text() + ": " + e.what());
      }
    }
    endpoints_.push_back(ep);
  }
}

server::~server() {
  stop();
  wait();
}

void server::start() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    for (auto& l : listeners_[i]) l->start();
    threads_.emplace_back([w = workers_[i].get()] {
      auto guard = net::make_work_guard(w->ioc);
      w->start_ticker();
      w->ioc.run();
    });
  }
  for (std::size_t a = 0; a < endpoints_.size(); ++a) {
    const auto& ep = endpoints_[a];
    auto host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    bool https = a < cfg_->listen_tls.size() && cfg_->listen_tls[a].enabled();
    log(log_level::info, std::string("listening on ") + (https ? "https://" : "http://") + host + ":" +
                             std::to_string(ep.port()));
  }
}

void server::stop() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    net::post(workers_[i]->ioc, [this, i] {
      for (auto& l : listeners_[i]) l->stop();
      workers_[i]->pool.clear();
      workers_[i]->stop_ticker();
      workers_[i]->ioc.stop();
    });
  }
}

void server::drain() {
  // Returns once every listener is closed: a connection attempted afterwards is refused.
  std::vector<std::future<void>> done;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    net::post(workers_[i]->ioc, [this, i, p] {
      auto& w = *workers_[i];
      for (auto& l : listeners_[i]) l->stop();
      w.draining = true;
      // on_drain may close (not destroy) a session: copy, the set changes only in destructors.
      std::vector<client_session*> live(w.sessions.begin(), w.sessions.end());
      for (auto* s : live) s->on_drain();
      w.pool.clear();
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
}

void server::reload(std::shared_ptr<const config> next) {
  if (next->listen.size() != cfg_->listen.size() ||
      !std::equal(next->listen.begin(), next->listen.end(), cfg_->listen.begin(),
                  [](const endpoint_spec& a, const endpoint_spec& b) { return a.text() == b.text(); }))
    log(log_level::warn, "reload: listen addresses cannot change while running; keeping the old ones");
  if (next->threads != cfg_->threads) log(log_level::warn, "reload: threads cannot change while running");
  std::vector<std::future<void>> done;
  for (auto& w : workers_) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    net::post(w->ioc, [w = w.get(), next, p] {
      w->set_config(next);
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
  cfg_ = std::move(next);
}

void server::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::vector<tcp::endpoint> server::endpoints() const { return endpoints_; }

std::size_t server::idle_upstream_connections() const {
  std::size_t n = 0;
  for (const auto& w : workers_) n += w->pool.idle();
  return n;
}

}  // namespace holdon
