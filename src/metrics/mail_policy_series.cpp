// The MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) series of each domain: its TXT records as a
// sender reads them, and the policy as last fetched, checked against its MX hosts.
#include "mail_policy_series.hpp"

#include <algorithm>

#include "family_parts.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"

namespace starttls_exporter::metrics {
namespace {

using namespace parts;

// Names are the interface (README "MTA-STS and TLS-RPT").
constexpr Spec kStsFailure{"probe_mta_sts_failure_info",
                           "1 for the reason the domain has no usable MTA-STS record at "
                           "_mta-sts.DOMAIN (no_record, multiple_records, record_invalid, "
                           "lookup_failed); absent when it has one."};
constexpr Spec kStsRecord{"probe_mta_sts_record_info",
                          "1, with the id of the domain's MTA-STS record (a new id tells "
                          "senders to fetch the policy again)."};
constexpr Spec kStsSecure{"probe_mta_sts_record_dnssec_secure",
                          "1 when the _mta-sts TXT answer validated secure (MTA-STS does not "
                          "need it), else 0."};
constexpr Spec kPolicyValid{"probe_mta_sts_policy_valid",
                            "1 when the MTA-STS policy was fetched and is valid (RFC 8461 §3.2), "
                            "else 0; absent without a usable MTA-STS record."};
constexpr Spec kPolicyMode{"probe_mta_sts_mode_info", "1, with the valid policy's mode."};
constexpr Spec kPolicyMaxAge{"probe_mta_sts_max_age_seconds", "The valid policy's max_age."};
constexpr Spec kPolicyMismatch{"probe_mta_sts_mx_mismatch",
                               "MX hosts that match none of the policy's mx patterns (enforce "
                               "and testing policies)."};
constexpr Spec kPolicyUnmatched{"probe_mta_sts_unmatched_mx_info",
                                "1 per MX host that matches none of the policy's mx patterns."};
constexpr Spec kPolicyProblem{"probe_mta_sts_policy_problem_info",
                              "1 per way the fetched policy breaks RFC 8461 §3.2."};
constexpr Spec kPolicyCert{"probe_mta_sts_policy_cert_expiry_timestamp_seconds",
                           "NotAfter of the policy host's certificate, Unix seconds."};
constexpr Spec kPolicyFetch{"probe_mta_sts_policy_fetch_duration_seconds",
                            "How long the last policy fetch took, seconds."};
constexpr Spec kPolicyChanged{"probe_mta_sts_policy_changed_without_new_id",
                              "1 when the policy body changed while the TXT id stayed the same: "
                              "senders that cached the old policy keep it for up to max_age."};
constexpr Spec kRptValid{"probe_tlsrpt_record_valid",
                         "1 when _smtp._tls.DOMAIN holds exactly one valid TLS-RPT record with "
                         "a mailto: or https: rua, else 0."};
constexpr Spec kRptFailure{"probe_tlsrpt_failure_info",
                           "1 for the reason the TLS-RPT record is not valid (no_record, "
                           "multiple_records, record_invalid, lookup_failed)."};

constexpr const Spec* kAll[] = {
    &kStsFailure,   &kStsRecord,      &kStsSecure,       &kPolicyValid,   &kPolicyMode,
    &kPolicyMaxAge, &kPolicyMismatch, &kPolicyUnmatched, &kPolicyProblem, &kPolicyCert,
    &kPolicyFetch,  &kPolicyChanged,  &kRptValid,        &kRptFailure};

}  // namespace

MailPolicySeries::MailPolicySeries() {
  for (const Spec* spec : kAll) families_.push_back(family(*spec, prometheus::MetricType::Gauge));
}

prometheus::MetricFamily& MailPolicySeries::operator[](const void* spec) {
  for (std::size_t i = 0; i < std::size(kAll); ++i) {
    if (kAll[i] == spec) return families_[i];
  }
  return families_.front();  // not reached: every spec is in kAll
}

std::vector<prometheus::MetricFamily> MailPolicySeries::take() {
  std::vector<prometheus::MetricFamily> out;
  for (auto& f : families_) {
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> MailPolicySeries::names() {
  std::vector<std::string> out;
  for (const Spec* spec : kAll) out.emplace_back(spec->name);
  return out;
}

namespace {
/// The record failure a TXT answer gives before parsing: none when it holds records.
std::optional<mta_sts::RecordFailure> lookup_failure(const dns::TxtLookup& txt) {
  switch (txt.outcome) {
    case dns::Outcome::data:
      return std::nullopt;
    case dns::Outcome::nodata:
    case dns::Outcome::nxdomain:
      return mta_sts::RecordFailure::no_record;
    default:
      return mta_sts::RecordFailure::lookup_failed;
  }
}

}  // namespace

/// MTA-STS's and TLS-RPT's TXT records (RFC 8461 §3.1, RFC 8460 §3), parsed at each scrape:
/// a few hundred bytes per domain.
void MailPolicySeries::append_records(const Labels& base, const dns::MailPath& path) {
  auto& out = *this;
  if (path.mta_sts_txt) {
    auto failure = lookup_failure(*path.mta_sts_txt);
    if (!failure) {
      const auto parsed = mta_sts::parse_sts_records(path.mta_sts_txt->texts);
      failure = parsed.failure;
      if (parsed.record) add(out[&kStsRecord], with(base, "id", parsed.record->id), 1);
    }
    if (failure) add(out[&kStsFailure], with(base, "reason", std::string(to_string(*failure))), 1);
    add(out[&kStsSecure], base, path.mta_sts_txt->secure ? 1 : 0);
  }
  if (path.tlsrpt_txt) {
    auto failure = lookup_failure(*path.tlsrpt_txt);
    if (!failure) failure = mta_sts::parse_tlsrpt_records(path.tlsrpt_txt->texts).failure;
    add(out[&kRptValid], base, failure ? 0 : 1);
    if (failure) add(out[&kRptFailure], with(base, "reason", std::string(to_string(*failure))), 1);
  }
}

/// The fetched policy (RFC 8461 §3.3) and the MX hosts it is checked against (§4.1).
void MailPolicySeries::append_policy(const Labels& base, const mta_sts::PolicyState& policy,
                                     const dns::MailPath* hosts) {
  auto& out = *this;
  const auto failure = [&](std::string_view reason) {
    add(out[&kStsFailure], with(base, "reason", std::string(reason)), 1);
  };
  if (policy.failure) failure(to_string(*policy.failure));
  if (policy.cert_not_after) add(out[&kPolicyCert], base, seconds(*policy.cert_not_after));
  add(out[&kPolicyFetch], base, policy.fetch_seconds);
  add(out[&kPolicyChanged], base, policy.changed_without_new_id ? 1 : 0);
  const auto& parsed = policy.parse.policy;
  add(out[&kPolicyValid], base, !policy.failure && parsed ? 1 : 0);
  if (policy.failure) return;
  if (!parsed) failure("policy_invalid");
  for (const auto problem : policy.parse.problems) {
    add(out[&kPolicyProblem], with(base, "problem", std::string(to_string(problem))), 1);
  }
  if (!parsed) return;
  add(out[&kPolicyMode], with(base, "mode", std::string(to_string(parsed->mode))), 1);
  add(out[&kPolicyMaxAge], base, static_cast<double>(parsed->max_age));
  if (parsed->mode == mta_sts::Mode::none || !hosts) return;
  std::size_t unmatched = 0;
  for (const auto& host : hosts->hosts) {
    const bool matched = std::any_of(parsed->mx.begin(), parsed->mx.end(), [&](const auto& p) {
      return mta_sts::mx_matches(p, host.name);
    });
    if (matched) continue;
    ++unmatched;
    add(out[&kPolicyUnmatched], with(base, "mx", host.name), 1);
  }
  add(out[&kPolicyMismatch], base, static_cast<double>(unmatched));
  if (unmatched > 0) failure("mx_mismatch");
}

void MailPolicySeries::append(const Labels& base, const dns::MailPath* path,
                              const mta_sts::PolicyState* policy, const dns::MailPath* probed) {
  if (path) append_records(base, *path);
  if (policy) append_policy(base, *policy, probed);
}

}  // namespace starttls_exporter::metrics
