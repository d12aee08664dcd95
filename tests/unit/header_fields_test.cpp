// Unit tests for header_fields' recognition of the names holdon acts on (classify_field):
// every known name in any case, and nothing else, whatever byte differs.
#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "holdon/header_fields.hpp"

using namespace holdon;

namespace {
const std::vector<std::pair<std::string, field_kind>> known = {
    {"TE", field_kind::te},
    {"If", field_kind::if_},
    {"Via", field_kind::via},
    {"Host", field_kind::host},
    {"Expect", field_kind::expect},
    {"Upgrade", field_kind::upgrade},
    {"Location", field_kind::location},
    {"Connection", field_kind::connection},
    {"Keep-Alive", field_kind::keep_alive},
    {"User-Agent", field_kind::user_agent},
    {"Destination", field_kind::destination},
    {"Content-Type", field_kind::content_type},
    {"Content-Length", field_kind::content_length},
    {"X-Forwarded-For", field_kind::x_forwarded_for},
    {"Proxy-Connection", field_kind::proxy_connection},
    {"X-Forwarded-Host", field_kind::x_forwarded_host},
    {"Content-Location", field_kind::content_location},
    {"Content-Encoding", field_kind::content_encoding},
    {"Transfer-Encoding", field_kind::transfer_encoding},
    {"X-Forwarded-Proto", field_kind::x_forwarded_proto},
};

std::string mapped(std::string s, int (*f)(int)) {
  for (auto& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

TEST_CASE("classify_field: every known name, in any case") {
  for (const auto& [name, kind] : known) {
    CAPTURE(name);
    CHECK(classify_field(name) == kind);
    CHECK(classify_field(mapped(name, ::tolower)) == kind);
    CHECK(classify_field(mapped(name, ::toupper)) == kind);
  }
}

TEST_CASE("classify_field: one byte off anywhere, one byte more or less: not that field") {
  for (const auto& [name, kind] : known) {
    for (std::size_t i = 0; i < name.size(); ++i) {
      bool letter = std::isalpha(static_cast<unsigned char>(name[i])) != 0;
      // A letter changed; '-' turned into its case-bit twin (CR), '_' or a space.
      std::vector<char> others = letter ? std::vector<char>{static_cast<char>(name[i] + 1), '-', '\r'}
                                        : std::vector<char>{'\r', '_', ' ', 'm'};
      for (char c : others) {
        auto off = name;
        off[i] = c;
        CAPTURE(off);
        CHECK(classify_field(off) != kind);
      }
    }
    CHECK(classify_field(name + "s") == field_kind::other);
    CHECK(classify_field(name.substr(1)) != kind);
  }
  CHECK(classify_field("") == field_kind::other);
  CHECK(classify_field("X") == field_kind::other);
  CHECK(classify_field("Server") == field_kind::other);
}
