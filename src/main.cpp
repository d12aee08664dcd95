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
#include <optional>
#include <vector>
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

struct options {
  std::string path;
  std::string level;
  bool check = false;
  bool healthcheck = false;
  std::string healthcheck_url;
};

// Reads the command line into o; returns an exit code when the program is done already.
std::optional<int> parse_args(int argc, char** argv, options& o) {
  const char* env_path = std::getenv("HOLDON_CONFIG");  // the container image sets it
  o.path = env_path && *env_path ? env_path : "/etc/holdon/holdon.yaml";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) o.path = argv[++i];
    else if (a == "--check") o.check = true;
    else if (a == "--healthcheck") {
      o.healthcheck = true;
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("http://", 0) == 0) o.healthcheck_url = argv[++i];
    }
    else if (a == "--log-level" && i + 1 < argc) o.level = argv[++i];
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
  return std::nullopt;
}

// The file with the environment's overrides (HOLDON_LISTEN etc.) applied; names them in overridden.
std::shared_ptr<const holdon::config> load(const std::string& path, std::vector<std::string>* overridden = nullptr) {
  auto c = holdon::load_config(path);
  auto names = holdon::apply_env_overrides(c, holdon::process_env());
  if (overridden) *overridden = std::move(names);
  return std::make_shared<const holdon::config>(std::move(c));
}

// SIGHUP: a bad file leaves the running configuration in place: nothing is dropped.
void reload(holdon::server& srv, const std::string& path, std::shared_ptr<const holdon::config>& cfg) {
  try {
    auto next = load(path);
    srv.reload(next);
    cfg = next;  // drain_timeout of the reloaded file applies
    holdon::log(holdon::log_level::info, "SIGHUP: configuration reloaded from " + path);
  } catch (const std::exception& e) {
    holdon::log(holdon::log_level::error,
                std::string("SIGHUP: new configuration rejected, keeping the running one: ") + e.what());
  }
}

// SIGTERM: no new connections; in-flight exchanges finish (still getting their 102s) until
// drain_timeout, then whatever is left is cut.
void drain(holdon::server& srv, holdon::admin* adm, holdon::duration limit) {
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
}

// Signals are taken synchronously by the main thread; workers never see them.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

// Two descriptors per held exchange: take every file the hard limit allows.
void raise_file_limit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

// Runs until SIGTERM or SIGINT; SIGHUP reloads.
void serve(std::shared_ptr<const holdon::config> cfg, const std::string& path) {
  raise_file_limit();
  auto set = block_signals();
  holdon::server srv(cfg);
  std::unique_ptr<holdon::admin> adm;
  if (cfg->admin.listen) adm = std::make_unique<holdon::admin>(cfg, srv.stats());
  srv.start();
  if (adm) adm->start();
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      reload(srv, path, cfg);
      continue;
    }
    if (sig == SIGTERM) drain(srv, adm.get(), cfg->drain_timeout);
    else holdon::log(holdon::log_level::info, std::string("stopping on ") + strsignal(sig));
    break;
  }
  if (adm) adm->set_draining();  // /readyz: 503 from here on
  srv.stop();
  srv.wait();
  if (adm) {
    adm->stop();
    adm->wait();
  }
}

int config_failure(const holdon::config_error& e) {
  std::cerr << "holdon: config error: " << e.what() << "\n";
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto done = parse_args(argc, argv, o)) return *done;
  if (o.healthcheck && !o.healthcheck_url.empty()) {
    auto url = holdon::parse_http_url(o.healthcheck_url);
    if (!url) {
      std::cerr << "holdon: --healthcheck: bad URL '" << o.healthcheck_url << "' (expected http://HOST:PORT/PATH)\n";
      return 2;
    }
    return probe(*url);
  }
  std::shared_ptr<const holdon::config> cfg;
  std::vector<std::string> from_env;
  try {
    cfg = load(o.path, &from_env);
  } catch (const holdon::config_error& e) {
    return config_failure(e);
  }
  if (o.healthcheck) {  // default URL: /healthz on the configured admin listener
    if (!cfg->admin.listen) {
      std::cerr << "holdon: --healthcheck: no admin.listen configured (or give a URL)\n";
      return 2;
    }
    return probe(holdon::admin_url(*cfg->admin.listen, "/healthz"));
  }
  try {
    if (o.check) {
      holdon::tls_contexts files(*cfg);  // certificates, keys and CA files load, keys match
      std::cout << "holdon: " << o.path << " is valid\n";
      return 0;
    }
    holdon::set_log_level(holdon::parse_log_level(o.level.empty() ? cfg->log_level : o.level));
    for (const auto& name : from_env) holdon::log(holdon::log_level::info, "configuration overridden by " + name);
    serve(cfg, o.path);
  } catch (const holdon::config_error& e) {  // e.g. a certificate file that does not load
    return config_failure(e);
  } catch (const std::exception& e) {
    std::cerr << "holdon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
