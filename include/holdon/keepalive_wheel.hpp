// keepalive_wheel: when each waiting exchange's next keep-alive 102 is due, for one worker.
// (Pure of sockets: unit-tested with a fake client on a bare io_context.)
// A timing wheel of fixed slots: adding a 102 is a push into the slot of its due time, and
// one timer, ticking at the wheel's resolution only while 102s are pending, sends every 102
// of a slot in one wake-up. Thousands of held exchanges thus cost a hundred timer wake-ups a
// second instead of one each per 102. A 102 goes out at the first tick at or after its due
// time (never before), so at most one resolution late. Entries are not removed when an
// exchange ends or re-schedules: each carries the exchange's sequence number, and a stale one
// is dropped when its slot comes round. Used on the worker's thread only.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "holdon/net.hpp"

namespace holdon {

// What the wheel calls when an entry's time has come (an exchange's interim_scheduler, through
// the exchange): the wheel knows nothing else about who waits.
class wheel_client {
 public:
  virtual void on_wheel_due(unsigned seq) = 0;

 protected:
  ~wheel_client() = default;
};

class keepalive_wheel {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t slots = 256;

  explicit keepalive_wheel(net::io_context& ioc) : timer_(ioc), wheel_(slots) {}
  void set_resolution(clock::duration r) {  // (slots are times: only while nothing is pending)
    if (pending_ == 0) resolution_ = r;
  }
  clock::duration resolution() const { return resolution_; }
  void add(std::weak_ptr<wheel_client> client, unsigned seq, clock::time_point due);
  std::size_t pending() const { return pending_; }
  void stop();

 private:
  struct entry {
    std::weak_ptr<wheel_client> client;
    unsigned seq;
    clock::time_point due;
  };
  std::int64_t tick_of(clock::time_point t) const { return t.time_since_epoch() / resolution_; }
  void arm();
  void on_tick();

  net::steady_timer timer_;
  std::vector<std::vector<entry>> wheel_;
  std::vector<entry> firing_;  // the slot being processed (adds may land in it meanwhile)
  clock::duration resolution_ = std::chrono::milliseconds(10);
  std::int64_t done_tick_ = -1;  // every slot up to this tick has been processed
  std::size_t pending_ = 0;
  bool armed_ = false, stopped_ = false;
};

}  // namespace holdon
