#pragma once
/// \file
/// The project's one SHA-256 (and the SHA-512 DANE matching type 2 needs), computed by GnuTLS
/// here so that no other area hashes on its own and the areas that must not include GnuTLS can
/// still hash. Thread-safe.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace starttls_exporter::tls {

using Sha256 = std::array<std::uint8_t, 32>;
using Sha512 = std::array<std::uint8_t, 64>;

/// SHA-256 of `bytes`. Throws std::runtime_error only if GnuTLS cannot hash at all.
Sha256 sha256(std::span<const std::uint8_t> bytes);
Sha256 sha256(std::string_view bytes);

/// SHA-256 of `bytes` in lower-case hex: the certificate fingerprints of the metrics.
std::string sha256_hex(std::span<const std::uint8_t> bytes);

/// SHA-512 of `bytes` (TLSA matching type 2, RFC 6698 §2.1.3). Throws as sha256 does.
Sha512 sha512(std::span<const std::uint8_t> bytes);

}  // namespace starttls_exporter::tls
