// policy::judge_domain: one domain's verdict from its mail path and its addresses' results.
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::policy {

DomainVerdict judge_domain(const dns::MailPath* path,
                           const std::vector<const ProbeResult*>& latest) {
  DomainVerdict out;
  if (path) out.failures = path->failures;
  for (const ProbeResult* result : latest) {
    if (!result || !result->success) ++out.failing;
    if (result && result->failure && result->failure->reason == FailureReason::dane_failed) {
      out.failures.insert(dns::DomainFailure::dane_failed);
    }
  }
  if (out.failing > 0) out.failures.insert(dns::DomainFailure::address_failed);
  out.success = path && path->resolved && !latest.empty() && out.failures.empty();
  return out;
}

}  // namespace starttls_exporter::policy
