#include "starttls_exporter/lib/gnutls/digest.hpp"

#include <gnutls/crypto.h>

#include <stdexcept>

namespace starttls_exporter::tls {

Sha256 sha256(std::string_view bytes) {
  Sha256 out{};
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.data(), bytes.size(), out.data()) != 0) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  return out;
}

}  // namespace starttls_exporter::tls
