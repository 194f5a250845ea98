#include "web_security.hpp"

#include "starttls_exporter/web_config.hpp"

namespace starttls_exporter::app {

// Checked on Debian 12 (libcivetweb1 1.15+dfsg-4, libssl3 3.0): CivetWeb is built against the
// OpenSSL 1.1 API and loads "libssl.so" at run time; OpenSSL 3 no longer exports
// SSL_get_peer_certificate, CivetWeb leaves that function pointer null and calls it after every
// TLS handshake, so the first HTTPS request kills the process (SIGSEGV). Failing at start-up is
// the safe answer; serving plain HTTP instead would silently drop the operator's requirement.
const char* const kWebTlsUnsupported =
    "TLS on the web port is not supported with this build: the system's CivetWeb library "
    "crashes on TLS connections with OpenSSL 3; remove tls_server_config and terminate TLS in "
    "a reverse proxy in front of the exporter (basic_auth_users works without it)";

namespace {

/// Handlers block for a whole /probe; enough workers that probes do not starve /metrics.
constexpr int kServerThreads = 32;

}  // namespace

http::ServerOptions web_server_options(const std::string& web_config_file) {
  http::ServerOptions options;
  options.num_threads = kServerThreads;
  if (web_config_file.empty()) return options;
  config::WebConfig web = config::load_web_config(web_config_file);
  if (web.tls_server) {
    throw config::ConfigError(web.tls_server->location, "tls_server_config", kWebTlsUnsupported);
  }
  options.basic_auth_users = std::move(web.basic_auth_users);
  return options;
}

}  // namespace starttls_exporter::app
