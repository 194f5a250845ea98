#pragma once
/// \file
/// The web port's public listening socket. Private to src/web.

#include <string>

#include "starttls_exporter/core/unique_fd.hpp"

namespace starttls_exporter::web {

/// A non-blocking listening TCP socket for "HOST:PORT" (":9725" is every interface, IPv6 too
/// when available; "localhost" is 127.0.0.1; IPv6 in brackets); `port` receives the bound port.
/// Throws std::invalid_argument for a malformed address, std::runtime_error ("listen ADDRESS:
/// reason") when it cannot listen.
UniqueFd listen_on(const std::string& address, int& port);

}  // namespace starttls_exporter::web
