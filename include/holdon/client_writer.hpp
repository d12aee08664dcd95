// client_writer: the only writer of bytes to the client before the final head: holdon's 102s,
// forwarded 1xx and the error responses holdon generates (each straight onto a plain socket
// when nothing is queued: no write operation at all), in FIFO order, one write at a time. So a 102
// never lands inside other bytes. When the queue has drained it runs what the exchange asked
// for next: relay the final response, or end the exchange. A part of the exchange (a value
// member), on its worker's thread.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "holdon/net.hpp"

namespace holdon {

class exchange;

class client_writer {
 public:
  enum class then { nothing, relay_response, finish_keep, finish_close };

  explicit client_writer(exchange& x) : x_(x) {}
  void write(std::string bytes);
  void send_102();
  void after_drain(then t);  // at once when nothing is being written

 private:
  struct queued {
    std::string owned;
    bool is_102;
    std::string_view bytes() const;
  };
  std::size_t send_now(std::string_view bytes);
  void do_write();
  void on_write(error_code ec, std::size_t n);
  void run_then();

  exchange& x_;
  std::vector<queued> queue_;  // rarely more than one: a vector allocates nothing until used
  bool writing_ = false;
  then then_ = then::nothing;
};

}  // namespace holdon
