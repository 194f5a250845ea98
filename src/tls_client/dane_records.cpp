// The record side of DANE matching: which TLSA records are usable, what a record is computed
// over, and the signature check for a trust-anchor key the server did not send.

#include <algorithm>
#include <array>
#include <optional>

#include "dane_match.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"

namespace starttls_exporter::tls {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(const gnutls_datum_t& datum) {
  return Bytes(datum.data, datum.data + datum.size);
}

/// True when `data` holds exactly the bytes of `digest`.
template <typename Digest>
bool equals(const Bytes& data, const Digest& digest) {
  return std::equal(data.begin(), data.end(), digest.begin(), digest.end());
}

/// The tbsCertificate element of a DER certificate (its header included): the bytes the
/// issuer signed. Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... } (RFC 5280 §4.1).
std::optional<gnutls_datum_t> tbs_of(const gnutls_datum_t& der) {
  // Reads one DER header at `at`: returns the content length and moves `at` past the header.
  const auto header = [&](std::size_t& at) -> std::optional<std::size_t> {
    if (at + 2 > der.size || der.data[at] != 0x30) return std::nullopt;
    std::size_t length = der.data[at + 1];
    at += 2;
    if (length & 0x80) {
      const std::size_t octets = length & 0x7f;
      if (octets == 0 || octets > 4 || at + octets > der.size) return std::nullopt;
      length = 0;
      for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | der.data[at++];
    }
    if (length > der.size - at) return std::nullopt;
    return length;
  };
  std::size_t at = 0;
  if (!header(at)) return std::nullopt;
  const std::size_t tbs_start = at;
  const auto tbs_length = header(at);
  if (!tbs_length) return std::nullopt;
  return gnutls_datum_t{der.data + tbs_start, static_cast<unsigned>(at - tbs_start + *tbs_length)};
}

}  // namespace

CertificateMaterial material_of(gnutls_x509_crt_t certificate) {
  CertificateMaterial out;
  gnutls_datum_t der{};
  if (gnutls_x509_crt_export2(certificate, GNUTLS_X509_FMT_DER, &der) == 0) {
    const GnutlsBytes owned(der.data);
    out.certificate = bytes_of(der);
  }
  gnutls_pubkey_t raw = nullptr;
  if (gnutls_pubkey_init(&raw) != 0) return out;
  const PubkeyPtr key(raw);
  gnutls_datum_t spki{};
  if (gnutls_pubkey_import_x509(key.get(), certificate, 0) == 0 &&
      gnutls_pubkey_export2(key.get(), GNUTLS_X509_FMT_DER, &spki) == 0) {
    const GnutlsBytes owned(spki.data);
    out.spki = bytes_of(spki);
  }
  return out;
}

bool association_matches(const dane::TlsaRecord& record, const CertificateMaterial& material) {
  const Bytes& input = record.selector == 0 ? material.certificate : material.spki;
  if (input.empty()) return false;
  switch (record.matching_type) {
    case 0:
      return record.data == input;
    case 1:
      return equals(record.data, sha256(input));
    case 2:
      return equals(record.data, sha512(input));
    default:
      return false;
  }
}

bool signed_by_key(gnutls_x509_crt_t certificate, const std::vector<std::uint8_t>& spki) {
  gnutls_pubkey_t raw = nullptr;
  if (gnutls_pubkey_init(&raw) != 0) return false;
  const PubkeyPtr key(raw);
  const gnutls_datum_t key_der{const_cast<unsigned char*>(spki.data()),
                               static_cast<unsigned>(spki.size())};
  if (gnutls_pubkey_import(key.get(), &key_der, GNUTLS_X509_FMT_DER) != 0) return false;
  gnutls_datum_t der{};
  if (gnutls_x509_crt_export2(certificate, GNUTLS_X509_FMT_DER, &der) != 0) return false;
  const GnutlsBytes owned(der.data);
  const auto tbs = tbs_of(der);
  std::array<char, 1024> signature{};
  std::size_t signature_size = signature.size();
  if (!tbs || gnutls_x509_crt_get_signature(certificate, signature.data(), &signature_size) != 0) {
    return false;
  }
  const int algorithm = gnutls_x509_crt_get_signature_algorithm(certificate);
  const gnutls_datum_t signature_datum{reinterpret_cast<unsigned char*>(signature.data()),
                                       static_cast<unsigned>(signature_size)};
  return gnutls_pubkey_verify_data2(key.get(), static_cast<gnutls_sign_algorithm_t>(algorithm), 0,
                                    &*tbs, &signature_datum) >= 0;
}

}  // namespace starttls_exporter::tls
