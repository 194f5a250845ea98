#include "listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace starttls_exporter::http {
namespace {

[[noreturn]] void bad(const std::string& address, const char* why) {
  throw std::invalid_argument("listen address \"" + address + "\": " + why);
}

}  // namespace

std::vector<std::string> civetweb_ports(const std::string& address, bool ipv6_available) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) bad(address, "want HOST:PORT, e.g. \":9725\"");
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);

  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port > 65535) {
    bad(address, "port must be a number from 0 to 65535");
  }
  const std::string port_str = std::to_string(port);

  if (host.empty()) {
    if (ipv6_available) return {"+" + port_str, port_str};
    return {port_str};
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') bad(address, "unterminated IPv6 literal");
    const std::string literal = host.substr(1, host.size() - 2);
    in6_addr a6{};
    if (inet_pton(AF_INET6, literal.c_str(), &a6) != 1) bad(address, "invalid IPv6 address");
    if (!ipv6_available) bad(address, "IPv6 is not supported by this build");
    return {host + ":" + port_str};
  }
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) != 1) {
    bad(address, "host must be an IP address (IPv6 in brackets), \"localhost\" or empty");
  }
  return {host + ":" + port_str};
}

}  // namespace starttls_exporter::http
