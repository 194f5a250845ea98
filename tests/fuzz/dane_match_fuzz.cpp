// Fuzz target for the DANE matcher's own parsing (src/tls_client/dane_records.cpp): the
// tbsCertificate walk behind signed_by_key, and a "2 1 0" record's key, over server bytes.
// The input is read as a DER certificate (what a server sends) and, whole, as the key of a
// "2 1 0" record; material_of and association_matches run over whatever parses.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dane_match.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) != 0) return 0;
  const tls::CrtPtr certificate(raw);
  const gnutls_datum_t der{const_cast<unsigned char*>(data), static_cast<unsigned>(size)};
  if (gnutls_x509_crt_import(certificate.get(), &der, GNUTLS_X509_FMT_DER) != 0) return 0;
  const auto material = tls::material_of(certificate.get());
  tls::signed_by_key(certificate.get(), bytes);
  tls::signed_by_key(certificate.get(), material.spki);  // a self-signed input verifies
  for (std::uint8_t selector : {0, 1}) {
    for (std::uint8_t matching : {0, 1, 2}) {
      tls::association_matches({3, selector, matching, bytes}, material);
    }
  }
  return 0;
}
