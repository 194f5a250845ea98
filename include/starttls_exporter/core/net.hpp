#pragma once
/// \file
/// Network-name rules shared by every area: what an IP literal, a DNS name, a server name, a
/// port and a "HOST:PORT" are, and how an endpoint is written. The one implementation of
/// each, so the config file, /probe and the listen flags accept exactly the same values.
/// Pure functions, thread-safe; nothing throws except std::bad_alloc and where stated.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace starttls_exporter::net {

/// The canonical text of an IPv4 or IPv6 literal (inet_pton + inet_ntop: "2001:DB8::25" ->
/// "2001:db8::25"), or nullopt when `text` is not exactly one such literal (no brackets,
/// prefixes, zone ids or NULs).
std::optional<std::string> canonical_ip(std::string_view text);

/// True for an IPv6 literal (canonical or not): the text contains ':'.
inline bool is_ipv6_literal(std::string_view ip) noexcept {
  return ip.find(':') != std::string_view::npos;
}

/// The one spelling of a domain name the exporter compares and labels with: ASCII lower case,
/// without the trailing dot of the root ("Example.COM." -> "example.com"). Nothing is
/// validated: callers that need a valid name check is_dns_name() on the result.
std::string normalise_domain_name(std::string_view name);

/// True for a syntactically valid host name: labels of 1–63 letters, digits and hyphens (not at
/// either end of a label), at most 253 characters, no trailing dot.
bool is_dns_name(std::string_view text) noexcept;

/// True when the last label of `name` is all digits ("mail.123"): such a name reads as a
/// mistyped address, and no top-level domain is numeric.
bool ends_in_numeric_label(std::string_view name) noexcept;

/// Why `text` cannot be a server name (SNI and the name a certificate is checked against), or
/// nullopt when it can: a DNS name, not an IP literal, whose last label is not all digits
/// ("mail.123" reads as a mistyped address). The phrase quotes the value.
std::optional<std::string> server_name_problem(std::string_view text);

/// Why `name` cannot be an EHLO/LHLO argument, or nullopt when it can: a domain (single labels
/// such as "localhost" allowed) or an RFC 5321 §4.1.3 address literal ("[192.0.2.1]",
/// "[IPv6:2001:db8::1]"). It is sent verbatim in "EHLO <name>\r\n", so nothing else passes.
std::optional<std::string> ehlo_name_problem(std::string_view name);

/// A port 1..65535 in decimal digits only; nullopt otherwise. With `allow_zero`, 0 too
/// ("any port" for a listener).
std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero = false) noexcept;

/// A probe target as an operator writes it: "ADDRESS", "IPv4:PORT" or "[IPv6]:PORT".
struct TargetAddress {
  std::string address;  ///< canonical IP literal, no brackets
  std::uint16_t port = 25;
  bool port_given = false;  ///< false: the caller chooses the port (the module's protocol's)
};

/// Parses a target (/probe's target parameter, the probe command's argument). Names are never
/// resolved here. Returns nullopt and sets `problem` (one line) when malformed.
std::optional<TargetAddress> parse_target_address(std::string_view text, std::string& problem);

/// "192.0.2.25:25", or "[2001:db8::25]:25" for IPv6: the `target` label and log field.
std::string format_endpoint(std::string_view ip, std::uint16_t port);

/// A listen address "HOST:PORT" taken apart. host is empty (every interface), or a canonical
/// IP literal without brackets ("localhost" becomes 127.0.0.1).
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
  bool ipv6() const noexcept { return is_ipv6_literal(host); }
};

/// Parses ":9725", "127.0.0.1:0", "[::1]:9725", "localhost:9725". Throws std::invalid_argument
/// ("listen address \"X\": why") for anything else: no port, a port above 65535, a name,
/// IPv6 without brackets.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace starttls_exporter::net
