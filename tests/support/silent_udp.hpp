#pragma once
/// \file
/// A UDP socket on 127.0.0.1 that is never read: a DNS server that never answers.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "starttls_exporter/core/unique_fd.hpp"

namespace starttls_exporter::testing {

struct SilentUdpSocket {
  SilentUdpSocket() : fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  UniqueFd fd;
  std::uint16_t port = 0;
};

}  // namespace starttls_exporter::testing
