#include "starttls_exporter/lib/gnutls/digest.hpp"

#include <gnutls/crypto.h>

#include <stdexcept>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::tls {
namespace {

template <typename Digest>
Digest hash(gnutls_digest_algorithm_t algorithm, const void* data, std::size_t size) {
  Digest out{};
  if (gnutls_hash_fast(algorithm, data, size, out.data()) != 0) {
    throw std::runtime_error("GnuTLS cannot compute a digest");
  }
  return out;
}

}  // namespace

Sha256 sha256(std::span<const std::uint8_t> bytes) {
  return hash<Sha256>(GNUTLS_DIG_SHA256, bytes.data(), bytes.size());
}

Sha256 sha256(std::string_view bytes) {
  return hash<Sha256>(GNUTLS_DIG_SHA256, bytes.data(), bytes.size());
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  const Sha256 digest = sha256(bytes);
  return text::to_hex(digest);
}

Sha512 sha512(std::span<const std::uint8_t> bytes) {
  return hash<Sha512>(GNUTLS_DIG_SHA512, bytes.data(), bytes.size());
}

}  // namespace starttls_exporter::tls
