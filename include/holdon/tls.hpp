// tls: OpenSSL contexts built once from the configuration, shared read-only by all
// workers (creating SSL objects from a context that is no longer changed is thread-safe).
// Server side: one SSL_CTX per certificate; SNI picks the one whose certificate names the
// requested host, else the first. Client side (to upstreams): verify the peer against a
// CA file or the system store, SNI and host name from server_name or the server's host.
// Both: TLS 1.2 minimum, forward-secret AEAD ciphers only for TLS 1.2, OpenSSL's TLS 1.3 set.
// Every file problem is a config_error naming the key and the line of the configuration.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/stream.hpp"

namespace holdon {

class server_tls {
 public:
  explicit server_tls(const listen_tls_config& c);
  net::ssl::context& context() { return *ctxs_.front(); }  // SNI switches from here

 private:
  std::vector<std::unique_ptr<net::ssl::context>> ctxs_;
};

class upstream_tls {
 public:
  explicit upstream_tls(const upstream_config& u);
  net::ssl::context& context() { return ctx_; }
  // SNI and host name verification for one connection to `server`.
  void prepare(stream::tls_stream& s, const endpoint_spec& server, error_code& ec) const;
  bool insecure() const { return insecure_; }

 private:
  net::ssl::context ctx_;
  std::string server_name_;
  bool insecure_;
};

struct tls_contexts {
  explicit tls_contexts(const config& c);  // loads every file: throws config_error
  std::vector<std::unique_ptr<server_tls>> listeners;    // parallel to config::listen; null: plain
  std::vector<std::unique_ptr<upstream_tls>> upstreams;  // parallel to config::upstreams; null: plain
};

}  // namespace holdon
