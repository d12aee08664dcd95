// floor_relay - the floor of the benchmarks: the least a proxy can spend moving these bytes.
//   build/bench/floor_relay --port LISTEN --upstream PORT      (both on 127.0.0.1)
// One thread, one epoll set, level-triggered. Each accepted client connection gets its own
// upstream connection at once (non-blocking connect, no parsing, no pooling); bytes go both
// ways unchanged until each side has sent its FIN, then both sockets close. A direction starts
// with read()/write() through a 16 KiB buffer; once a read fills that buffer it is a big body,
// and the direction moves to splice() through a pipe of its own (1 MiB), so big transfers
// never cross user space. Not a proxy: no HTTP, no timeouts, no limits; loopback only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kBuffer = 16 * 1024;
constexpr size_t kPipe = 1024 * 1024;

struct conn;

// One direction: bytes read from `src`, written to `dst`.
struct direction {
  int src = -1, dst = -1;
  char buf[kBuffer];
  size_t len = 0, off = 0;  // buffered bytes not yet written: buf[off, len)
  int pipe_fd[2] = {-1, -1};
  size_t in_pipe = 0;  // spliced in, not yet out
  bool eof = false;    // src sent its FIN and everything was passed on (dst shut for writing)
  bool pending() const { return off < len || in_pipe > 0; }
};

// One socket's registration: which directions read from it and write to it.
struct end {
  conn* c;
  int fd;
  unsigned events = 0;  // registered with epoll
};

struct conn {
  direction up, down;  // up: client -> upstream; down: upstream -> client
  end client, upstream;
  bool dead = false;
};

int ep = -1;
std::vector<conn*> graveyard;  // closed during this batch of events; freed after it

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void set_nodelay_nonblock(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void close_conn(conn* c) {
  if (c->dead) return;
  c->dead = true;
  for (direction* d : {&c->up, &c->down})
    for (int& p : d->pipe_fd)
      if (p >= 0) close(p);
  close(c->client.fd);  // closing removes them from the epoll set
  close(c->upstream.fd);
  graveyard.push_back(c);
}

// Writes what the direction holds; false: dst is full (wait for EPOLLOUT) or failed.
bool flush(direction& d, bool& failed) {
  while (d.off < d.len) {
    ssize_t n = write(d.dst, d.buf + d.off, d.len - d.off);
    if (n < 0) {
      failed = errno != EAGAIN && errno != EINTR;
      return false;
    }
    d.off += static_cast<size_t>(n);
  }
  d.off = d.len = 0;
  while (d.in_pipe > 0) {
    ssize_t n = splice(d.pipe_fd[0], nullptr, d.dst, nullptr, d.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) {
      failed = errno != EAGAIN && errno != EINTR;
      return false;
    }
    d.in_pipe -= static_cast<size_t>(n);
  }
  return true;
}

// Reads once from src; returns bytes read, 0 at FIN, -1 when nothing is there (or failed).
ssize_t fill(direction& d, bool& failed) {
  ssize_t n;
  if (d.pipe_fd[0] >= 0) {
    n = splice(d.src, nullptr, d.pipe_fd[1], nullptr, kPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) d.in_pipe = static_cast<size_t>(n);
  } else {
    n = read(d.src, d.buf, kBuffer);
    if (n > 0) d.len = static_cast<size_t>(n);
    if (n == static_cast<ssize_t>(kBuffer) && pipe2(d.pipe_fd, O_NONBLOCK) == 0)
      fcntl(d.pipe_fd[0], F_SETPIPE_SZ, static_cast<int>(kPipe));  // a big body: splice from now on
  }
  if (n < 0) failed = errno != EAGAIN && errno != EINTR;
  return n;
}

// Moves what can move now; returns false when the connection failed. Level-triggered: a
// short read means the socket is drained for now, so no read is spent learning EAGAIN.
bool pump(direction& d) {
  bool failed = false;
  while (!d.eof) {
    if (d.pending() && !flush(d, failed)) return !failed;
    ssize_t n = fill(d, failed);
    if (n == 0) {
      d.eof = true;
      shutdown(d.dst, SHUT_WR);
    }
    if (n < 0) return !failed;
    bool short_read = static_cast<size_t>(n) < (d.pipe_fd[0] >= 0 ? kPipe : kBuffer);
    if (short_read && d.pending()) return flush(d, failed) || !failed;
    if (short_read) return true;
  }
  return true;
}

// What `e`'s socket waits for: readable when a direction reads from it and holds nothing,
// writable when a direction writes to it and holds bytes.
void watch(end& e, const direction& reads, const direction& writes) {
  unsigned want = 0;
  if (!reads.eof && !reads.pending()) want |= EPOLLIN;
  if (writes.pending()) want |= EPOLLOUT;
  if (want == e.events) return;
  epoll_event ev{};
  ev.events = e.events = want;
  ev.data.ptr = &e;
  epoll_ctl(ep, EPOLL_CTL_MOD, e.fd, &ev);
}

void serve(conn* c) {
  if (!pump(c->up) || !pump(c->down)) return close_conn(c);
  if (c->up.eof && c->down.eof) return close_conn(c);
  watch(c->client, c->up, c->down);
  watch(c->upstream, c->down, c->up);
}

void accept_all(int lfd, const sockaddr_in& upstream) {
  for (;;) {
    int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
    if (cfd < 0) return;
    int ufd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (ufd < 0 || (connect(ufd, reinterpret_cast<const sockaddr*>(&upstream), sizeof upstream) < 0 &&
                    errno != EINPROGRESS)) {
      close(cfd);
      if (ufd >= 0) close(ufd);
      continue;
    }
    set_nodelay_nonblock(cfd);
    set_nodelay_nonblock(ufd);
    auto* c = new conn;
    c->up.src = c->down.dst = cfd;
    c->up.dst = c->down.src = ufd;
    c->client = {c, cfd};
    c->upstream = {c, ufd};
    for (end* e : {&c->client, &c->upstream}) {
      epoll_event ev{};  // registered waiting for nothing; watch() says what for
      ev.data.ptr = e;
      epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev);
    }
    serve(c);
  }
}

int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 4096) < 0) die("listen");
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, up = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port") port = std::atoi(argv[i + 1]);
    else if (k == "--upstream") up = std::atoi(argv[i + 1]);
  }
  if (port <= 0 || up <= 0) {
    std::fprintf(stderr, "usage: floor_relay --port LISTEN --upstream PORT\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  sockaddr_in upstream{};
  upstream.sin_family = AF_INET;
  upstream.sin_port = htons(static_cast<uint16_t>(up));
  upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int lfd = listen_on(port);
  ep = epoll_create1(0);
  end listener{nullptr, lfd};
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = &listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  std::printf("floor_relay listening on http://127.0.0.1:%d -> 127.0.0.1:%d\n", port, up);
  std::fflush(stdout);
  epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      auto* e = static_cast<end*>(evs[i].data.ptr);
      if (e == &listener) accept_all(lfd, upstream);
      else if (!e->c->dead) {
        serve(e->c);
        // An error or a reset: what could move has moved; nothing more will.
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) close_conn(e->c);
      }
    }
    for (conn* c : graveyard) delete c;
    graveyard.clear();
  }
}
