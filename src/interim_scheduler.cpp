#include "holdon/interim_scheduler.hpp"

#include "holdon/exchange.hpp"
#include "holdon/worker.hpp"

namespace holdon {

void interim_scheduler::start(clock::time_point forwarded_at) {
  if (stopped_) return;
  started_ = true;
  arm(forwarded_at + policy_.first_after);
}

bool interim_scheduler::may_forward(unsigned status) const {
  if (stopped_) return false;
  // The 100 the client asked for is its due, not an unsolicited interim: no policy, no cap.
  if (status == 100 && policy_.forward_continue) return true;
  return policy_.forward_interims && sent_ < policy_.cap;
}

void interim_scheduler::forwarded() {
  ++sent_;
  x_.home().stats.interims_forwarded.fetch_add(1, std::memory_order_relaxed);
  // The client just heard from us: the next 102 is an interval from now (no doubled 102s).
  if (started_) arm(clock::now() + policy_.every);
}

void interim_scheduler::on_tick(clock::time_point now) {
  if (started_ && !stopped_ && !queued_ && due_ - now <= x_.home().tick) arm(due_);
}

// Records when the next 102 is due and, once it is near (within a tick: on_tick calls again),
// puts it in the worker's wheel. An exchange that finishes quickly never does.
void interim_scheduler::arm(clock::time_point due) {
  due_ = due;
  unsigned seq = ++seq_;  // voids what is in the wheel
  queued_ = false;
  if (!policy_.keepalive || stopped_ || sent_ >= policy_.cap) return;
  auto now = clock::now();
  // first_after 0: the first 102 goes out now, not after a race with the response.
  if (keepalives_ == 0 && due <= now) return on_due(seq);
  if (keepalives_ == 0 && due - now > x_.home().tick) return;
  queued_ = true;
  x_.home().keepalives.add(x_.as_wheel_client(), seq, due);
}

void interim_scheduler::on_due(unsigned seq) {
  if (seq != seq_) return;  // superseded, or stopped
  queued_ = false;
  if (stopped_ || sent_ >= policy_.cap) return;
  ++sent_;
  ++keepalives_;
  x_.home().stats.keepalive_sent.fetch_add(1, std::memory_order_relaxed);
  x_.writer().send_102();
  // From the due time, not from now: a late wake-up must not push every later 102 back.
  if (!stopped_) arm(due_ + policy_.every);
}

void interim_scheduler::stop() {
  stopped_ = true;
  ++seq_;
  queued_ = false;
}

}  // namespace holdon
