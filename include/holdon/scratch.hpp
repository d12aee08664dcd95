// scratch: the containers one request or one exchange fills (fields, heads, gather lists),
// recycled through its worker: taken when a request arrives, given back cleared (capacity
// kept) when it is done. A busy worker allocates none of them per request, and an idle
// connection holds none.
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

struct exchange_scratch {  // the heads and gather lists of one exchange
  header_fields up_fields, client_fields, response_fields;
  std::vector<std::string_view> response_body;
  std::string up_head, client_head, response_raw;
  std::vector<boost::asio::const_buffer> out, up_out;
  void clear() {
    up_fields.clear();
    client_fields.clear();
    response_fields.clear();
    response_body.clear();
    up_head.clear();
    client_head.clear();
    response_raw.clear();
    out.clear();
    up_out.clear();
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
