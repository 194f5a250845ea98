#include "gate.hpp"
#include "routes.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/web/web.hpp"

namespace starttls_exporter::web {

Frontend::Frontend(const std::string& listen_address, const RouteContext& context,
                   WebSecurity security, http::WebCounters& counters)
    : Frontend(listen_address, make_routes(context), std::move(security), counters,
               ListenerLimits{}) {}

Frontend::Frontend(const std::string& listen_address, http::Routes routes, WebSecurity security,
                   http::WebCounters& counters, ListenerLimits limits)
    : tls_(security.tls.has_value()) {
  GateLimits gate_limits;
  gate_limits.head.max_body_bytes = limits.max_body_bytes;
  gate_limits.head_timeout = limits.head_timeout;
  gate_limits.max_connections = limits.max_connections;
  gate_limits.max_connections_per_client = limits.max_connections_per_client;
  gate_ = std::make_unique<Gate>(listen_address, security.tls, gate_limits, counters);
  security.server.admit = [&g = *gate_](const std::string& ip, int port) {
    return g.client_of(ip, port);
  };
  security.server.counters = &counters;
  security.server.max_body_bytes = limits.max_body_bytes;
  server_ =
      std::make_unique<http::Server>("127.0.0.1:0", std::move(routes), std::move(security.server));
  gate_->start(server_->port());
  log::debug("HTTP server behind the connection gate",
             {{"address", "127.0.0.1"}, {"internal_port", std::to_string(server_->port())}});
  port_ = gate_->port();
}

Frontend::~Frontend() {
  stop();
}

int Frontend::port() const noexcept {
  return port_;
}

void Frontend::stop() noexcept {
  if (gate_) gate_->stop();
  server_.reset();
}

metrics::WebStats web_stats(const http::WebCounters& counters) {
  metrics::WebStats stats;
  stats.open_connections = counters.open_connections();
  for (std::size_t i = 0; i < static_cast<std::size_t>(http::ConnectionRefusal::count_); ++i) {
    const auto reason = static_cast<http::ConnectionRefusal>(i);
    stats.rejected_connections.emplace_back(std::string(http::name_of(reason)),
                                            counters.count(reason));
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(http::RequestRefusal::count_); ++i) {
    const auto reason = static_cast<http::RequestRefusal>(i);
    stats.rejected_requests.emplace_back(std::string(http::name_of(reason)),
                                         counters.count(reason));
  }
  return stats;
}

}  // namespace starttls_exporter::web
