// http_head: HTTP/1.x messages as holdon relays them. A head is parsed in place: method,
// target, reason and every field are views into one contiguous copy of the raw head, so
// parsing allocates nothing; heads are written back as one flat string. The body framing
// the head implies (none, Content-Length, chunked, until close; RFC 9112 §6) is followed by
// the same parser: body bytes come out as views of the bytes given to put_body, never copied,
// and the relay writes them from the read buffer and consumes them once written. Chunked
// bodies are decoded by Beast's basic_parser (a strict, tested chunk decoder).
//
// The head parser is strict where a proxy must be (RFC 9112): token characters in methods
// and field names, no whitespace before a field's colon, no control characters in values,
// CRLF line ends. A response must have one well-formed Content-Length (or a list of equal
// ones) and chunked last in Transfer-Encoding, else parse_head fails. A request whose framing
// cannot be told is not refused here: request_guard's check_framing is the one place that
// refuses request framing, so that the client's 400 (or 501) never depends on which check
// ran first. Such a request parses, with framing_known() false, and its body cannot be read.
#pragma once
#include <boost/beast/http/basic_parser.hpp>
#include <boost/system/error_code.hpp>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "holdon/header_fields.hpp"

namespace holdon {

struct request_head {
  std::string_view method, target;
  unsigned version = 11;  // 10 or 11
  header_fields fields;
};

struct response_head {
  unsigned status = 0;
  std::string_view reason;
  unsigned version = 11;
  header_fields fields;
};

// One message: its head (parse_head on exactly the raw head bytes, which must outlive the
// views), then its body through put_body: body bytes come out as views of put_body's input in
// body(), which the caller clears once it has written them. Errors are Beast's http::error
// codes (bad_method, bad_field, bad_content_length, bad_chunk, body_limit...).
template <bool isRequest>
class message_parser {
 public:
  using head_type = std::conditional_t<isRequest, request_head, response_head>;
  using error_code = boost::system::error_code;

  message_parser();
  // Reuses the capacity of storage a previous message gave back (no allocation per message).
  message_parser(header_fields&& fields, std::vector<std::string_view>&& body);
  message_parser(message_parser&&) = delete;
  ~message_parser();
  void give_back(header_fields& fields, std::vector<std::string_view>& body);

  void body_limit(std::optional<std::uint64_t> n) { body_limit_ = n; }
  void skip(bool v) { skip_ = v; }  // a response to HEAD: no body, whatever the head says

  // Parses a complete head; `raw` ends with CRLFCRLF (leading empty lines allowed before a
  // request line). Sets up the body framing. Returns the bytes consumed.
  std::size_t parse_head(std::string_view raw, error_code& ec);
  // Body bytes; returns what was consumed (less than given: call again with more appended).
  std::size_t put_body(std::string_view bytes, error_code& ec);
  void put_eof(error_code& ec);  // the connection ended: the end of a close-delimited body
  // A Content-Length body: what is still to come, and bytes relayed without put_body (splice).
  std::uint64_t body_remaining() const { return framing_ == framing::length && !done_ ? remaining_ : 0; }
  void body_moved(std::uint64_t n) {
    remaining_ -= std::min(n, remaining_);
    if (framing_ == framing::length && remaining_ == 0) done_ = true;
  }

  head_type& head() { return head_; }
  const head_type& head() const { return head_; }
  std::vector<std::string_view>& body() { return body_; }
  std::size_t body_bytes() const;  // in body()

  bool is_header_done() const { return header_done_; }
  bool is_done() const { return done_; }
  bool chunked() const { return framing_ == framing::chunked; }
  bool need_eof() const { return framing_ == framing::until_close && !done_; }
  // False for a request head with ambiguous or unsupported framing (Content-Length with
  // Transfer-Encoding, several lengths, a bad length, Transfer-Encoding in HTTP/1.0 or not
  // ending in chunked): check_framing refuses every such head, and put_body fails on it.
  bool framing_known() const { return framing_ != framing::unknown; }
  bool keep_alive() const { return keep_alive_; }
  std::optional<std::uint64_t> content_length() const {  // as the head gave it
    return has_length_ ? std::optional<std::uint64_t>(length_) : std::nullopt;
  }

 private:
  enum class framing { none, length, chunked, until_close, unknown };
  class chunk_decoder;  // Beast's basic_parser in chunked-body state, handing out views
  bool parse_start_line(const char*& p, const char* end, error_code& ec);
  void set_framing(error_code& ec);

  head_type head_;
  std::vector<std::string_view> body_;
  std::optional<std::uint64_t> body_limit_;
  framing framing_ = framing::none;
  std::uint64_t length_ = 0, remaining_ = 0;
  std::unique_ptr<chunk_decoder> chunks_;
  error_code unknown_why_;  // framing::unknown: what put_body reports
  bool header_done_ = false, done_ = false, keep_alive_ = false, skip_ = false, has_length_ = false;
};

using request_parser = message_parser<true>;
using response_parser = message_parser<false>;

// "METHOD TARGET HTTP/1.1\r\n" + fields + "\r\n", appended to out.
void write_request_head(std::string& out, std::string_view method, std::string_view target,
                        const header_fields& f);
// "HTTP/1.1 STATUS REASON\r\n" + fields + "\r\n"; an empty reason becomes the standard one.
void write_response_head(std::string& out, unsigned status, std::string_view reason, const header_fields& f);
void append_fields(std::string& out, const header_fields& f);
// A Content-Length value as RFC 9110 §8.6 has it (digits, no sign, no overflow), or a list of
// equal ones ("5, 5") if list_ok; nullopt if bad. Responses may carry such a list, requests not.
std::optional<std::uint64_t> parse_content_length(std::string_view v, bool list_ok);
// The standard reason phrase, "" for codes without one (never Beast's "<unknown-status>").
std::string_view standard_reason(unsigned status);

}  // namespace holdon
