// eager_read: a read armed where a readability wait would do, on a plain TCP socket whose
// next bytes are due soon: a keep-alive client between requests, a reused upstream connection
// waiting for its response. Asio (1.81) re-registers the socket with epoll (an epoll_ctl) for
// every readability wait; a read it tries at once instead, and queues without any epoll_ctl
// when nothing is there yet. On a busy keep-alive connection the next request or response is
// usually there already, so the read that arms it is the read that gets it: under load a
// proxied request costs two system calls fewer (strace, wrk -c50: 6.0 -> 4.1 a request). The
// price is a read block held while it waits, so the worker's buffer_pool lends only a few
// (lend_eager), and the ticker demotes a read still pending at its next pass (on_tick cancels
// it): its owner then gives the block back and waits for readability instead. Not for waits
// that last (an upstream's 102 every second): there a read tried at once only finds the socket
// empty, and on this project's VM it met the sender's softirq on the socket lock. A member of
// its owner (a client_session, a response_relay), on its worker's thread; the owner's handler
// keeps the owner, and so this, alive.
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>

#include "holdon/io_buffer.hpp"
#include "holdon/net.hpp"

namespace holdon {

class eager_read {
 public:
  // Reads at most `max` bytes into `b` with `h(ec, n)` as the handler, if the pool lends a
  // block; false: not armed (the caller waits instead).
  template <class Handler>
  bool start(tcp::socket& s, io_buffer& b, std::size_t max, Handler&& h) {
    if (!b.pool().lend_eager()) return false;
    pool_ = &b.pool();
    pending_ = true;
    demoted_ = false;
    auto [data, size] = b.prepare(1);
    s.async_read_some(net::buffer(data, std::min(size, max)),
                      [this, h = std::forward<Handler>(h)](error_code ec, std::size_t n) mutable {
                        pending_ = false;
                        pool_->end_eager();
                        h(ec, n);
                      });
    return true;
  }
  // The ticker's pass: a read still pending is cancelled. Only for a socket on which nothing
  // else is pending (cancel aborts every operation on it).
  void on_tick(tcp::socket& s) {
    if (!pending_ || demoted_) return;
    demoted_ = true;
    error_code ignored;
    s.cancel(ignored);
  }
  // In the handler: the read was demoted (give the block back, wait for readability instead).
  bool demoted(error_code ec) const { return demoted_ && ec == net::error::operation_aborted; }

 private:
  buffer_pool* pool_ = nullptr;
  bool pending_ = false;
  bool demoted_ = false;
};

}  // namespace holdon
