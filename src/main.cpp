// holdon: command line, signals, start-up. Exit codes: 0 ok (also after SIGTERM/SIGINT),
// 1 runtime error (e.g. cannot listen) or --healthcheck failed, 2 usage or configuration error.
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <chrono>
#include <cstring>
#include <thread>
#include <iostream>
#include <memory>
#include <string>

#include "holdon/admin.hpp"
#include "holdon/config.hpp"
#include "holdon/env_overrides.hpp"
#include "holdon/healthcheck.hpp"
#include "holdon/log.hpp"
#include "holdon/server.hpp"
#include "holdon/tls.hpp"

namespace {
constexpr const char* usage =
    "usage: holdon [-c FILE] [--check] [--log-level debug|info|warn|error] [--version]\n"
    "       holdon [-c FILE] --healthcheck [URL]\n"
    "  -c, --config FILE  configuration (default $HOLDON_CONFIG, else /etc/holdon/holdon.yaml)\n"
    "  --check            validate the configuration and exit (0 valid, 2 invalid)\n"
    "  --healthcheck [URL] GET URL (default: /healthz on admin.listen) and exit 0 on a 2xx, else 1\n"
    "  --log-level LEVEL  overrides log.level from the configuration\n"
    "  --version          print the version and exit\n";

// --healthcheck: exit 0 on a 2xx within 3 s, else 1 with the reason on stderr.
int probe(const holdon::http_url& url) {
  std::string error;
  auto status = holdon::http_get_status(url, holdon::duration(3000), error);
  if (status >= 200 && status < 300) return 0;
  std::cerr << "holdon: healthcheck http://" << url.host << ":" << url.port << url.path << ": "
            << (status ? "status " + std::to_string(status) : error) << "\n";
  return 1;
}
}

int main(int argc, char** argv) {
  const char* env_path = std::getenv("HOLDON_CONFIG");  // the container image sets it
  std::string path = env_path && *env_path ? env_path : "/etc/holdon/holdon.yaml";
  std::string level;
  bool check = false;
  bool healthcheck = false;
  std::string healthcheck_url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) path = argv[++i];
    else if (a == "--check") check = true;
    else if (a == "--healthcheck") {
      healthcheck = true;
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("http://", 0) == 0) healthcheck_url = argv[++i];
    }
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

  if (healthcheck && !healthcheck_url.empty()) {
    auto url = holdon::parse_http_url(healthcheck_url);
    if (!url) {
      std::cerr << "holdon: --healthcheck: bad URL '" << healthcheck_url << "' (expected http://HOST:PORT/PATH)\n";
      return 2;
    }
    return probe(*url);
  }

  std::shared_ptr<const holdon::config> cfg;
  std::vector<std::string> from_env;
  try {
    auto c = holdon::load_config(path);
    from_env = holdon::apply_env_overrides(c, holdon::process_env());  // HOLDON_LISTEN etc.
    cfg = std::make_shared<const holdon::config>(std::move(c));
  } catch (const holdon::config_error& e) {
    std::cerr << "holdon: config error: " << e.what() << "\n";
    return 2;
  }
  if (healthcheck) {  // default URL: /healthz on the configured admin listener
    if (!cfg->admin.listen) {
      std::cerr << "holdon: --healthcheck: no admin.listen configured (or give a URL)\n";
      return 2;
    }
    return probe(holdon::admin_url(*cfg->admin.listen, "/healthz"));
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
  for (const auto& name : from_env) holdon::log(holdon::log_level::info, "configuration overridden by " + name);

  // Two descriptors per held exchange: take every file the hard limit allows.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

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
    std::unique_ptr<holdon::admin> adm;
    if (cfg->admin.listen) adm = std::make_unique<holdon::admin>(cfg, srv.stats());
    srv.start();
    if (adm) adm->start();
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig == SIGHUP) {
        // A bad file leaves the running configuration in place: nothing is dropped.
        try {
          auto fresh = holdon::load_config(path);
          holdon::apply_env_overrides(fresh, holdon::process_env());  // same view as at start-up
          auto next = std::make_shared<const holdon::config>(std::move(fresh));
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
        if (adm) adm->set_draining();  // /readyz 503 first: balancers stop sending traffic
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
    if (adm) adm->set_draining();  // /readyz: 503 from here on
    srv.stop();
    srv.wait();
    if (adm) {
      adm->stop();
      adm->wait();
    }
  } catch (const holdon::config_error& e) {  // e.g. a certificate file that does not load
    std::cerr << "holdon: config error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "holdon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
