// Reserved address ranges: an MX that points into one is a misconfiguration to show, not a
// host to probe (unless dns.allowed_reserved_cidrs says otherwise).
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "starttls_exporter/dns/mail_path.hpp"

namespace starttls_exporter::dns {
namespace {

struct Range {
  const char* network;
  const char* name;
};

// RFC 6890's special-purpose registries, the ranges a public MX never uses. IPv4-mapped comes
// first so that ::ffff:10.0.0.1 is named as mapped, not private.
constexpr std::array<Range, 19> kRanges{{
    {"::ffff:0:0/96", "ipv4_mapped"},
    {"0.0.0.0/8", "unspecified"},
    {"::/128", "unspecified"},
    {"127.0.0.0/8", "loopback"},
    {"::1/128", "loopback"},
    {"10.0.0.0/8", "private"},
    {"172.16.0.0/12", "private"},
    {"192.168.0.0/16", "private"},
    {"fc00::/7", "private"},  // unique local addresses (RFC 4193)
    {"100.64.0.0/10", "cgnat"},
    {"169.254.0.0/16", "link_local"},
    {"fe80::/10", "link_local"},
    {"192.0.2.0/24", "documentation"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"2001:db8::/32", "documentation"},
    {"224.0.0.0/4", "multicast"},
    {"ff00::/8", "multicast"},
    {"240.0.0.0/4", "reserved"},  // including 255.255.255.255
}};

const std::vector<std::pair<config::IpNetwork, const char*>>& networks() {
  static const auto parsed = [] {
    std::vector<std::pair<config::IpNetwork, const char*>> out;
    for (const auto& range : kRanges) {
      std::string problem;
      out.emplace_back(*config::parse_ip_network(range.network, problem), range.name);
    }
    return out;
  }();
  return parsed;
}

}  // namespace

std::string reserved_range(std::string_view address) {
  for (const auto& [network, name] : networks()) {
    if (network.contains(address)) return name;
  }
  return {};
}

}  // namespace starttls_exporter::dns
