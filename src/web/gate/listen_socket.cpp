// The web port's public listening socket: "HOST:PORT" parsing and bind.
#include "listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "starttls_exporter/core/net.hpp"

namespace starttls_exporter::web {
namespace {

struct Candidate {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool dual_stack = false;  ///< "[::]" that accepts IPv4 too
};

Candidate v4(const in_addr& a, std::uint16_t port) {
  Candidate c;
  auto* sin = reinterpret_cast<sockaddr_in*>(&c.addr);
  sin->sin_family = AF_INET;
  sin->sin_addr = a;
  sin->sin_port = htons(port);
  c.len = sizeof(sockaddr_in);
  return c;
}

Candidate v6(const in6_addr& a, std::uint16_t port, bool dual_stack) {
  Candidate c;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&c.addr);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_addr = a;
  sin6->sin6_port = htons(port);
  c.len = sizeof(sockaddr_in6);
  c.dual_stack = dual_stack;
  return c;
}

/// Addresses to try in order; the first that binds wins (":P" falls back to IPv4 only).
/// Throws std::invalid_argument for a malformed address (net::parse_listen_address).
std::vector<Candidate> candidates(const std::string& address) {
  const net::ListenAddress listen = net::parse_listen_address(address);
  const std::uint16_t p = listen.port;
  if (listen.host.empty()) return {v6(in6addr_any, p, true), v4(in_addr{htonl(INADDR_ANY)}, p)};
  if (listen.ipv6()) {
    in6_addr a6{};
    inet_pton(AF_INET6, listen.host.c_str(), &a6);  // canonical: cannot fail
    return {v6(a6, p, false)};
  }
  in_addr a4{};
  inet_pton(AF_INET, listen.host.c_str(), &a4);  // canonical: cannot fail
  return {v4(a4, p)};
}

/// A listening socket on `c`, or an empty fd with `error` set.
UniqueFd try_listen(const Candidate& c, std::string& error) {
  UniqueFd fd(::socket(c.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const int one = 1;
  const int v6only = c.dual_stack ? 0 : 1;
  if (!fd || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (c.addr.ss_family == AF_INET6 &&
       ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) ||
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&c.addr), c.len) != 0 ||
      ::listen(fd.get(), SOMAXCONN) != 0) {
    error = std::strerror(errno);
    return {};
  }
  return fd;
}

}  // namespace

UniqueFd listen_on(const std::string& address, int& port) {
  std::string error;
  for (const Candidate& c : candidates(address)) {
    UniqueFd fd = try_listen(c, error);
    if (!fd) continue;
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      error = std::strerror(errno);
      continue;
    }
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return fd;
  }
  throw std::runtime_error("listen " + address + ": " + error);
}

}  // namespace starttls_exporter::web
