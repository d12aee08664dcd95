#include "holdon/http_head.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <algorithm>
#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace holdon {
namespace http = boost::beast::http;

namespace {
// tchar (RFC 9110 §5.6.2): method tokens and field names.
constexpr std::array<bool, 256> tchar_table = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();
inline bool is_tchar(char c) { return tchar_table[static_cast<unsigned char>(c)]; }
// Field values and reason phrases: HTAB, SP, VCHAR, obs-text; no other control character.
inline bool is_text(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
// Request targets: visible characters and obs-text (as Beast), no SP or controls.
inline bool is_target_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Every byte of [p, e) is_text; 16 at a time where SSE2 is there (every x86-64).
inline bool all_text(const char* p, const char* e) {
#if defined(__SSE2__)
  const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
  for (; e - p >= 16; p += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);  // x <= 0x1f
    __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl), _mm_cmpeq_epi8(x, del));
    if (_mm_movemask_epi8(bad)) return false;
  }
#endif
  for (; p < e; ++p)
    if (!is_text(*p)) return false;
  return true;
}

// "HTTP/1.1" -> 11
bool parse_version(const char*& p, const char* end, unsigned& v) {
  if (end - p < 8 || std::string_view(p, 5) != "HTTP/" || !is_digit(p[5]) || p[6] != '.' || !is_digit(p[7]))
    return false;
  v = static_cast<unsigned>((p[5] - '0') * 10 + (p[7] - '0'));
  p += 8;
  return true;
}

bool crlf_at(const char* p, const char* end) { return end - p >= 2 && p[0] == '\r' && p[1] == '\n'; }

bool connection_has(const header_fields& f, std::string_view token) {
  for (const auto& h : f) {
    if (h.kind != field_kind::connection) continue;
    for (auto t : http::token_list{h.value})
      if (iequals_ascii({t.data(), t.size()}, token)) return true;
  }
  return false;
}
}  // namespace

std::optional<std::uint64_t> parse_content_length(std::string_view v, bool list_ok) {
  std::optional<std::uint64_t> result;
  while (true) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < v.size() && is_digit(v[i]); ++i) {
      if (n > (UINT64_MAX - 9) / 10) return std::nullopt;  // overflow
      n = n * 10 + static_cast<std::uint64_t>(v[i] - '0');
    }
    if (i == 0 || (result && *result != n)) return std::nullopt;
    result = n;
    v.remove_prefix(i);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (v.empty()) return result;
    if (v.front() != ',' || !list_ok) return std::nullopt;
    v.remove_prefix(1);
  }
}

// ---------------------------------------------------------------- chunked bodies

// Beast's parser, put into the chunked-body state by a head of its own, decodes the chunks;
// its callbacks hand the data out as views of the input, like every other body.
template <bool isRequest>
class message_parser<isRequest>::chunk_decoder final : public http::basic_parser<false> {
  using bsv = boost::beast::string_view;

 public:
  chunk_decoder(std::vector<std::string_view>& out, std::optional<std::uint64_t> limit) : out_(out) {
    body_limit(limit ? boost::optional<std::uint64_t>(*limit) : boost::none);
    static constexpr std::string_view head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    error_code ec;
    put(boost::asio::const_buffer(head.data(), head.size()), ec);
  }
  std::size_t feed(std::string_view bytes, error_code& ec) {
    eager(true);
    std::size_t used = 0;
    while (used < bytes.size() && !is_done()) {
      auto n = put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
      used += n;
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || n == 0) break;
    }
    return used;
  }

 private:
  void on_request_impl(http::verb, bsv, bsv, int, error_code&) override {}
  void on_response_impl(int, bsv, int, error_code&) override {}
  void on_field_impl(http::field, bsv, bsv, error_code&) override {}  // trailers are not relayed
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(bsv body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, bsv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, bsv body, error_code&) override {
    out_.emplace_back(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  std::vector<std::string_view>& out_;
};

// ---------------------------------------------------------------- message_parser

template <bool isRequest>
message_parser<isRequest>::message_parser(header_fields&& fields, std::vector<std::string_view>&& body)
    : body_(std::move(body)) {
  head_.fields = std::move(fields);
  head_.fields.clear();
  body_.clear();
}

template <bool isRequest>
message_parser<isRequest>::message_parser() = default;

template <bool isRequest>
message_parser<isRequest>::~message_parser() = default;

template <bool isRequest>
void message_parser<isRequest>::give_back(header_fields& fields, std::vector<std::string_view>& body) {
  fields = std::move(head_.fields);
  body = std::move(body_);
}

template <bool isRequest>
bool message_parser<isRequest>::parse_start_line(const char*& p, const char* end, error_code& ec) {
  if constexpr (isRequest) {
    while (crlf_at(p, end)) p += 2;  // empty lines before a request line are tolerated (RFC 9112 §2.2)
    auto m = p;
    while (p < end && is_tchar(*p)) ++p;
    if (p == m || p == end || *p != ' ') return ec = http::error::bad_method, false;
    head_.method = {m, static_cast<std::size_t>(p - m)};
    auto t = ++p;
    while (p < end && is_target_char(*p)) ++p;
    if (p == t || p == end || *p != ' ') return ec = http::error::bad_target, false;
    head_.target = {t, static_cast<std::size_t>(p - t)};
    ++p;
    if (!parse_version(p, end, head_.version)) return ec = http::error::bad_version, false;
  } else {
    if (!parse_version(p, end, head_.version)) return ec = http::error::bad_version, false;
    if (end - p < 5 || p[0] != ' ' || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]) || p[4] != ' ')
      return ec = http::error::bad_status, false;
    head_.status = static_cast<unsigned>((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
    p += 5;
    auto r = p;
    while (p < end && is_text(*p)) ++p;
    head_.reason = {r, static_cast<std::size_t>(p - r)};
  }
  if (!crlf_at(p, end)) return ec = http::error::bad_line_ending, false;
  p += 2;
  return true;
}

template <bool isRequest>
std::size_t message_parser<isRequest>::parse_head(std::string_view raw, error_code& ec) {
  ec = {};
  head_.fields.clear();
  const char* p = raw.data();
  const char* end = p + raw.size();
  if (!parse_start_line(p, end, ec)) return 0;
  while (true) {
    if (crlf_at(p, end)) {
      p += 2;
      break;
    }
    auto n = p;
    // Up to the colon, every byte a tchar: no whitespace between a name and its colon (RFC
    // 9112 §5.1), and a line starting with whitespace (an obs-fold) is refused too.
    p = static_cast<const char*>(std::memchr(p, ':', static_cast<std::size_t>(end - p)));
    if (!p || p == n || !std::all_of(n, p, [](char c) { return is_tchar(c); })) return ec = http::error::bad_field, 0;
    std::string_view name(n, static_cast<std::size_t>(p - n));
    ++p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    auto v = p;
    p = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
    if (!p || !all_text(v, p)) return ec = http::error::bad_value, 0;
    auto ve = p;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) --ve;
    if (!crlf_at(p, end)) return ec = http::error::bad_value, 0;
    p += 2;
    head_.fields.insert(name, {v, static_cast<std::size_t>(ve - v)});
  }
  header_done_ = true;
  set_framing(ec);
  return static_cast<std::size_t>(p - raw.data());
}

namespace {
// What a head's Transfer-Encoding and Content-Length fields say, and the first reason
// (if any) they cannot frame its body (RFC 9112 section 6).
struct framing_fields {
  std::size_t te_fields = 0, cl_fields = 0;
  bool chunked_last = false;  // Transfer-Encoding ends with chunked
  std::optional<std::uint64_t> length;
  boost::system::error_code bad;
};

framing_fields read_framing_fields(const header_fields& f, bool is_request, unsigned version) {
  framing_fields r;
  bool chunked_elsewhere = false;  // something after chunked
  auto refuse = [&](http::error e) {
    if (!r.bad) r.bad = e;
  };
  for (const auto& h : f) {
    if (h.kind == field_kind::transfer_encoding) {
      ++r.te_fields;
      for (auto t : http::token_list{h.value}) {
        if (r.chunked_last) chunked_elsewhere = true;
        r.chunked_last = iequals_ascii({t.data(), t.size()}, "chunked");
      }
    } else if (h.kind == field_kind::content_length) {
      ++r.cl_fields;
      auto n = parse_content_length(h.value, !is_request);
      if (!n || (r.length && *r.length != *n)) refuse(http::error::bad_content_length);
      else r.length = n;
    }
  }
  if (is_request && r.cl_fields > 1) refuse(http::error::bad_content_length);
  if (r.te_fields && r.cl_fields) refuse(http::error::bad_transfer_encoding);
  if (r.te_fields && (chunked_elsewhere || (is_request && version < 11))) refuse(http::error::bad_transfer_encoding);
  if (is_request && r.te_fields && !r.chunked_last) refuse(http::error::bad_transfer_encoding);  // unknowable length
  return r;
}
}  // namespace

template <bool isRequest>
void message_parser<isRequest>::set_framing(error_code& ec) {
  const auto& f = head_.fields;
  bool close = connection_has(f, "close");
  keep_alive_ = head_.version >= 11 ? !close : !close && connection_has(f, "keep-alive");
  bool no_body = false;
  if constexpr (!isRequest) no_body = skip_ || (head_.status >= 100 && head_.status < 200) || head_.status == 204 || head_.status == 304;
  const auto facts = read_framing_fields(f, isRequest, head_.version);
  const auto& length = facts.length;
  if (facts.bad) {
    if constexpr (!isRequest) return static_cast<void>(ec = facts.bad);
    // A request's framing is refused by request_guard (check_framing), with the status and
    // text the client gets. Here the body just cannot be read: put_body fails with that reason.
    framing_ = framing::unknown;
    unknown_why_ = facts.bad;
    keep_alive_ = false;
    return;
  }
  has_length_ = length.has_value();
  if (length) length_ = *length;
  if (no_body) {
    framing_ = framing::none;
  } else if (facts.te_fields) {
    if (facts.chunked_last) {
      framing_ = framing::chunked;
      chunks_ = std::make_unique<chunk_decoder>(body_, body_limit_);
    } else {
      framing_ = framing::until_close;  // a response: its body ends with the connection
    }
  } else if (length) {
    if (body_limit_ && *length > *body_limit_) return static_cast<void>(ec = http::error::body_limit);
    framing_ = *length ? framing::length : framing::none;
    remaining_ = *length;
  } else {
    framing_ = isRequest ? framing::none : framing::until_close;
  }
  if (framing_ == framing::until_close) keep_alive_ = false;
  done_ = framing_ == framing::none;
}

template <bool isRequest>
std::size_t message_parser<isRequest>::put_body(std::string_view bytes, error_code& ec) {
  ec = {};
  if (done_ || bytes.empty()) return 0;
  switch (framing_) {
    case framing::length: {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), remaining_));
      body_.push_back(bytes.substr(0, n));
      remaining_ -= n;
      done_ = remaining_ == 0;
      return n;
    }
    case framing::until_close:
      body_.push_back(bytes);
      return bytes.size();
    case framing::chunked: {
      auto n = chunks_->feed(bytes, ec);
      done_ = !ec && chunks_->is_done();
      return n;
    }
    case framing::unknown:
      ec = unknown_why_;
      break;
    case framing::none:
      break;
  }
  return 0;
}

template <bool isRequest>
void message_parser<isRequest>::put_eof(error_code& ec) {
  ec = {};
  if (framing_ == framing::until_close) done_ = true;
  else if (!done_) ec = http::error::partial_message;
}

template <bool isRequest>
std::size_t message_parser<isRequest>::body_bytes() const {
  std::size_t n = 0;
  for (auto b : body_) n += b.size();
  return n;
}

template class message_parser<true>;
template class message_parser<false>;

}  // namespace holdon
