#pragma once
/// \file
/// Translation of a "HOST:PORT" listen address to CivetWeb's listening_ports syntax.

#include <string>
#include <vector>

namespace starttls_exporter::http {

/// CivetWeb listening_ports values to try in order (the first that starts wins).
/// ":9725" → {"+9725", "9725"} when dual-stack is compiled in (falls back to IPv4 only when the
/// host has no IPv6), "127.0.0.1:0" → {"127.0.0.1:0"}, "[::1]:9725" → {"[::1]:9725"}.
/// "localhost:P" means 127.0.0.1. Throws std::invalid_argument for a malformed address.
std::vector<std::string> civetweb_ports(const std::string& listen_address, bool ipv6_available);

}  // namespace starttls_exporter::http
