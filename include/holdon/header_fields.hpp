// header_fields: the fields of one HTTP/1.x head, in order, as views (into a raw head, a
// longer-lived string, or strings the fields own), with the names holdon acts on recognised
// once (field_kind) so that finding or dropping them compares a byte, not a name. Used by the
// head parser (http_head) and the header rewrites; no I/O, no Beast.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

namespace holdon {

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

// The field names holdon looks at, recognised once when a field is added, so that finding
// or dropping them compares a byte instead of a name.
enum class field_kind : std::uint8_t {
  other, connection, keep_alive, proxy_connection, te, transfer_encoding, upgrade,
  content_length, host, via, x_forwarded_for, x_forwarded_proto, x_forwarded_host,
  user_agent, expect, destination, if_, location, content_location, content_type, content_encoding
};
field_kind classify_field(std::string_view name);

struct header_field {
  std::string_view name, value;
  field_kind kind = field_kind::other;
};

// Ordered fields with Beast's semantics for what holdon does to them: insert appends, set
// replaces every field of that name by one at the end, erase removes them all; names compare
// case-insensitively. Values are views (into a raw head, a longer-lived string, or own()).
class header_fields {
 public:
  header_fields() = default;
  header_fields(header_fields&&) = default;
  header_fields& operator=(header_fields&&) = default;
  header_fields(const header_fields&) = delete;  // views into owned_: copy with assign()
  header_fields& operator=(const header_fields&) = delete;

  using const_iterator = std::vector<header_field>::const_iterator;
  const_iterator begin() const { return f_.begin(); }
  const_iterator end() const { return f_.end(); }
  std::size_t size() const { return f_.size(); }
  bool empty() const { return f_.empty(); }

  const_iterator find(std::string_view name) const;
  std::string_view operator[](std::string_view name) const;  // the first value, "" if none
  std::size_t count(std::string_view name) const;
  // The same for a known field (no name comparison at all).
  const_iterator find(field_kind k) const {
    return std::find_if(f_.begin(), f_.end(), [k](const header_field& h) { return h.kind == k; });
  }
  std::string_view operator[](field_kind k) const {
    auto it = find(k);
    return it == f_.end() ? std::string_view() : it->value;
  }
  std::size_t count(field_kind k) const {
    return static_cast<std::size_t>(std::count_if(f_.begin(), f_.end(), [k](const header_field& h) { return h.kind == k; }));
  }
  void insert(std::string_view name, std::string_view value) { f_.push_back({name, value, classify_field(name)}); }
  void insert(const header_field& f) { f_.push_back(f); }
  void set(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  template <class Pred>
  void erase_if(Pred p) {  // keeps the others in order
    std::erase_if(f_, p);
  }
  // Keeps `s` alive as long as these fields (until clear): for values made while rewriting.
  std::string_view own(std::string s);
  void clear();
  void assign(const header_fields& other);  // the same views (not the owned strings' storage)

 private:
  bool matches(const header_field& h, std::string_view name, field_kind k) const {
    return k != field_kind::other ? h.kind == k : iequals_ascii(h.name, name);
  }
  std::vector<header_field> f_;
  std::forward_list<std::string> owned_;  // a node each: adding one never moves the others
};

}  // namespace holdon
