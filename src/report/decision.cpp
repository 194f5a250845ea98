// decided_by: one address's verdict as the rule a sender applied (RFC 7672, RFC 8461).
#include "decision.hpp"

#include "format.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::report {
namespace {

std::string matched_text(const dane::DaneCheck& dane) {
  std::vector<std::string> parts;
  for (const auto& r : dane.matched_records) {
    parts.push_back(std::to_string(r.usage) + " " + std::to_string(r.selector) + " " +
                    std::to_string(r.matching_type) +
                    (r.usage == 3 ? " matched the leaf" : " matched an issuer sent"));
  }
  return join(parts);
}

std::string dane_text(const dane::DaneCheck& dane) {
  if (dane.matched) return "DANE applies: " + matched_text(dane);
  if (dane.failure == dane::DaneFailure::tlsa_bogus) {
    return "DANE: the TLSA lookup is bogus, senders defer";
  }
  if (dane.failure == dane::DaneFailure::tlsa_lookup_failed) {
    return "DANE: the TLSA lookup failed, senders defer";
  }
  std::string out = "DANE applies: " + std::string(to_string(*dane.failure)) + ", none of " +
                    std::to_string(dane.usable_records) + " usable TLSA records authenticates";
  if (!dane.leaf_record.empty()) out += "; the served leaf needs " + dane.leaf_record;
  return out;
}

std::string pkix_text(const ProbeResult& result, const std::string& name) {
  if (result.verify && result.verify->verified) return "PKIX verified for " + name;
  std::vector<std::string> reasons;
  if (result.verify) {
    for (const auto r : result.verify->reasons) reasons.emplace_back(to_string(r));
  }
  return "PKIX failed for " + name + " (" + join(reasons) + ")";
}

std::string mta_sts_text(const policy::MtaStsRequirement& rule, const std::string& host,
                         const mta_sts::PolicyState* policy) {
  if (rule.mx_matches) return "MTA-STS enforce: " + host + " matches " + rule.matched_pattern;
  std::string out = "MTA-STS enforce: " + host + " matches no pattern";
  if (policy && policy->parse.policy) out += " (mx: " + join(policy->parse.policy->mx) + ")";
  return out;
}

}  // namespace

std::string decided_by(const domains::AddressProbe& address, const mta_sts::PolicyState* policy) {
  if (!address.result) return "not probed yet";
  const ProbeResult& result = *address.result;
  const prober::ProbeSpec& spec = address.target.spec;
  if (!result.policies) {
    const Failure* f = result.failure ? &*result.failure : nullptr;
    return "no TLS handshake" +
           (f ? ": " + std::string(to_string(f->phase)) + " " + std::string(to_string(f->reason))
              : std::string());
  }
  std::vector<std::string> parts;
  const AppliedPolicies& applied = *result.policies;
  if (applied.dane && result.dane) parts.push_back(dane_text(*result.dane));
  if (applied.mta_sts && spec.mta_sts) {
    parts.push_back(mta_sts_text(*spec.mta_sts, spec.server_name, policy));
    if (spec.mta_sts->mx_matches) parts.push_back(pkix_text(result, spec.server_name));
  }
  if (applied.pkix) parts.push_back(pkix_text(result, spec.server_name));
  if (applied.dane && !applied.mta_sts) parts.push_back("PKIX not required");
  if (result.failure && result.failure->phase == Phase::verify &&
      result.failure->reason == FailureReason::dane_failed && !result.key_types.empty() &&
      result.dane && result.dane->failure == dane::DaneFailure::key_type_no_match) {
    parts.push_back(result.failure->detail);
  }
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : "; ") + part;
  return line;
}

std::vector<PublishedRecord> published_records(const dane::TlsaLookup& tlsa) {
  std::vector<PublishedRecord> out;
  const auto judged = policy::judge_tlsa_records(tlsa.records, tlsa.rules);
  for (std::size_t i = 0; i < tlsa.records.size(); ++i) {
    PublishedRecord record{policy::format_tlsa(tlsa.records[i]), !judged[i], {}};
    if (judged[i]) record.why_not = std::string(policy::to_string(*judged[i]));
    out.push_back(std::move(record));
  }
  return out;
}

std::string tlsa_status_text(const dane::TlsaLookup& tlsa) {
  switch (tlsa.status) {
    case dane::TlsaStatus::not_applicable:
      return "not looked up (the MX or address answers are not DNSSEC-secure)";
    case dane::TlsaStatus::none:
      return "none published";
    case dane::TlsaStatus::secure:
      return "secure";
    case dane::TlsaStatus::insecure:
      return "insecure (ignored, as senders ignore it)";
    case dane::TlsaStatus::bogus:
      return "bogus: " + tlsa.detail;
    case dane::TlsaStatus::failed:
      return "lookup failed: " + tlsa.detail;
  }
  return "unknown";
}

}  // namespace starttls_exporter::report
