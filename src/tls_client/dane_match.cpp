// check_dane: a presented chain judged against an MX host's TLSA records (RFC 7672 §3).
#include "dane_match.hpp"

#include <algorithm>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::tls {
namespace {

using dane::DaneFailure;
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

/// The DANE-TA path from the leaf up to chain[anchor] (a certificate matching the record, or
/// one the record's key signed): nullopt when it authenticates the server.
std::optional<DaneFailure> judge_ta_path(const std::vector<CrtPtr>& chain, std::size_t anchor,
                                         const std::vector<std::string>& names, SystemTime now) {
  if (!verifies_to(chain, anchor)) return DaneFailure::ta_chain_invalid;
  for (std::size_t i = 0; i <= anchor; ++i) {
    if (!in_date(chain[i].get(), now)) return DaneFailure::ta_expired;
  }
  if (!names_match(chain.front().get(), names)) return DaneFailure::ta_name_mismatch;
  return std::nullopt;
}

/// One record against the chain: whether it matched a presented certificate (or, for
/// "2 1 0", signed one), and whether it authenticated the server.
struct RecordOutcome {
  bool presented = false;
  bool authenticated = false;
  std::optional<DaneFailure> ta_failure;
};

RecordOutcome judge_record(const TlsaRecord& record, const std::vector<CrtPtr>& chain,
                           const std::vector<CertificateMaterial>& material,
                           const std::vector<std::string>& names, SystemTime now) {
  RecordOutcome out;
  if (record.usage == 3) {  // DANE-EE: the leaf only; names and dates do not apply (§3.1.1)
    out.presented = out.authenticated = association_matches(record, material.front());
    return out;
  }
  const auto try_anchor = [&](std::size_t anchor) {
    out.presented = true;
    const auto failure = judge_ta_path(chain, anchor, names, now);
    if (!failure) out.authenticated = true;
    if (!out.ta_failure) out.ta_failure = failure;
  };
  // DANE-TA: an issuer the server sent (depth 1 and up; RFC 7671 §5.2.2 expects the server
  // to send it).
  for (std::size_t d = 1; d < chain.size() && !out.authenticated; ++d) {
    if (association_matches(record, material[d])) try_anchor(d);
  }
  // "2 1 0" carries the whole key, so the anchor need not be sent: the highest certificate
  // it signed starts the path.
  if (!out.authenticated && record.selector == 1 && record.matching_type == 0) {
    for (std::size_t k = chain.size(); k-- > 0 && !out.authenticated;) {
      if (signed_by_key(chain[k].get(), record.data)) try_anchor(k);
    }
  }
  return out;
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
                           const dane::DaneExpectation& expectation, SystemTime now) {
  dane::DaneCheck out;
  out.status = expectation.tlsa.status;
  out.tlsa_secure = expectation.tlsa.secure;
  out.tlsa_signature_expiry = expectation.tlsa.signature_expiry;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    out.chain_records.push_back(spki_record(chain[i].get(), i == 0 ? 3 : 2));
  }
  if (!chain.empty()) out.leaf_record = out.chain_records.front();
  if (out.status == dane::TlsaStatus::bogus || out.status == dane::TlsaStatus::failed) {
    out.applies = true;  // RFC 7672 §2.2: the sender defers; never "no DANE"
    out.failure = out.status == dane::TlsaStatus::bogus ? DaneFailure::tlsa_bogus
                                                        : DaneFailure::tlsa_lookup_failed;
    return out;
  }
  if (out.status != dane::TlsaStatus::secure) return out;
  const auto usable = policy::usable_records(expectation.tlsa.records);
  out.usable_records = usable.size();
  out.applies = !usable.empty();  // RFC 7672 §2.2: no usable record, DANE does not apply
  if (!out.applies) return out;
  std::vector<CertificateMaterial> material;
  for (const auto& certificate : chain) material.push_back(material_of(certificate.get()));
  bool any_ta = false, any_ee = false, ta_ok = false, ee_ok = false, spare_ee = false;
  std::optional<DaneFailure> ta_failure;
  for (const auto& record : usable) {
    const RecordOutcome judged =
        chain.empty() ? RecordOutcome{}
                      : judge_record(record, chain, material, expectation.reference_names, now);
    (record.usage == 2 ? any_ta : any_ee) = true;
    if (!judged.presented) ++out.unmatched_records;
    if (record.usage == 3 && !judged.presented) spare_ee = true;
    if (!ta_failure) ta_failure = judged.ta_failure;
    if (!judged.authenticated) continue;
    (record.usage == 2 ? ta_ok : ee_ok) = true;
    TlsaRecord matched = record;
    matched.data.clear();
    if (std::find(out.matched_records.begin(), out.matched_records.end(), matched) ==
        out.matched_records.end()) {
      out.matched_records.push_back(std::move(matched));
    }
  }
  out.matched = ta_ok || ee_ok;
  // A new leaf from the same CA keeps a DANE-TA match; a DANE-EE match survives a key change
  // only when the next key's record is already published (it matches nothing today).
  out.rollover_ready = ta_ok || (ee_ok && spare_ee);
  if (!out.matched) {
    out.failure = ta_failure
                      ? *ta_failure
                      : (any_ta && !any_ee ? DaneFailure::ta_not_presented : DaneFailure::no_match);
  }
  return out;
}

}  // namespace starttls_exporter::tls
