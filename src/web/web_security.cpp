#include "starttls_exporter/web/web.hpp"
#include "tls/server_stream.hpp"

namespace starttls_exporter::web {
namespace {

/// Handlers block for a whole /probe; enough workers that probes do not starve /metrics.
constexpr int kServerThreads = 32;

}  // namespace

WebSecurity load_web_security(const std::string& web_config_file) {
  WebSecurity out;
  out.server.num_threads = kServerThreads;
  if (web_config_file.empty()) return out;
  config::WebConfig web = config::load_web_config(web_config_file);
  if (web.tls_server) {
    // Built once now so that a bad certificate or key fails start-up (and --config.check)
    // with the web config's location.
    try {
      tls::check_server_settings(*web.tls_server);
    } catch (const tls::TlsError& e) {
      throw config::ConfigError(web.tls_server->location, "tls_server_config", e.what());
    }
    out.tls = std::move(web.tls_server);
  }
  out.server.basic_auth_users = std::move(web.basic_auth_users);
  return out;
}

}  // namespace starttls_exporter::web
