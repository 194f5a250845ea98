#pragma once
/// \file
/// SHA-256 for the areas that must not include GnuTLS themselves (src/lib/gnutls computes it).
/// Thread-safe.

#include <array>
#include <cstdint>
#include <string_view>

namespace starttls_exporter::tls {

using Sha256 = std::array<std::uint8_t, 32>;

/// SHA-256 of `bytes`. Throws std::runtime_error only if GnuTLS cannot hash at all.
Sha256 sha256(std::string_view bytes);

}  // namespace starttls_exporter::tls
