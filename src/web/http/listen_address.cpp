#include "listen_address.hpp"

#include <stdexcept>

#include "starttls_exporter/core/net.hpp"

namespace starttls_exporter::http {

std::vector<std::string> civetweb_ports(const std::string& address, bool ipv6_available) {
  const net::ListenAddress listen = net::parse_listen_address(address);
  const std::string port = std::to_string(listen.port);
  if (listen.host.empty()) {
    if (ipv6_available) return {"+" + port, port};
    return {port};
  }
  if (!listen.ipv6()) return {listen.host + ":" + port};
  if (!ipv6_available) {
    throw std::invalid_argument("listen address \"" + address +
                                "\": IPv6 is not supported by this build");
  }
  return {"[" + listen.host + "]:" + port};
}

}  // namespace starttls_exporter::http
