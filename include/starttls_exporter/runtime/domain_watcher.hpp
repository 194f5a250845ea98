#pragma once
/// \file
/// Mail domains kept current: each configured domain runs a domain round (src/domains) on the
/// engine at its answers' TTL clamped to [dns.min_refresh, dns.max_refresh], and every
/// address of its MX hosts becomes a scheduled target probed with the MX host as SNI and
/// verified name. The scheduler runs the union of these and the configured targets.
///
/// Threading: apply() and stop() may be called from any thread (they are dispatched to the
/// engine); everything else happens on the engine thread.

#include <asio/io_context.hpp>

#include <future>
#include <memory>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/dns/dns.hpp"
#include "starttls_exporter/domains/domain_round.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::runtime {

class DomainWatcher {
 public:
  DomainWatcher(asio::io_context& io, store::ResultStore& store, scheduler::Scheduler& scheduler);
  ~DomainWatcher();  ///< stop()
  DomainWatcher(const DomainWatcher&) = delete;
  DomainWatcher& operator=(const DomainWatcher&) = delete;

  /// Replaces the configured targets and domains. Unchanged domains (same job) keep their
  /// state and schedule; a changed dns section restarts every domain with a new resolver.
  /// The settings must have passed dns::check_settings (prepare() does that at load).
  void apply(std::vector<scheduler::TargetRef> targets, std::vector<domains::DomainJob> domains,
             const config::DnsSettings& dns, domains::MtaStsOptions mta_sts = {});
  /// Cancels every lookup and refresh; the scheduler keeps what it was last given.
  void stop();

  /// Resolves `job`'s domain now and probes each of its addresses (under the scheduler's
  /// concurrency limit), all by `deadline`. Any thread; the future is fulfilled on the engine.
  /// Without a resolver (no domain configured) the state has no path.
  std::future<domains::DomainProbe> probe_now(domains::DomainJob job,
                                              std::chrono::steady_clock::time_point deadline);

  /// The resolver's lookup counters (empty before a domain was configured). Any thread.
  dns::ResolverStats resolver_stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace starttls_exporter::runtime
