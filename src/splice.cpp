#include "holdon/splice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace holdon {

pipe_pool::~pipe_pool() {
  for (auto& p : free_) close(p);
}

pipe_pair pipe_pool::get(error_code& ec) {
  if (!free_.empty()) {
    auto p = free_.back();
    free_.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    ec = error_code(errno, boost::system::system_category());
    return {};
  }
  // 1 MiB instead of 64 KiB: a sixteenth of the splice calls and wake-ups per body. Its pages
  // are taken only while bytes sit in it. Refused (pipe-user-pages limits): the default stays.
  ::fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
  return {fds[0], fds[1]};
}

void pipe_pool::put(pipe_pair p, bool empty) {
  if (!p) return;
  if (empty && free_.size() < 64) free_.push_back(p);
  else close(p);
}

void pipe_pool::close(pipe_pair& p) {
  if (p.r >= 0) ::close(p.r);
  if (p.w >= 0) ::close(p.w);
  p = {};
}

splice_status splice_step(splice_leg& leg, std::uint64_t budget, std::uint64_t& moved_in,
                          std::uint64_t& moved_out) {
  moved_in = moved_out = 0;
  constexpr unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
  while (moved_out < budget) {
    if (leg.in_pipe > 0) {  // drain the pipe first: it is never more than one fill ahead
      auto n = ::splice(leg.pipe.r, nullptr, leg.to, nullptr, leg.in_pipe, flags);
      if (n > 0) {
        leg.in_pipe -= static_cast<std::size_t>(n);
        moved_out += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return splice_status::wait_writable;
      return splice_status::write_error;
    }
    if (leg.left == 0) return splice_status::done;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(leg.left, 1u << 20));
    auto n = ::splice(leg.from, nullptr, leg.pipe.w, nullptr, want, flags);
    if (n > 0) {
      leg.left -= static_cast<std::uint64_t>(n);
      leg.in_pipe += static_cast<std::size_t>(n);
      moved_in += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) return splice_status::eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return splice_status::wait_readable;  // the pipe is empty
    return splice_status::read_error;
  }
  return leg.in_pipe == 0 && leg.left == 0 ? splice_status::done : splice_status::yield;
}

}  // namespace holdon
