// Fuzz target: configuration loading. Any input must either parse into a config or throw
// config_error (naming a line); never crash, hang or throw anything else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "holdon/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = holdon::parse_config(text, "fuzz");
    // What the data path relies on: every route points at an existing upstream with servers.
    for (const auto& r : c.routes)
      if (r.upstream_index >= c.upstreams.size() || c.upstreams[r.upstream_index].servers.empty()) std::abort();
    if (c.listen.empty()) std::abort();
  } catch (const holdon::config_error&) {
  }
  return 0;
}
