#pragma once
/// \file
/// Mail domains kept current: each configured domain is resolved on the engine (src/dns), at
/// its answers' TTL clamped to [dns.min_refresh, dns.max_refresh], and every address of its
/// MX hosts becomes a scheduled target probed with the MX host as SNI and verified name. The
/// scheduler runs the union of these and the configured targets.
///
/// Threading: apply() and stop() may be called from any thread (they are dispatched to the
/// engine); everything else happens on the engine thread.

#include <asio/io_context.hpp>

#include <future>
#include <memory>
#include <vector>

#include "starttls_exporter/config.hpp"
#include "starttls_exporter/dns.hpp"
#include "starttls_exporter/prober.hpp"
#include "starttls_exporter/result_store.hpp"
#include "starttls_exporter/scheduler.hpp"

namespace starttls_exporter::runtime {

/// One configured domain, ready to probe: the module's settings in `spec` (address, port and
/// server name are filled per address).
struct DomainJob {
  config::Domain domain;
  prober::ProbeSpec spec;  ///< module applied, trust store set
  std::uint16_t port = 25;
  Duration interval{0};
  Duration timeout{0};
  config::MetricsSettings series;  ///< the module's optional series groups, for its targets
};

/// The store key of a domain entry ("example.com|smtp_starttls").
std::string domain_key(const config::Domain& domain);

/// The scheduled targets of a resolved mail path: one per (MX host, address), keyed
/// "ENDPOINT|MODULE|MXHOST" and labelled mx=MXHOST, so an address shared by several domains
/// (or MX names) is probed once per name it is known by. With a valid enforce-mode `policy`,
/// each carries its MTA-STS requirement (RFC 8461 §4).
std::vector<scheduler::ScheduledTarget> targets_of(const dns::MailPath& path, const DomainJob& job,
                                                   const mta_sts::PolicyState* policy = nullptr);

/// How domains' MTA-STS policies are fetched (config mta_sts).
struct MtaStsOptions {
  std::shared_ptr<const tls::TrustStore> trust;  ///< null: policies are not fetched
  Duration refresh = std::chrono::hours(1);
  Duration timeout = std::chrono::seconds(10);
};

/// One domain probed now (/probe?domain=): its fresh mail path and every address's result.
struct DomainProbe {
  std::shared_ptr<const store::DomainState> state;
  std::vector<std::pair<store::TargetInfo, ProbeResult>> results;  ///< in preference order
};

/// Resolves `job`'s domain with `resolver`, fetches its MTA-STS policy (when it has a usable
/// record and `mta_sts` a trust store), and probes each address through `scheduler`'s
/// permits, all by `deadline`. Engine thread. A null resolver gives a state without a path.
asio::awaitable<DomainProbe> probe_domain(asio::io_context& io,
                                          std::shared_ptr<dns::Resolver> resolver,
                                          scheduler::Scheduler& scheduler, config::DnsSettings dns,
                                          DomainJob job,
                                          std::chrono::steady_clock::time_point deadline,
                                          MtaStsOptions mta_sts = {});

class DomainWatcher {
 public:
  DomainWatcher(asio::io_context& io, store::ResultStore& store, scheduler::Scheduler& scheduler);
  ~DomainWatcher();  ///< stop()
  DomainWatcher(const DomainWatcher&) = delete;
  DomainWatcher& operator=(const DomainWatcher&) = delete;

  /// Replaces the configured targets and domains. Unchanged domains (same job) keep their
  /// state and schedule; a changed dns section restarts every domain with a new resolver.
  /// The settings must have passed dns::check_settings (prepare() does that at load).
  void apply(std::vector<scheduler::ScheduledTarget> targets, std::vector<DomainJob> domains,
             const config::DnsSettings& dns, MtaStsOptions mta_sts = {});
  /// Cancels every lookup and refresh; the scheduler keeps what it was last given.
  void stop();

  /// Resolves `job`'s domain now and probes each of its addresses (under the scheduler's
  /// concurrency limit), all by `deadline`. Any thread; the future is fulfilled on the engine.
  /// Without a resolver (no domain configured) the state has no path.
  std::future<DomainProbe> probe_now(DomainJob job, std::chrono::steady_clock::time_point deadline);

  /// The resolver's lookup counters (empty before a domain was configured). Any thread.
  dns::ResolverStats resolver_stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

/// The resolver settings of `dns`. prepare() checks them (dns::check_settings) at load, so a
/// configuration that reaches apply() has settings libunbound accepts.
dns::ResolverSettings resolver_settings(const config::DnsSettings& dns);

}  // namespace starttls_exporter::runtime
