// log: leveled diagnostics to stderr and access lines to stdout. Process-wide level,
// set once at start-up (the only mutable global, written before any thread starts).
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace holdon {

enum class log_level { debug, info, warn, error };

log_level parse_log_level(std::string_view s);  // unknown -> info
void set_log_level(log_level l);
bool log_enabled(log_level l);
void log(log_level l, std::string_view message);  // one write per line
void access_line(std::string_view line);          // stdout, one write per line
// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T06:40:43.123Z" (access log "time").
std::string utc_timestamp(std::chrono::system_clock::time_point t);

}  // namespace holdon
