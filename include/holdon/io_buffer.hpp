// io_buffer: one connection's read buffer: readable bytes [begin, end) of one contiguous
// block. Blocks come from the worker's buffer_pool and go back to it as soon as the buffer is
// empty and released, so idle and waiting connections hold no buffer at all, and a busy
// worker allocates none per request. Used on one worker thread only.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace holdon {

class buffer_pool {
 public:
  static constexpr std::size_t small = 16 * 1024;  // heads and small bodies
  static constexpr std::size_t large = 64 * 1024;  // relaying a body
  static constexpr std::size_t max_eager = 128;    // blocks lent to eager reads at once (2 MiB)
  // `held`, if given, tracks the bytes of the blocks handed out and not yet given back (/metrics).
  explicit buffer_pool(std::size_t keep_per_size = 64, std::atomic<std::int64_t>* held = nullptr)
      : keep_(keep_per_size), held_(held) {}
  std::unique_ptr<char[]> get(std::size_t size);  // size: small, large or any other
  void put(std::unique_ptr<char[]> block, std::size_t size);
  // Eager reads (eager_read.hpp) hold a block while they wait: at most max_eager at once.
  bool lend_eager() {
    if (eager_ == max_eager) return false;
    ++eager_;
    return true;
  }
  void end_eager() { --eager_; }

 private:
  std::size_t keep_;
  std::atomic<std::int64_t>* held_;
  std::size_t eager_ = 0;
  std::vector<std::unique_ptr<char[]>> free_small_, free_large_;
};

class io_buffer {
 public:
  explicit io_buffer(buffer_pool& pool) : pool_(&pool) {}
  ~io_buffer() { drop(); }
  io_buffer(const io_buffer&) = delete;
  io_buffer& operator=(const io_buffer&) = delete;

  std::string_view data() const { return {block_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return cap_; }
  buffer_pool& pool() { return *pool_; }

  // Room for at least `min` more bytes at the end, in a block of at least `block_size` (the
  // readable bytes move to the front, or into a larger block). Returns where to read to and
  // how much fits. Invalidates views of data().
  std::pair<char*, std::size_t> prepare(std::size_t min, std::size_t block_size = buffer_pool::small);
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n);
  // Gives the block back if nothing is buffered (call when nothing reads into it).
  void release();

 private:
  void drop();
  buffer_pool* pool_;
  std::unique_ptr<char[]> block_;
  std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace holdon
