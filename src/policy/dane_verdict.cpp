// judge_dane: DANE's verdict from the TLSA lookup and the facts of the presented chain
// (RFC 7672 §2.2, §3 for SMTP; RFC 7671 and RFC 7673 for other services).
#include <algorithm>

#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::policy {
namespace {

using dane::DaneFailure;

/// One record's outcome: whether it matched a presented certificate (or, for "2 1 0", signed
/// one), whether it authenticated the server, and the first DANE-TA failure on the way.
struct RecordOutcome {
  bool presented = false;
  bool authenticated = false;
  std::optional<DaneFailure> ta_failure;
};

/// RFC 7672 §3.2.2: the path verifies, every certificate on it is in date, and the leaf names
/// the MX host, its CNAME target or the TLSA base domain; checked in that order.
std::optional<DaneFailure> ta_path_failure(const dane::TaPath& path, bool leaf_names_match) {
  if (!path.verifies) return DaneFailure::ta_chain_invalid;
  if (!path.in_date) return DaneFailure::ta_expired;
  if (!leaf_names_match) return DaneFailure::ta_name_mismatch;
  return std::nullopt;
}

/// PKIX-TA (0) and PKIX-EE (1), services only: the record must match (a certificate sent above
/// the leaf, or the leaf) and the chain must also pass PKIX validation (RFC 6698 §2.1.1).
RecordOutcome judge_pkix_record(const dane::TlsaRecord& record, const dane::RecordFacts& facts,
                                bool pkix_verified) {
  RecordOutcome out;
  out.presented = record.usage == 1 ? facts.leaf_matches : !facts.ta_paths.empty();
  out.authenticated = out.presented && pkix_verified;
  if (out.presented && !pkix_verified) out.ta_failure = DaneFailure::pkix_invalid;
  return out;
}

RecordOutcome judge_record(const dane::TlsaRecord& record, const dane::RecordFacts& facts,
                           const dane::ChainFacts& chain) {
  RecordOutcome out;
  if (record.usage == 3) {  // DANE-EE: the leaf only; names and dates do not apply (§3.1.1)
    out.presented = out.authenticated = facts.leaf_matches;
    return out;
  }
  if (record.usage < 2) return judge_pkix_record(record, facts, chain.pkix_verified);
  const bool leaf_names_match = chain.leaf_names_match;
  for (const auto& path : facts.ta_paths) {
    out.presented = true;
    const auto failure = ta_path_failure(path, leaf_names_match);
    if (!failure) {
      out.authenticated = true;
      break;
    }
    if (!out.ta_failure) out.ta_failure = failure;
  }
  return out;
}

}  // namespace

dane::DaneCheck judge_dane(const dane::TlsaLookup& tlsa, const dane::ChainFacts& chain) {
  dane::DaneCheck out;
  out.status = tlsa.status;
  out.tlsa_secure = tlsa.secure;
  out.tlsa_signature_expiry = tlsa.signature_expiry;
  out.chain_records = chain.chain_records;
  if (!out.chain_records.empty()) out.leaf_record = out.chain_records.front();
  if (out.status == dane::TlsaStatus::bogus || out.status == dane::TlsaStatus::failed) {
    out.applies = true;  // §2.2: the sender defers; never "no DANE"
    out.failure = out.status == dane::TlsaStatus::bogus ? DaneFailure::tlsa_bogus
                                                        : DaneFailure::tlsa_lookup_failed;
    return out;
  }
  if (out.status != dane::TlsaStatus::secure) return out;
  const auto usable = usable_records(tlsa.records, tlsa.rules);
  out.usable_records = usable.size();
  out.applies = !usable.empty();  // §2.2: no usable record, DANE does not apply
  if (!out.applies) return out;
  bool any_ta = false, any_ee = false, ta_ok = false, ee_ok = false, spare_ee = false;
  std::optional<DaneFailure> ta_failure;
  for (std::size_t i = 0; i < usable.size(); ++i) {
    const dane::TlsaRecord& record = usable[i];
    const RecordOutcome judged = chain.presented && i < chain.records.size()
                                     ? judge_record(record, chain.records[i], chain)
                                     : RecordOutcome{};
    const bool ta = record.usage == 0 || record.usage == 2;  // an anchor, not the leaf
    (ta ? any_ta : any_ee) = true;
    if (!judged.presented) ++out.unmatched_records;
    if (!ta && !judged.presented) spare_ee = true;
    if (!ta_failure) ta_failure = judged.ta_failure;
    if (!judged.authenticated) continue;
    (ta ? ta_ok : ee_ok) = true;
    dane::TlsaRecord matched = record;
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

}  // namespace starttls_exporter::policy
