// IpNetwork: the networks of probe_allowed_cidrs, parsed and matched with inet_pton.

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "starttls_exporter/config/config.hpp"
#include "validate.hpp"

namespace starttls_exporter::config {
namespace {

/// The binary form of an IP literal: 4 or 16 bytes, or 0 when `text` is not one.
std::size_t to_binary(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != text.npos) return 0;
  const std::string input(text);
  out.fill(0);
  if (inet_pton(AF_INET, input.c_str(), out.data()) == 1) return 4;
  if (inet_pton(AF_INET6, input.c_str(), out.data()) == 1) return 16;
  return 0;
}

/// Clears every bit after the first `prefix` bits.
std::array<std::uint8_t, 16> masked(std::array<std::uint8_t, 16> bytes, int prefix) {
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(prefix - 8 * i, 0, 8);
    bytes[i] &= static_cast<std::uint8_t>(0xff00u >> keep);
  }
  return bytes;
}

std::string to_text(const std::array<std::uint8_t, 16>& bytes, bool ipv6) {
  std::array<char, INET6_ADDRSTRLEN> out{};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes.data(), out.data(), out.size());
  return out.data();
}

}  // namespace

bool IpNetwork::contains(std::string_view address) const {
  std::array<std::uint8_t, 16> bytes_of_address{};
  const std::size_t size = to_binary(address, bytes_of_address);
  if (size != (ipv6 ? 16u : 4u)) return false;
  return masked(bytes_of_address, prefix_length) == bytes;
}

std::optional<IpNetwork> parse_ip_network(std::string_view text, std::string& problem) {
  const auto slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  IpNetwork network;
  const std::size_t size = to_binary(address, network.bytes);
  if (size == 0) {
    problem = detail::quote(text) + " is not an IP network (write ADDRESS/PREFIX as in " +
              "127.0.0.0/8 or 2001:db8::/32)";
    return std::nullopt;
  }
  network.ipv6 = size == 16;
  const int max_prefix = network.ipv6 ? 128 : 32;
  network.prefix_length = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), network.prefix_length);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        digits.front() == '+' || network.prefix_length < 0 || network.prefix_length > max_prefix) {
      problem = detail::quote(text) + " has an invalid prefix length (0 to " +
                std::to_string(max_prefix) + ")";
      return std::nullopt;
    }
  }
  const auto network_bytes = masked(network.bytes, network.prefix_length);
  const std::string canonical =
      to_text(network_bytes, network.ipv6) + "/" + std::to_string(network.prefix_length);
  if (network_bytes != network.bytes) {
    problem = detail::quote(text) + " has host bits set (did you mean " + canonical + "?)";
    return std::nullopt;
  }
  network.text = canonical;
  return network;
}

}  // namespace starttls_exporter::config
