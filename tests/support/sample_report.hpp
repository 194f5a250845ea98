#pragma once
/// \file
/// A TLS-RPT report as a sender would send it, for tests of what is kept and shown: one
/// policy (`type`, `domain`) with its summary and the failure details given.

#include <chrono>
#include <string>
#include <vector>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::testing {

struct SampleFailure {
  std::string result_type;
  std::string receiving_mx_hostname;
  std::uint64_t sessions = 0;
};

inline tlsrpt::Report sample_report(const std::string& id, const std::string& organization,
                                    std::chrono::system_clock::time_point end,
                                    const std::string& domain, std::uint64_t successful,
                                    const std::vector<SampleFailure>& failures,
                                    tlsrpt::PolicyType type = tlsrpt::PolicyType::sts) {
  tlsrpt::Report r;
  r.organization_name = organization;
  r.organization = tlsrpt::normalise_organization(organization);
  r.report_id = id;
  r.start = end - std::chrono::hours(24);
  r.end = end;
  tlsrpt::PolicyResult p;
  p.type = type;
  p.policy_domain = domain;
  p.successful_sessions = successful;
  for (const auto& f : failures) {
    p.failed_sessions += f.sessions;
    p.failures.push_back(
        {f.result_type, f.result_type, "", f.receiving_mx_hostname, "", f.sessions, "", ""});
  }
  r.policies.push_back(std::move(p));
  return r;
}

}  // namespace starttls_exporter::testing
