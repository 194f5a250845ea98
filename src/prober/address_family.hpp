#pragma once
/// \file
/// Whether this host can reach an address family at all, to tell "the host has no IPv6" apart
/// from "the network to this server is down" when connect(2) fails. Private to src/prober.

#include <asio/ip/address.hpp>

#include <vector>

namespace starttls_exporter::prober {

/// True when one of `local` could be the source of a connection to `target`: same family, and
/// for a target off the host a local address that is neither loopback nor (IPv6) link-local
/// (a link-local target accepts a link-local source). A loopback target needs a loopback
/// address of its family (::1 may be missing when IPv6 is disabled).
bool family_usable(const asio::ip::address& target, const std::vector<asio::ip::address>& local);

/// The addresses of this host's interfaces that are up (getifaddrs); empty when unknown.
std::vector<asio::ip::address> local_addresses();

}  // namespace starttls_exporter::prober
