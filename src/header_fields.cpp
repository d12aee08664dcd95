#include "holdon/header_fields.hpp"

namespace holdon {

// By length, then by the first (and where needed a later) letter, then one comparison.
field_kind classify_field(std::string_view n) {
  using k = field_kind;
  if (n.size() < 2) return k::other;
  auto lc = [](char c) { return static_cast<char>(c | 0x20); };  // ASCII letters only
  auto is = [&](std::string_view name, k kind) { return iequals_ascii(n, name) ? kind : k::other; };
  char a = lc(n[0]);
  switch (n.size()) {
    case 2: return a == 't' ? is("TE", k::te) : a == 'i' ? is("If", k::if_) : k::other;
    case 3: return a == 'v' ? is("Via", k::via) : k::other;
    case 4: return a == 'h' ? is("Host", k::host) : k::other;
    case 6: return a == 'e' ? is("Expect", k::expect) : k::other;
    case 7: return a == 'u' ? is("Upgrade", k::upgrade) : k::other;
    case 8: return a == 'l' ? is("Location", k::location) : k::other;
    case 10:
      return a == 'c' ? is("Connection", k::connection)
             : a == 'k' ? is("Keep-Alive", k::keep_alive)
             : a == 'u' ? is("User-Agent", k::user_agent) : k::other;
    case 11: return a == 'd' ? is("Destination", k::destination) : k::other;
    case 12: return a == 'c' ? is("Content-Type", k::content_type) : k::other;
    case 14: return a == 'c' ? is("Content-Length", k::content_length) : k::other;
    case 15: return a == 'x' ? is("X-Forwarded-For", k::x_forwarded_for) : k::other;
    case 16:
      if (a == 'p') return is("Proxy-Connection", k::proxy_connection);
      if (a == 'x') return is("X-Forwarded-Host", k::x_forwarded_host);
      if (a == 'c') return lc(n[8]) == 'l' ? is("Content-Location", k::content_location)
                                           : is("Content-Encoding", k::content_encoding);
      return k::other;
    case 17:
      return a == 't' ? is("Transfer-Encoding", k::transfer_encoding)
             : a == 'x' ? is("X-Forwarded-Proto", k::x_forwarded_proto) : k::other;
    default: return k::other;
  }
}

header_fields::const_iterator header_fields::find(std::string_view name) const {
  auto k = classify_field(name);
  return std::find_if(f_.begin(), f_.end(), [&](const header_field& h) { return matches(h, name, k); });
}

std::string_view header_fields::operator[](std::string_view name) const {
  auto it = find(name);
  return it == f_.end() ? std::string_view() : it->value;
}

std::size_t header_fields::count(std::string_view name) const {
  auto k = classify_field(name);
  return static_cast<std::size_t>(
      std::count_if(f_.begin(), f_.end(), [&](const header_field& h) { return matches(h, name, k); }));
}

void header_fields::set(std::string_view name, std::string_view value) {
  erase(name);
  insert(name, value);
}

void header_fields::erase(std::string_view name) {
  auto k = classify_field(name);
  std::erase_if(f_, [&](const header_field& h) { return matches(h, name, k); });
}

std::string_view header_fields::own(std::string s) {
  owned_.push_front(std::move(s));
  return owned_.front();
}

void header_fields::clear() {
  f_.clear();
  owned_.clear();
}

void header_fields::assign(const header_fields& other) {
  f_ = other.f_;
  owned_.clear();
}

}  // namespace holdon
