// holdon: command line, signals, start-up. Exit codes: 0 ok (also after SIGTERM/SIGINT),
// 1 runtime error (e.g. cannot listen), 2 usage or configuration error.
#include <signal.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "holdon/config.hpp"
#include "holdon/log.hpp"
#include "holdon/server.hpp"
#include "holdon/tls.hpp"

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
    try {
      holdon::tls_contexts files(*cfg);  // certificates, keys and CA files load, keys match
    } catch (const holdon::config_error& e) {
      std::cerr << "holdon: config error: " << e.what() << "\n";
      return 2;
    }
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
        holdon::log(holdon::log_level::warn, "SIGHUP: configuration reload is not supported yet; ignored");
        continue;
      }
      holdon::log(holdon::log_level::info, std::string("stopping on ") + strsignal(sig));
      break;
    }
    srv.stop();
    srv.wait();
  } catch (const holdon::config_error& e) {  // e.g. a certificate file that does not load
    std::cerr << "holdon: config error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "holdon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
