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
#include "starttls_exporter/scheduler/scheduler.hpp"

namespace starttls_exporter::domains {

struct DomainState {
  config::Domain domain;
  std::uint16_t port =
      25;  ///< the port its addresses are probed on (the entry's, else the module's)
  /// The last resolution, failed or not. Null before the first one completed.
  std::shared_ptr<const dns::MailPath> path;
  /// The resolution the probed addresses come from: the last usable one, kept while refreshes
  /// fail, until dns.max_refresh has passed.
  std::shared_ptr<const dns::MailPath> probed;
  std::optional<SystemTime> resolved_at;  ///< when `path` completed
  double resolve_seconds = 0;
  /// The probed targets, in preference order, with the specs they are probed with (labels, the
  /// MX host's DANE expectation, the MTA-STS rule): shared with the DomainWatcher, never
  /// copied per state. Never null.
  std::shared_ptr<const std::vector<scheduler::ScheduledTarget>> targets =
      std::make_shared<const std::vector<scheduler::ScheduledTarget>>();
  /// The MTA-STS policy as last fetched; null without a usable MTA-STS record.
  std::shared_ptr<const mta_sts::PolicyState> mta_sts;
};

}  // namespace starttls_exporter::domains
