#include "address_family.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace starttls_exporter::prober {
namespace {

bool link_local(const asio::ip::address& a) {
  return a.is_v6() && a.to_v6().is_link_local();
}

struct IfaddrsDeleter {
  void operator()(ifaddrs* list) const noexcept { freeifaddrs(list); }
};

}  // namespace

bool family_usable(const asio::ip::address& target, const std::vector<asio::ip::address>& local) {
  return std::any_of(local.begin(), local.end(), [&](const asio::ip::address& a) {
    if (a.is_v4() != target.is_v4()) return false;
    if (target.is_loopback()) return a.is_loopback();
    if (a.is_loopback()) return false;
    return !link_local(a) || link_local(target);
  });
}

std::vector<asio::ip::address> local_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) return out;
  const std::unique_ptr<ifaddrs, IfaddrsDeleter> list(raw);
  for (const ifaddrs* i = raw; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, bytes.size());
      out.push_back(asio::ip::address_v6(bytes, sin6->sin6_scope_id));
    }
  }
  return out;
}

}  // namespace starttls_exporter::prober
