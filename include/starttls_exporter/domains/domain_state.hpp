#pragma once
/// \file
/// A mail domain's state as last published (src/domains): what the metrics, the landing page
/// and the reports read. Immutable once published; the result store only holds it.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/dns/mail_path.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"

namespace starttls_exporter::domains {

struct DomainState {
  config::Domain domain;
  /// The last resolution, failed or not. Null before the first one completed.
  std::shared_ptr<const dns::MailPath> path;
  /// The resolution the probed addresses come from: the last usable one, kept while refreshes
  /// fail, until dns.max_refresh has passed.
  std::shared_ptr<const dns::MailPath> probed;
  std::optional<SystemTime> resolved_at;  ///< when `path` completed
  double resolve_seconds = 0;
  /// The probed targets: (MX host, target key), in preference order.
  std::vector<std::pair<std::string, std::string>> targets;
  /// The MTA-STS policy as last fetched; null without a usable MTA-STS record.
  std::shared_ptr<const mta_sts::PolicyState> mta_sts;
};

}  // namespace starttls_exporter::domains
