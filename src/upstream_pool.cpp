#include "holdon/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace holdon {

upstream_pool::upstream_pool(std::size_t upstreams, std::size_t max_idle, std::atomic<std::int64_t>* pooled)
    : idle_(upstreams), next_(upstreams, 0), max_idle_(max_idle), pooled_(pooled) {}

namespace {
// An idle HTTP/1.1 connection must be silent: EOF means the upstream closed it,
// data means it sent something unasked. Either way it is not safe to reuse.
bool still_usable(stream& st) {
  auto& s = st.socket();
  char c;
  auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

std::unique_ptr<upstream_conn> upstream_pool::lease(std::size_t upstream,
                                                    std::chrono::steady_clock::duration max_idle, bool probe) {
  auto& list = idle_.at(upstream);
  auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    auto c = std::move(list.back());  // most recently used first: the warmest
    list.pop_back();
    count(-1);
    if (now - c->idle_since < max_idle && (!probe || still_usable(c->socket))) return c;
    error_code ignored;
    c->socket.close(ignored);
  }
  return nullptr;
}

std::unique_ptr<upstream_conn> upstream_pool::lease(std::size_t upstream, std::size_t server,
                                                    std::chrono::steady_clock::duration max_idle, bool probe) {
  auto& list = idle_.at(upstream);
  auto now = std::chrono::steady_clock::now();
  for (auto i = list.size(); i-- > 0;) {  // most recently used first: the warmest
    if (list[i]->server != server) continue;
    auto c = std::move(list[i]);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    count(-1);
    if (now - c->idle_since < max_idle && (!probe || still_usable(c->socket))) return c;
    error_code ignored;
    c->socket.close(ignored);
  }
  return nullptr;
}

void upstream_pool::release(std::unique_ptr<upstream_conn> c) {
  auto& list = idle_.at(c->upstream);
  if (list.size() >= max_idle_) {  // drop the coldest
    error_code ignored;
    list.front()->socket.close(ignored);
    list.erase(list.begin());
    count(-1);
  }
  c->idle_since = std::chrono::steady_clock::now();
  list.push_back(std::move(c));
  count(1);
}

std::size_t upstream_pool::next_server(std::size_t upstream, std::size_t servers) {
  auto& n = next_.at(upstream);
  auto s = n % servers;
  n = s + 1;
  return s;
}

std::size_t upstream_pool::idle() const {
  std::size_t n = 0;
  for (const auto& l : idle_) n += l.size();
  return n;
}

void upstream_pool::clear() {
  for (auto& l : idle_) {
    count(-static_cast<std::int64_t>(l.size()));
    l.clear();
  }
}

}  // namespace holdon
