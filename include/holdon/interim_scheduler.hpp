// interim_scheduler: the 1xx path of one exchange, in one place. It knows whether another
// interim may still go to the client (the policy, the cap, and whether the final head was
// chosen: may_forward), when holdon's next 102 is due, and how many went. Once the request is
// forwarded, start() sets the first 102 at first_after; when one is near (the worker's ticker
// calls on_tick), it goes into the worker's keepalive_wheel, which calls back on_due. Each 102
// and each forwarded 1xx is written by the exchange's client_writer. stop(), called by the
// exchange the moment a final head is chosen or it ends, voids whatever is pending: no 1xx
// can follow. A part of the exchange (a value member), on its worker's thread.
#pragma once
#include <chrono>

#include "holdon/interim_policy.hpp"

namespace holdon {

class exchange;

class interim_scheduler {
 public:
  using clock = std::chrono::steady_clock;

  interim_scheduler(exchange& x, const interim_decision& policy) : x_(x), policy_(policy) {}
  void start(clock::time_point forwarded_at);  // the request and its body are forwarded
  bool may_forward(unsigned status) const;     // an upstream 1xx: may it go to the client?
  void forwarded();                            // it went: counted, and the next 102 is pushed back
  void on_tick(clock::time_point now);         // the next 102 is near: into the wheel
  void on_due(unsigned seq);                   // the wheel: send it, if still wanted
  void stop();
  bool stopped() const { return stopped_; }
  unsigned sent() const { return sent_; }              // holdon's and forwarded
  unsigned keepalives() const { return keepalives_; }  // holdon's only

 private:
  void arm(clock::time_point due);

  exchange& x_;
  const interim_decision& policy_;
  unsigned seq_ = 0;          // a 102 in the wheel with another number is void
  bool queued_ = false;       // in the worker's wheel (else on_tick puts it there)
  bool started_ = false;      // the request was forwarded: 102s may be due
  bool stopped_ = false;      // a final head was chosen, or the exchange ended
  clock::time_point due_{};   // the next 102
  unsigned sent_ = 0, keepalives_ = 0;
};

}  // namespace holdon
