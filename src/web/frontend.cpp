#include "routes.hpp"
#include "starttls_exporter/log.hpp"
#include "starttls_exporter/web.hpp"
#include "tls/terminator.hpp"

namespace starttls_exporter::web {

Frontend::Frontend(const std::string& listen_address, const RouteContext& context,
                   WebSecurity security) {
  if (security.tls) {
    terminator_ = std::make_unique<tls::Terminator>(listen_address, *security.tls);
    security.server.admit = [&t = *terminator_](const std::string& ip, int port) {
      return t.client_of(ip, port);
    };
  }
  server_ = std::make_unique<http::Server>(terminator_ ? "127.0.0.1:0" : listen_address,
                                           make_routes(context), std::move(security.server));
  port_ = server_->port();
  if (!terminator_) return;
  terminator_->start(server_->port());
  log::debug("HTTP server behind the TLS terminator",
             {{"address", "127.0.0.1"}, {"internal_port", std::to_string(port_)}});
  port_ = terminator_->port();
}

Frontend::~Frontend() {
  stop();
}

int Frontend::port() const noexcept {
  return port_;
}

void Frontend::stop() noexcept {
  if (terminator_) terminator_->stop();
  server_.reset();
}

}  // namespace starttls_exporter::web
