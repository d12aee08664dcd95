#include "holdon/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <fstream>

#include "holdon/log.hpp"

namespace holdon {
namespace ssl = net::ssl;

namespace {
// Mozilla's "intermediate" TLS 1.2 list: ECDHE key exchange and AEAD ciphers only.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

void harden(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx.native_handle(), tls12_ciphers);
}

[[noreturn]] void file_error(const std::string& origin, const char* key, const std::string& path,
                             const std::string& what) {
  throw config_error(origin + "." + key + ": " + what + ": '" + path + "'");
}

void readable(const std::string& origin, const char* key, const std::string& path) {
  std::ifstream in(path);
  if (!in) file_error(origin, key, path, "cannot read");
}

std::string openssl_reason(const error_code& ec) {
  auto r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
  return r ? r : ec.message();
}

// HTTP/1.1 is all holdon speaks: say so in ALPN, so that an h2-capable client does not guess.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char h11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, h11, sizeof h11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

int on_server_name(SSL* s, int*, void* arg) {
  auto* ctxs = static_cast<std::vector<std::unique_ptr<ssl::context>>*>(arg);
  const char* name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
  for (auto& c : *ctxs) {
    X509* cert = SSL_CTX_get0_certificate(c->native_handle());
    if (cert && X509_check_host(cert, name, 0, 0, nullptr) == 1) {
      if (c.get() != ctxs->front().get()) SSL_set_SSL_CTX(s, c->native_handle());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_OK;  // unknown name: the default certificate, the client decides
}
}  // namespace

server_tls::server_tls(const listen_tls_config& c) {
  for (const auto& cert : c.certificates) {
    readable(cert.origin, "cert", cert.cert);
    readable(cert.origin, "key", cert.key);
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    harden(*ctx);
    error_code ec;
    ctx->use_certificate_chain_file(cert.cert, ec);
    if (ec) file_error(cert.origin, "cert", cert.cert, "not a PEM certificate chain (" + openssl_reason(ec) + ")");
    ctx->use_private_key_file(cert.key, ssl::context::pem, ec);
    // OpenSSL compares the key with the certificate as it loads it.
    if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH)
      throw config_error(cert.origin + ".key: '" + cert.key + "' does not match the certificate '" + cert.cert + "'");
    if (ec) file_error(cert.origin, "key", cert.key, "not a PEM private key (" + openssl_reason(ec) + ")");
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      ERR_clear_error();
      throw config_error(cert.origin + ".key: '" + cert.key + "' does not match the certificate '" + cert.cert + "'");
    }
    SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_alpn, nullptr);
    ctxs_.push_back(std::move(ctx));
  }
  SSL_CTX_set_tlsext_servername_callback(ctxs_.front()->native_handle(), on_server_name);
  SSL_CTX_set_tlsext_servername_arg(ctxs_.front()->native_handle(), &ctxs_);
}

upstream_tls::upstream_tls(const upstream_config& u)
    : ctx_(ssl::context::tls_client), server_name_(u.tls.server_name), insecure_(u.tls.insecure_skip_verify) {
  harden(ctx_);
  if (insecure_) {
    ctx_.set_verify_mode(ssl::verify_none);
    log(log_level::warn, u.tls.origin + ": insecure_skip_verify: the upstream's certificate is NOT verified (tests only)");
    return;
  }
  ctx_.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (!u.tls.ca_file.empty()) {
    readable(u.tls.origin, "ca_file", u.tls.ca_file);
    ctx_.load_verify_file(u.tls.ca_file, ec);
    if (ec) file_error(u.tls.origin, "ca_file", u.tls.ca_file, "no PEM certificate (" + openssl_reason(ec) + ")");
  } else {
    ctx_.set_default_verify_paths(ec);
    if (ec) throw config_error(u.tls.origin + ": cannot load the system's CA store: " + openssl_reason(ec));
  }
}

void upstream_tls::prepare(stream::tls_stream& s, const endpoint_spec& server, error_code& ec) const {
  const std::string& name = server_name_.empty() ? server.host : server_name_;
  error_code not_ip;
  net::ip::make_address(name, not_ip);
  // RFC 6066 §3: no IP literals in SNI.
  if (not_ip && SSL_set_tlsext_host_name(s.native_handle(), name.c_str()) != 1) {
    ec = error_code(static_cast<int>(ERR_get_error()), net::error::get_ssl_category());
    return;
  }
  if (!insecure_) s.set_verify_callback(ssl::host_name_verification(name), ec);
}

tls_contexts::tls_contexts(const config& c) {
  for (std::size_t i = 0; i < c.listen.size(); ++i) {
    const auto* t = i < c.listen_tls.size() ? &c.listen_tls[i] : nullptr;
    listeners.push_back(t && t->enabled() ? std::make_unique<server_tls>(*t) : nullptr);
  }
  for (const auto& u : c.upstreams) upstreams.push_back(u.tls.enabled ? std::make_unique<upstream_tls>(u) : nullptr);
}

}  // namespace holdon
