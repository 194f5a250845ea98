#include "starttls_exporter/core/net.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::net {
namespace {

bool is_dns_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool assign_port(std::string_view text, std::uint16_t& port) noexcept {
  const auto parsed = parse_port(text);
  if (parsed) port = *parsed;
  return parsed.has_value();
}

[[noreturn]] void bad_listen_address(std::string_view address, const char* why) {
  throw std::invalid_argument("listen address \"" + std::string(address) + "\": " + why);
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  const std::string input(text);  // inet_pton needs a NUL-terminated string
  std::array<unsigned char, 16> binary{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, input.c_str(), binary.data()) == 1 &&
        inet_ntop(family, binary.data(), out.data(), out.size()) != nullptr) {
      return std::string(out.data());
    }
  }
  return std::nullopt;
}

bool ends_in_numeric_label(std::string_view name) noexcept {
  const auto dot = name.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() &&
         std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string normalise_domain_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_dns_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    if (!is_dns_label(text.substr(start, dot == text.npos ? text.npos : dot - start))) {
      return false;
    }
    if (dot == text.npos) return true;
    start = dot + 1;
  }
}

std::optional<std::string> server_name_problem(std::string_view name) {
  if (name.empty()) return "must not be empty (leave the key out to send no SNI)";
  if (canonical_ip(name)) {
    return text::quote(name) +
           " is an IP address; server_name must be a DNS name (leave it out for "
           "servers that are known by address only)";
  }
  if (!is_dns_name(name)) return text::quote(name) + " is not a valid DNS name";
  if (ends_in_numeric_label(name)) {
    return text::quote(name) + " is not a valid DNS name (the last label is all digits)";
  }
  return std::nullopt;
}

std::optional<std::string> ehlo_name_problem(std::string_view name) {
  static const std::string kExpected =
      " must be a domain name or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]";
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    std::string_view inner = name.substr(1, name.size() - 2);
    const bool v6 = inner.starts_with("IPv6:");
    if (v6) inner.remove_prefix(5);
    const auto ip = canonical_ip(inner);
    if (ip && (ip->find(':') != std::string::npos) == v6) return std::nullopt;
    return text::quote(name) + kExpected;
  }
  if (!is_dns_name(name) || ends_in_numeric_label(name)) return text::quote(name) + kExpected;
  return std::nullopt;
}

std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero) noexcept {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value > 65535) return std::nullopt;
  if (value == 0 && !allow_zero) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<TargetAddress> parse_target_address(std::string_view text, std::string& problem) {
  TargetAddress target;
  target.port_given = text.starts_with('[') ? text.find("]:") != std::string_view::npos
                                            : std::count(text.begin(), text.end(), ':') == 1;
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    host = text.substr(1, close == std::string_view::npos ? 0 : close - 1);
    const std::string_view rest =
        close == std::string_view::npos ? std::string_view{} : text.substr(close + 1);
    if (close == std::string_view::npos || host.find(':') == std::string_view::npos ||
        (!rest.empty() && (rest.front() != ':' || !assign_port(rest.substr(1), target.port)))) {
      problem = "malformed target: want ADDRESS, ADDRESS:PORT or [IPv6]:PORT";
      return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // IPv4:port
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    if (!assign_port(text.substr(colon + 1), target.port)) {
      problem = "malformed target: the port must be 1 to 65535";
      return std::nullopt;
    }
  }
  const auto ip = canonical_ip(host);
  if (!ip) {
    problem = text.empty()        ? "missing target"
              : is_dns_name(host) ? "names are not resolved: give the server's IP address, "
                                    "optionally with :PORT ([IPv6]:PORT)"
                                  : "malformed target: want an IP address, optionally with "
                                    ":PORT ([IPv6]:PORT)";
    return std::nullopt;
  }
  target.address = *ip;
  return target;
}

std::string format_endpoint(std::string_view ip, std::uint16_t port) {
  const std::string host = is_ipv6_literal(ip) ? "[" + std::string(ip) + "]" : std::string(ip);
  return host + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    bad_listen_address(address, "want HOST:PORT, e.g. \":9725\"");
  std::string_view host = address.substr(0, colon);
  const auto port = parse_port(address.substr(colon + 1), true);
  if (!port) bad_listen_address(address, "port must be a number from 0 to 65535");
  if (host.empty()) return {"", *port};
  if (host == "localhost") return {"127.0.0.1", *port};
  if (host.front() == '[') {
    const auto ip = host.size() >= 3 && host.back() == ']'
                        ? canonical_ip(host.substr(1, host.size() - 2))
                        : std::nullopt;
    if (!ip || !is_ipv6_literal(*ip)) bad_listen_address(address, "invalid IPv6 address");
    return {*ip, *port};
  }
  const auto ip = canonical_ip(host);
  if (!ip || is_ipv6_literal(*ip)) {
    bad_listen_address(address,
                       "host must be an IP address (IPv6 in brackets), \"localhost\" or empty");
  }
  return {*ip, *port};
}

}  // namespace starttls_exporter::net
