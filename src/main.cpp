// holdon: command line, signals, start-up. Exit codes: 0 ok (also after SIGTERM/SIGINT),
// 1 runtime error (e.g. cannot listen), 2 usage or configuration error.
#include <signal.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <iostream>
#include <memory>
#include <string>

#include "holdon/config.hpp"
#include "holdon/log.hpp"
#include "holdon/server.hpp"

namespace {
constexpr const char* usage =
    "usage: holdon [-c FILE] [--check] [--log-level debug|info|warn|error] [--version]\n"
    "  -c, --config FILE  configuration (default /etc/holdon/holdon.yaml)\n"
    "  --check            validate the configuration and exit (0 valid, 2 invalid)\n"
    "  --log-level LEVEL  overrides log.level from the configuration\n"
    "  --version          print the version and exit\n";
}

int main(int argc, char** argv) {
  std::string path = "/etc/holdon/holdon.yaml";
  std::string level;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) path = argv[++i];
    else if (a == "--check") check = true;
    else if (a == "--log-level" && i + 1 < argc) level = argv[++i];
    else if (a == "--version") {
      std::cout << "holdon " << HOLDON_VERSION << "\n";
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "holdon: unknown argument '" << a << "'\n" << usage;
      return 2;
    }
  }

  std::shared_ptr<const holdon::config> cfg;
  try {
    cfg = std::make_shared<const holdon::config>(holdon::load_config(path));
  } catch (const holdon::config_error& e) {
    std::cerr << "holdon: config error: " << e.what() << "\n";
    return 2;
  }
  if (check) {
    std::cout << "holdon: " << path << " is valid\n";
    return 0;
  }
  holdon::set_log_level(holdon::parse_log_level(level.empty() ? cfg->log_level : level));

  // Signals are taken synchronously by this thread; workers never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    holdon::server srv(cfg);
    srv.start();
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig == SIGHUP) {
        // A bad file leaves the running configuration in place: nothing is dropped.
        try {
          auto next = std::make_shared<const holdon::config>(holdon::load_config(path));
          srv.reload(next);
          cfg = next;  // drain_timeout of the reloaded file applies
          holdon::log(holdon::log_level::info, "SIGHUP: configuration reloaded from " + path);
        } catch (const std::exception& e) {
          holdon::log(holdon::log_level::error,
                      std::string("SIGHUP: new configuration rejected, keeping the running one: ") + e.what());
        }
        continue;
      }
      if (sig == SIGTERM) {
        // Drain: no new connections; in-flight exchanges finish (still getting their 102s)
        // until drain_timeout, then whatever is left is cut.
        auto limit = cfg->drain_timeout;
        srv.drain();
        holdon::log(holdon::log_level::info, "SIGTERM: draining, at most " + std::to_string(limit.count()) + " ms");
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (srv.stats().client_connections.load() > 0 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto left = srv.stats().client_connections.load();
        holdon::log(holdon::log_level::info, left ? "drain deadline reached with " + std::to_string(left) +
                                                        " connection(s) still open; stopping"
                                                  : std::string("drained; stopping"));
        break;
      }
      holdon::log(holdon::log_level::info, std::string("stopping on ") + strsignal(sig));
      break;
    }
    srv.stop();
    srv.wait();
  } catch (const std::exception& e) {
    std::cerr << "holdon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
