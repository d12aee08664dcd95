// scratch: the containers one request or one exchange fills (fields, heads, gather lists),
// recycled through its worker: taken when they are first needed, given back cleared (capacity
// kept) as soon as they are not. A busy worker allocates none of them per request, an idle
// connection holds none, and an exchange waiting for its upstream holds only the client's
// request (its log line and final head still read it).
#pragma once
#include <boost/asio/buffer.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/http_head.hpp"

namespace holdon {

struct request_scratch {  // the client's request: its raw head and what its parser fills
  std::string head_raw;
  header_fields fields;
  std::vector<std::string_view> body;
  void clear() {
    head_raw.clear();
    fields.clear();
    body.clear();
  }
};

// The request as the upstream gets it: held from the head's rewrite until the request is
// forwarded and can no longer be sent again (a held exchange keeps none of it while it waits).
struct upstream_request_scratch {
  header_fields fields;
  std::string head;
  std::vector<boost::asio::const_buffer> out;  // gather list of a body write
  void clear() {
    fields.clear();
    head.clear();
    out.clear();
  }
};

// The response: held from its first head until the exchange ends.
struct response_scratch {
  header_fields response_fields, client_fields;
  std::vector<std::string_view> response_body;
  std::string response_raw, client_head;
  std::vector<boost::asio::const_buffer> out;  // gather list of a write to the client
  void clear() {
    response_fields.clear();
    client_fields.clear();
    response_body.clear();
    response_raw.clear();
    client_head.clear();
    out.clear();
  }
};

template <class T>
class recycler {
 public:
  explicit recycler(std::size_t keep = 256) : keep_(keep) {}
  std::unique_ptr<T> get() {
    if (free_.empty()) return std::make_unique<T>();
    auto t = std::move(free_.back());
    free_.pop_back();
    return t;
  }
  void put(std::unique_ptr<T> t) {
    if (!t || free_.size() >= keep_) return;
    t->clear();
    free_.push_back(std::move(t));
  }

 private:
  std::size_t keep_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace holdon
