// libFuzzer target for the streaming DAV href rewriter (src/href_rewriter.cpp), which eats
// upstream bodies: any split and any bytes must keep the properties below.
// Properties checked on every input:
//  1. with the identity mapping the body passes through byte for byte;
//  2. with a prefixing mapping, the output does not depend on how the body is split into
//     chunks (whole vs. cut at positions taken from the input itself);
//  3. what is held back never exceeds the hold limit (bounded memory).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "holdon/href_rewriter.hpp"

namespace {
constexpr std::size_t hold_limit = 256;

// whole: one feed; otherwise chunks of 1..97 bytes, sizes driven by the seed and the data.
std::string run(std::string_view body, const holdon::href_rewriter::mapper& map, bool whole, unsigned seed) {
  holdon::href_rewriter r(map, hold_limit, 16);
  std::string out;
  std::size_t pos = 0, step = whole ? body.size() : 1 + seed % 7;
  while (pos < body.size()) {
    auto n = std::min(step, body.size() - pos);
    r.feed(body.substr(pos, n), out);
    if (r.held() > hold_limit) std::abort();  // property 3
    pos += n;
    if (!whole) step = 1 + (step * 31 + static_cast<unsigned char>(body[pos - 1])) % 97;
  }
  r.finish(out);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto identity = [](std::string_view s) { return std::string(s); };
  auto prefix = [](std::string_view s) { return "/dav" + std::string(s); };
  if (run(body, identity, false, data[0]) != body) std::abort();                       // property 1
  if (run(body, prefix, false, data[0]) != run(body, prefix, true, 0)) std::abort();  // property 2
  return 0;
}
