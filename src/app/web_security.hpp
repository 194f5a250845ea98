#pragma once
/// \file
/// --web.config.file: from the exporter toolkit's web config to the HTTP server's options and,
/// with tls_server_config, the settings of the TLS terminator in front of it.

#include <optional>
#include <string>

#include "starttls_exporter/http_server.hpp"
#include "starttls_exporter/tls.hpp"

namespace starttls_exporter::app {

struct WebSecurity {
  http::ServerOptions server;              ///< basic_auth_users, worker threads
  std::optional<tls::ServerSettings> tls;  ///< set: TLS on the web port (tls::Terminator)
};

/// The web port's setup for `web_config_file` (empty: plain HTTP without authentication).
/// Throws config::ConfigError for an invalid file, and for certificate or key files GnuTLS
/// cannot load (located at the tls_server_config key). Read at start-up only.
WebSecurity load_web_security(const std::string& web_config_file);

}  // namespace starttls_exporter::app
