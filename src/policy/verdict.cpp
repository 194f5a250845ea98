// policy::judge: the verification rule a sender applies, and its verdict.
#include "starttls_exporter/policy.hpp"

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

}  // namespace starttls_exporter::policy
