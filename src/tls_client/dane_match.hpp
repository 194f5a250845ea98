#pragma once
/// \file
/// The GnuTLS side of DANE (RFC 7672 §3, RFC 7671): what a TLSA record is computed over, whether
/// it matches a certificate or signed one, whether a path verifies and is in date, whether the
/// leaf names a reference name. policy::judge_dane turns those facts into the verdict. Private
/// to src/tls_client; never throws except std::bad_alloc.
///
/// Matching is done with GnuTLS primitives rather than gnutls-dane: libgnutls-dane treats usage
/// 0 like 2 and does not apply RFC 7672 §3.2.2's name rule to DANE-TA.

#include <cstdint>
#include <vector>

#include "handles.hpp"
#include "starttls_exporter/core/dane.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::tls {

/// The DER forms a TLSA record is computed over, for one certificate.
struct CertificateMaterial {
  std::vector<std::uint8_t> certificate;  ///< selector 0
  std::vector<std::uint8_t> spki;         ///< selector 1: SubjectPublicKeyInfo
};
CertificateMaterial material_of(gnutls_x509_crt_t certificate);

/// Whether `record`'s association data is `material`'s for its selector and matching type.
bool association_matches(const dane::TlsaRecord& record, const CertificateMaterial& material);

/// True when `certificate` carries a signature made by the key in `spki` (DER
/// SubjectPublicKeyInfo): how a "2 1 0" trust anchor that the server did not send is found.
bool signed_by_key(gnutls_x509_crt_t certificate, const std::vector<std::uint8_t>& spki);

/// DANE's verdict for `chain` (as sent, leaf first) under `expectation`, at `now`: its facts,
/// judged by policy::judge_dane. `pkix_verified`: the chain passed PKIX validation, which
/// PKIX-TA and PKIX-EE records (services only) need besides their match.
dane::DaneCheck check_dane(const std::vector<CrtPtr>& chain,
                           const dane::DaneExpectation& expectation, SystemTime now,
                           bool pkix_verified = false);

}  // namespace starttls_exporter::tls
