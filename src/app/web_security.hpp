#pragma once
/// \file
/// --web.config.file: from the exporter toolkit's web config to the HTTP server's options.

#include <string>

#include "starttls_exporter/http_server.hpp"

namespace starttls_exporter::app {

/// Why tls_server_config is refused (see web_security.cpp); part of the error message.
extern const char* const kWebTlsUnsupported;

/// The server options for `web_config_file` (empty: plain HTTP without authentication):
/// basic_auth_users, more worker threads for /probe. Throws config::ConfigError for an invalid
/// file, and for a tls_server_config (located at its key): see kWebTlsUnsupported.
http::ServerOptions web_server_options(const std::string& web_config_file);

}  // namespace starttls_exporter::app
