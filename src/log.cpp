#include "holdon/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
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

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return b;
}

}  // namespace holdon
