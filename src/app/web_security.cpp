#include "web_security.hpp"

#include "starttls_exporter/web_config.hpp"

namespace starttls_exporter::app {
namespace {

/// Handlers block for a whole /probe; enough workers that probes do not starve /metrics.
constexpr int kServerThreads = 32;

tls::ClientAuth client_auth(const std::string& toolkit_name) {
  if (toolkit_name == "RequestClientCert") return tls::ClientAuth::request;
  if (toolkit_name == "RequireAnyClientCert") return tls::ClientAuth::require_any;
  if (toolkit_name == "VerifyClientCertIfGiven") return tls::ClientAuth::verify_if_given;
  if (toolkit_name == "RequireAndVerifyClientCert") return tls::ClientAuth::require_and_verify;
  return tls::ClientAuth::none;  // "NoClientCert"; config validation refuses other names
}

TlsVersion tls_version(const std::string& toolkit_name) {
  return toolkit_name == "TLS13" ? TlsVersion::tls1_3 : TlsVersion::tls1_2;
}

/// The terminator's settings, with the files loaded once now so that a bad certificate or key
/// fails start-up (and --config.check) with the web config's location.
tls::ServerSettings tls_settings(const config::WebTlsConfig& web) {
  tls::ServerSettings settings{web.cert_file,
                               web.key_file,
                               web.client_ca_file,
                               client_auth(web.client_auth_type),
                               tls_version(web.min_version),
                               tls_version(web.max_version)};
  try {
    tls::check_server_settings(settings);
  } catch (const tls::TlsError& e) {
    throw config::ConfigError(web.location, "tls_server_config", e.what());
  }
  return settings;
}

}  // namespace

WebSecurity load_web_security(const std::string& web_config_file) {
  WebSecurity out;
  out.server.num_threads = kServerThreads;
  if (web_config_file.empty()) return out;
  config::WebConfig web = config::load_web_config(web_config_file);
  if (web.tls_server) out.tls = tls_settings(*web.tls_server);
  out.server.basic_auth_users = std::move(web.basic_auth_users);
  return out;
}

}  // namespace starttls_exporter::app
