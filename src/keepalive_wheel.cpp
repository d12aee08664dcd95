#include "holdon/keepalive_wheel.hpp"

namespace holdon {

void keepalive_wheel::add(std::weak_ptr<wheel_client> client, unsigned seq, clock::time_point due) {
  auto t = tick_of(due);
  // An idle wheel starts from now; an entry due in a slot already gone by (a late wake-up
  // scheduled it in the past) goes in the next slot, not a lap later.
  if (done_tick_ < 0) done_tick_ = tick_of(clock::now()) - 1;
  if (t <= done_tick_) t = done_tick_ + 1;
  wheel_[static_cast<std::size_t>(t) % slots].push_back({std::move(client), seq, due});
  ++pending_;
  arm();
}

void keepalive_wheel::arm() {
  if (armed_ || stopped_ || pending_ == 0) return;
  armed_ = true;
  // A slot is processed once it is over, so that everything in it is due.
  timer_.expires_at(clock::time_point((done_tick_ + 2) * resolution_));
  timer_.async_wait([this](error_code ec) {
    armed_ = false;
    if (!ec) on_tick();
  });
}

void keepalive_wheel::on_tick() {
  auto now = clock::now();
  auto target = tick_of(now) - 1;  // the last slot that is over
  // At most one lap: after a long pause every slot is looked at once.
  if (target - done_tick_ > static_cast<std::int64_t>(slots)) done_tick_ = target - static_cast<std::int64_t>(slots);
  while (done_tick_ < target) {
    ++done_tick_;
    auto& slot = wheel_[static_cast<std::size_t>(done_tick_) % slots];
    if (slot.empty()) continue;
    firing_.swap(slot);
    for (auto& e : firing_) {
      if (e.due > now) {  // a later lap's
        slot.push_back(std::move(e));
        continue;
      }
      --pending_;
      if (auto c = e.client.lock()) c->on_wheel_due(e.seq);
    }
    firing_.clear();
  }
  if (pending_ == 0) done_tick_ = -1;  // idle: the next add starts from its own time
  arm();
}

void keepalive_wheel::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace holdon
