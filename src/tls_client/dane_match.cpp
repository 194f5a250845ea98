// check_dane: the facts of a presented chain that DANE needs, found with GnuTLS (digests,
// signatures, path verification, dates, names), judged by policy::judge_dane (RFC 7672 §3).
#include "dane_match.hpp"

#include <algorithm>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::tls {
namespace {

using dane::TlsaRecord;

bool in_date(gnutls_x509_crt_t certificate, SystemTime now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  return gnutls_x509_crt_get_activation_time(certificate) <= t &&
         t <= gnutls_x509_crt_get_expiration_time(certificate);
}

/// chain[0..anchor] verifies with chain[anchor] as its trust anchor (dates are judged apart).
bool verifies_to(const std::vector<CrtPtr>& chain, std::size_t anchor) {
  if (anchor == 0) return true;  // the leaf itself is the anchor-signed certificate
  gnutls_x509_trust_list_t raw = nullptr;
  if (gnutls_x509_trust_list_init(&raw, 0) != 0) return false;
  const TrustListPtr list(raw);
  gnutls_x509_crt_t anchor_crt = chain[anchor].get();
  if (gnutls_x509_trust_list_add_cas(list.get(), &anchor_crt, 1, 0) != 1) return false;
  std::vector<gnutls_x509_crt_t> path;
  for (std::size_t i = 0; i <= anchor; ++i) path.push_back(chain[i].get());
  unsigned status = 0;
  const unsigned flags =
      GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
  return gnutls_x509_trust_list_verify_crt2(list.get(), path.data(), path.size(), nullptr, 0, flags,
                                            &status, nullptr) == 0 &&
         status == 0;
}

/// RFC 7672 §3.2.2: a DANE-TA leaf must name the MX host or the TLSA base domain.
bool names_match(gnutls_x509_crt_t leaf, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return gnutls_x509_crt_check_hostname2(leaf, name.c_str(), 0) != 0;
  });
}

/// The path from the leaf up to chain[anchor]: does it verify, is it in date.
dane::TaPath ta_path(const std::vector<CrtPtr>& chain, std::size_t anchor, SystemTime now) {
  dane::TaPath path;
  path.verifies = verifies_to(chain, anchor);
  path.in_date = true;
  for (std::size_t i = 0; i <= anchor; ++i)
    path.in_date = path.in_date && in_date(chain[i].get(), now);
  return path;
}

/// What one usable record names in the chain: the leaf (DANE-EE), or for DANE-TA each issuer
/// sent that it matches (RFC 7671 §5.2.2 expects the server to send it), then, for "2 1 0",
/// which carries the whole key so the anchor need not be sent, each certificate its key
/// signed, highest first.
dane::RecordFacts record_facts(const TlsaRecord& record, const std::vector<CrtPtr>& chain,
                               const std::vector<CertificateMaterial>& material, SystemTime now) {
  dane::RecordFacts facts;
  if (record.usage == 3 || record.usage == 1) {
    facts.leaf_matches = association_matches(record, material.front());
    return facts;
  }
  if (record.usage == 0) {  // PKIX-TA: a CA certificate sent; PKIX validation judges the path
    for (std::size_t d = 1; d < chain.size(); ++d) {
      if (association_matches(record, material[d])) facts.ta_paths.push_back(dane::TaPath{});
    }
    return facts;
  }
  for (std::size_t d = 1; d < chain.size(); ++d) {
    if (association_matches(record, material[d])) facts.ta_paths.push_back(ta_path(chain, d, now));
  }
  if (record.selector == 1 && record.matching_type == 0) {
    for (std::size_t k = chain.size(); k-- > 0;) {
      if (signed_by_key(chain[k].get(), record.data))
        facts.ta_paths.push_back(ta_path(chain, k, now));
    }
  }
  return facts;
}

/// "U 1 1 HEX" for `certificate`: SPKI, SHA2-256, the form RFC 7671 §5.1 recommends, with
/// usage 3 (DANE-EE) for the leaf and 2 (DANE-TA) for an issuer. Empty without a key.
std::string spki_record(gnutls_x509_crt_t certificate, int usage) {
  const CertificateMaterial material = material_of(certificate);
  if (material.spki.empty()) return {};
  return std::to_string(usage) + " 1 1 " + sha256_hex(material.spki);
}

}  // namespace

dane::DaneCheck check_dane(const std::vector<CrtPtr>& chain,
                           const dane::DaneExpectation& expectation, SystemTime now,
                           bool pkix_verified) {
  dane::ChainFacts facts;
  facts.presented = !chain.empty();
  facts.pkix_verified = pkix_verified;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    facts.chain_records.push_back(spki_record(chain[i].get(), i == 0 ? 3 : 2));
  }
  if (expectation.tlsa.status == dane::TlsaStatus::secure && !chain.empty()) {
    facts.leaf_names_match = names_match(chain.front().get(), expectation.reference_names);
    std::vector<CertificateMaterial> material;
    for (const auto& certificate : chain) material.push_back(material_of(certificate.get()));
    for (const auto& record :
         policy::usable_records(expectation.tlsa.records, expectation.tlsa.rules)) {
      facts.records.push_back(record_facts(record, chain, material, now));
    }
  }
  return policy::judge_dane(expectation.tlsa, facts);
}

}  // namespace starttls_exporter::tls
