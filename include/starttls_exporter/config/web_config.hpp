#pragma once
/// \file
/// The --web.config.file: TLS and basic authentication of the exporter's own web port, in the
/// Prometheus exporter toolkit's format. Only src/config knows that the file is YAML.
///
///   tls_server_config:
///     cert_file: server.crt          # relative paths: against the web config file's directory
///     key_file: server.key
///     client_ca_file: clients-ca.crt # optional: mutual TLS
///     client_auth_type: RequireAndVerifyClientCert
///     min_version: TLS12             # TLS12 (default) or TLS13; max_version likewise
///   basic_auth_users:
///     prometheus: $2y$10$...         # bcrypt hash ($2a$, $2b$ or $2y$)

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config {

/// tls_server_config.client_auth_type: the toolkit's five values, and only those.
enum class ClientAuth {
  none,               ///< NoClientCert (the default)
  request,            ///< RequestClientCert: asked for, not required, not verified
  require_any,        ///< RequireAnyClientCert: required, not verified
  verify_if_given,    ///< VerifyClientCertIfGiven: verified when sent
  require_and_verify  ///< RequireAndVerifyClientCert: required and verified
};

/// The toolkit's spelling ("RequireAndVerifyClientCert").
std::string_view client_auth_name(ClientAuth auth) noexcept;

/// True for the two values that verify client certificates against client_ca_file.
constexpr bool verifies_client_certs(ClientAuth auth) noexcept {
  return auth == ClientAuth::verify_if_given || auth == ClientAuth::require_and_verify;
}

struct WebTlsConfig {
  LoadedFile cert;  ///< PEM certificate, optionally followed by its chain
  LoadedFile key;   ///< PEM private key of cert (unencrypted)
  /// PEM CAs for client certificates; set exactly when client_auth verifies them.
  std::optional<LoadedFile> client_ca;
  ClientAuth client_auth = ClientAuth::none;
  /// min_version / max_version: TLS12 or TLS13 (tls1_2, tls1_3); TLS10 and TLS11 are refused.
  TlsVersion min_version = TlsVersion::tls1_2;
  TlsVersion max_version = TlsVersion::tls1_3;
  SourceLocation location;  ///< of the tls_server_config key, for later errors
};

struct WebConfig {
  std::string source_file;
  std::optional<WebTlsConfig> tls_server;  ///< unset: plain HTTP
  /// user name -> bcrypt hash; empty: no authentication. Names are non-empty, without ':'.
  std::map<std::string, std::string> basic_auth_users;
};

/// Reads and validates a web config file. Throws ConfigError ("file:line:column: key:
/// problem") for the first problem: unknown keys, missing cert_file/key_file, unreadable
/// files, an unknown client_auth_type, a client CA without a verifying client_auth_type (and
/// the reverse), a TLS version other than TLS12/TLS13 or min above max, a toolkit key this
/// exporter does not implement (cipher_suites, curve_preferences, ...), a hash that is not bcrypt.
/// An empty file is a valid, empty configuration.
WebConfig load_web_config(const std::string& path);

/// As load_web_config, from text already in memory; `file_name` is used in messages and to
/// resolve relative paths.
WebConfig parse_web_config(const std::string& yaml_text, const std::string& file_name);

}  // namespace starttls_exporter::config
