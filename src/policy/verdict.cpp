// policy::judge: the verification rule a sender applies, and its verdict.
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::policy {
namespace {

Failure pkix_failure(const VerifyVerdict& pkix) {
  const FailureReason reason =
      pkix.reasons.empty() ? FailureReason::cert_invalid : pkix.reasons.front();
  std::string detail = "certificate verification failed:";
  for (const auto r : pkix.reasons) detail += " " + std::string(to_string(r));
  return Failure{Phase::verify, reason, 0, std::move(detail)};
}

Failure dane_failure(const dane::DaneCheck& dane) {
  std::string detail = "DANE: ";
  detail += dane.failure ? to_string(*dane.failure) : std::string_view("no_match");
  if (dane.usable_records > 0) {
    detail += " (" + std::to_string(dane.usable_records) + " usable TLSA records)";
  }
  return Failure{Phase::verify, FailureReason::dane_failed, 0, std::move(detail)};
}

}  // namespace

Verdict judge(const VerifyVerdict& pkix, const std::optional<dane::DaneCheck>& dane,
              const std::optional<MtaStsRequirement>& mta_sts) {
  if (!mta_sts) return judge(pkix, dane);
  Verdict out;
  if (dane && dane->applies) {
    out.applied.dane = true;
    if (!dane->matched) out.failure = dane_failure(*dane);
  }
  out.applied.mta_sts = true;
  if (out.failure) return out;
  if (!mta_sts->mx_matches) {
    out.failure = Failure{Phase::verify, FailureReason::mta_sts_mx_mismatch, 0,
                          "MTA-STS: the MX host matches no mx pattern of the enforce policy"};
  } else if (!pkix.verified) {
    out.failure = pkix_failure(pkix);
  }
  return out;
}

Verdict judge(const VerifyVerdict& pkix, const std::optional<dane::DaneCheck>& dane) {
  Verdict out;
  if (dane && dane->applies) {
    out.applied.dane = true;
    if (!dane->matched) out.failure = dane_failure(*dane);
    return out;
  }
  out.applied.pkix = true;
  if (!pkix.verified) out.failure = pkix_failure(pkix);
  return out;
}

std::optional<Failure> judge_key_types(dane::DaneCheck& main,
                                       const std::vector<KeyTypeHandshake>& key_types) {
  if (!main.applies || !main.matched) return std::nullopt;
  std::string unmatched;
  for (const auto& handshake : key_types) {
    if (!handshake.dane || !handshake.dane->applies || handshake.dane->matched) continue;
    unmatched += (unmatched.empty() ? "" : ", ") + std::string(to_string(handshake.key_type));
  }
  if (unmatched.empty()) return std::nullopt;
  main.failure = dane::DaneFailure::key_type_no_match;
  return Failure{
      Phase::verify, FailureReason::dane_failed, 0,
      "DANE: key_type_no_match (the " + unmatched + " certificate matches no usable TLSA record)"};
}

}  // namespace starttls_exporter::policy
