#include "holdon/header_fields.hpp"

#include <bit>
#include <cstring>

namespace holdon {

namespace {
// A known field name as at most three machine words, compared with one OR and one compare
// each: the letters' case bit is masked (c | 0x20 equals a lowercase letter only for that letter,
// either case), other bytes ('-') compare exactly. Overlapping loads cover any length >= 2.
struct known_name {
  std::uint64_t word[3]{}, mask[3]{};
  std::size_t off[3]{}, size = 0, words = 0, width = 0;
  consteval explicit known_name(std::string_view s) : size(s.size()) {
    width = size >= 8 ? 8 : size >= 4 ? 4 : 2;
    std::size_t offs[3] = {0, size - width, size - width};
    words = 2;
    if (size > 16) offs[1] = 8, words = 3;
    for (std::size_t w = 0; w < words; ++w) {
      off[w] = offs[w];
      for (std::size_t i = 0; i < width; ++i) {
        char c = s[off[w] + i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        auto b = static_cast<std::uint64_t>(static_cast<unsigned char>(letter ? (c | 0x20) : c));
        word[w] |= b << (8 * i);  // little-endian, as the loads below
        if (letter) mask[w] |= std::uint64_t{0x20} << (8 * i);
      }
    }
  }
  bool matches(std::string_view n) const {
    if (n.size() != size) return false;
    for (std::size_t w = 0; w < words; ++w) {
      std::uint64_t v = 0;
      std::memcpy(&v, n.data() + off[w], width);
      if ((v | mask[w]) != word[w]) return false;
    }
    return true;
  }
};
static_assert(std::endian::native == std::endian::little);
}  // namespace

// By length, then by the first (and where needed a later) letter, then one comparison.
field_kind classify_field(std::string_view n) {
  using k = field_kind;
  if (n.size() < 2) return k::other;
  auto lc = [](char c) { return static_cast<char>(c | 0x20); };  // ASCII letters only
  auto is = [&](const known_name& name, k kind) { return name.matches(n) ? kind : k::other; };
  static constexpr known_name te("TE"), if_("If"), via("Via"), host("Host"), expect("Expect"), upgrade("Upgrade"),
      location("Location"), connection("Connection"), keep_alive("Keep-Alive"), user_agent("User-Agent"),
      destination("Destination"), content_type("Content-Type"), content_length("Content-Length"),
      x_forwarded_for("X-Forwarded-For"), proxy_connection("Proxy-Connection"), x_forwarded_host("X-Forwarded-Host"),
      content_location("Content-Location"), content_encoding("Content-Encoding"),
      transfer_encoding("Transfer-Encoding"), x_forwarded_proto("X-Forwarded-Proto");
  char a = lc(n[0]);
  switch (n.size()) {
    case 2: return a == 't' ? is(te, k::te) : a == 'i' ? is(if_, k::if_) : k::other;
    case 3: return a == 'v' ? is(via, k::via) : k::other;
    case 4: return a == 'h' ? is(host, k::host) : k::other;
    case 6: return a == 'e' ? is(expect, k::expect) : k::other;
    case 7: return a == 'u' ? is(upgrade, k::upgrade) : k::other;
    case 8: return a == 'l' ? is(location, k::location) : k::other;
    case 10:
      return a == 'c' ? is(connection, k::connection)
             : a == 'k' ? is(keep_alive, k::keep_alive)
             : a == 'u' ? is(user_agent, k::user_agent) : k::other;
    case 11: return a == 'd' ? is(destination, k::destination) : k::other;
    case 12: return a == 'c' ? is(content_type, k::content_type) : k::other;
    case 14: return a == 'c' ? is(content_length, k::content_length) : k::other;
    case 15: return a == 'x' ? is(x_forwarded_for, k::x_forwarded_for) : k::other;
    case 16:
      if (a == 'p') return is(proxy_connection, k::proxy_connection);
      if (a == 'x') return is(x_forwarded_host, k::x_forwarded_host);
      if (a == 'c') return lc(n[8]) == 'l' ? is(content_location, k::content_location)
                                           : is(content_encoding, k::content_encoding);
      return k::other;
    case 17:
      return a == 't' ? is(transfer_encoding, k::transfer_encoding)
             : a == 'x' ? is(x_forwarded_proto, k::x_forwarded_proto) : k::other;
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
