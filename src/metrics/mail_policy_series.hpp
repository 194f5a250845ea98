#pragma once
/// \file
/// The MTA-STS and TLS-RPT families of each domain (probe_mta_sts_*, probe_tlsrpt_*), built at
/// each scrape beside the domain families. Private to src/metrics.

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "starttls_exporter/dns/mail_path.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"

namespace starttls_exporter::metrics {

class MailPolicySeries {
 public:
  using Labels = std::vector<prometheus::ClientMetric::Label>;
  MailPolicySeries();
  /// One domain's series: its TXT records (from `path`, when resolved) and its fetched policy
  /// (when any), checked against the MX hosts of `probed`.
  void append(const Labels& base, const dns::MailPath* path, const mta_sts::PolicyState* policy,
              const dns::MailPath* probed);
  /// The families that got samples, in emission order; leaves this object empty.
  std::vector<prometheus::MetricFamily> take();
  static std::vector<std::string> names();
  prometheus::MetricFamily& operator[](const void* spec);

 private:
  void append_records(const Labels& base, const dns::MailPath& path);
  void append_policy(const Labels& base, const mta_sts::PolicyState& policy,
                     const dns::MailPath* hosts);
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace starttls_exporter::metrics
