#include "holdon/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace holdon {
namespace {
std::atomic<log_level> level{log_level::info};

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n <= 0) return;  // a closed stderr must not stop the proxy
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}
}  // namespace

log_level parse_log_level(std::string_view s) {
  if (s == "debug") return log_level::debug;
  if (s == "warn") return log_level::warn;
  if (s == "error") return log_level::error;
  return log_level::info;
}

void set_log_level(log_level l) { level.store(l, std::memory_order_relaxed); }
bool log_enabled(log_level l) { return l >= level.load(std::memory_order_relaxed); }

void log(log_level l, std::string_view message) {
  if (!log_enabled(l)) return;
  std::string s = "holdon: ";
  s += message;
  s += '\n';
  write_all(2, s);
}

void access_line(std::string_view line) {
  std::string s(line);
  s += '\n';
  write_all(1, s);
}

}  // namespace holdon
