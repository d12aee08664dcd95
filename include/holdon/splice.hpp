// splice: moving a body between two plain TCP sockets through a pipe with splice(2), so that
// its bytes never enter user space: relaying a large body costs two copies less (the kernel
// moves page references from one socket to the other). Used for Content-Length bodies when
// neither side speaks TLS and holdon does not rewrite the body. Pipes are pooled per worker.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "holdon/net.hpp"

namespace holdon {

struct pipe_pair {
  int r = -1, w = -1;
  explicit operator bool() const { return r >= 0; }
};

class pipe_pool {
 public:
  ~pipe_pool();
  pipe_pair get(error_code& ec);           // a pooled empty pipe, or a new one
  void put(pipe_pair p, bool empty);       // back to the pool if empty, else closed
  static void close(pipe_pair& p);

 private:
  std::vector<pipe_pair> free_;
};

// One leg of a spliced body: `left` bytes still to come from `from`, `in_pipe` bytes in the
// pipe on their way to `to`.
struct splice_leg {
  int from = -1, to = -1;
  pipe_pair pipe;
  std::uint64_t left = 0;
  std::size_t in_pipe = 0;
};

// yield: the budget is used up, more can move at once (run again after the others).
enum class splice_status { done, yield, wait_readable, wait_writable, eof, read_error, write_error };

// Moves as much as the sockets take now, at most `budget` bytes (so that one fast body does
// not starve the worker's other connections); `moved_in` / `moved_out` count bytes read from
// `from` and written to `to` by this call. errno is kept for the error statuses.
splice_status splice_step(splice_leg& leg, std::uint64_t budget, std::uint64_t& moved_in,
                          std::uint64_t& moved_out);

}  // namespace holdon
