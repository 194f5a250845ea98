#pragma once
/// \file
/// One domain round (src/domains): a mail domain resolved to its MX hosts and addresses
/// (src/dns), its `_mta-sts` and `_smtp._tls` records read and its MTA-STS policy fetched when
/// due, each address's expectations set (DANE from the MX host's TLSA RRset, the MTA-STS rule
/// of an enforce policy), and the scheduled targets built. DomainWatcher (every configured
/// domain at its TTL), /probe?domain= and the probe command all go through run_round(), so
/// the three front ends cannot build a verdict differently.
///
/// Threading: run_round() and probe_domain() run on the engine; the rest are pure.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/dns/mail_path.hpp"
#include "starttls_exporter/domains/domain_state.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::domains {

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

/// Whether a reload may keep a domain's state and schedule: the same entry, port, interval,
/// series and probe settings (the spec by the scheduler's rule, trust store by identity).
bool same_job(const DomainJob& a, const DomainJob& b);

/// The store key of a domain entry ("example.com|smtp_starttls").
std::string domain_key(const config::Domain& domain);

/// How domains' MTA-STS policies are fetched (config mta_sts).
struct MtaStsOptions {
  std::shared_ptr<const tls::TrustStore> trust;  ///< null: policies are not fetched
  Duration refresh = std::chrono::hours(1);
  Duration timeout = std::chrono::seconds(10);
};

/// What a domain's rounds remember between them: the policy as last fetched, and when.
struct PolicyMemory {
  std::shared_ptr<const mta_sts::PolicyState> policy;
  std::chrono::steady_clock::time_point fetched_at{};
};

/// One round's outcome. `targets` are those of `path` (empty when it has no address), built
/// with `policy`'s rule; a caller that keeps probing a last good set decides that itself.
struct Round {
  std::shared_ptr<const dns::MailPath> path;
  std::shared_ptr<const mta_sts::PolicyState> policy;  ///< null without a usable record
  std::vector<scheduler::ScheduledTarget> targets;
  double resolve_seconds = 0;  ///< resolution and policy refresh
};

/// Resolves `job`'s domain with `lookup` under `dns`, refreshes its MTA-STS policy (RFC 8461
/// §3.3: on a new record id and every mta_sts.refresh; `memory` is read and updated), and
/// builds its targets. Never throws except std::bad_alloc.
asio::awaitable<Round> run_round(dns::LookupFunction lookup, const DomainJob& job,
                                 const config::DnsSettings& dns, const MtaStsOptions& mta_sts,
                                 PolicyMemory& memory);

/// The scheduled targets of a resolved mail path: one per (MX host, address), keyed
/// "ENDPOINT|MODULE|MXHOST" and labelled mx=MXHOST, so an address shared by several domains
/// (or MX names) is probed once per name it is known by. Each carries its MX host's DANE
/// expectation and, with a valid enforce-mode `policy`, its MTA-STS requirement (RFC 8461 §4).
std::vector<scheduler::ScheduledTarget> targets_of(const dns::MailPath& path, const DomainJob& job,
                                                   const mta_sts::PolicyState* policy = nullptr);

/// The state to publish for a round: `path` as resolved, `probed` the resolution whose
/// addresses are probed (the last good one), and the targets probed.
std::shared_ptr<const DomainState> state_of(const DomainJob& job, const Round& round,
                                            std::shared_ptr<const dns::MailPath> probed,
                                            std::vector<scheduler::ScheduledTarget> targets);
std::shared_ptr<const DomainState> state_of(
    const DomainJob& job, const Round& round, std::shared_ptr<const dns::MailPath> probed,
    std::shared_ptr<const std::vector<scheduler::ScheduledTarget>> targets);

/// One address of a domain and its result.
struct AddressProbe {
  scheduler::ScheduledTarget target;  ///< what was probed: labels, spec with its expectations
  std::shared_ptr<const ProbeResult> result;  ///< null: not probed yet (a stored state)
};

/// A domain and every address's result in preference order: probed now (/probe?domain=, the
/// probe command) or as last stored (the status page and its reports).
struct DomainProbe {
  std::shared_ptr<const DomainState> state;
  std::vector<AddressProbe> addresses;
};

/// The latest result of each target key, from a store snapshot.
using LatestResults = std::unordered_map<std::string, std::shared_ptr<const ProbeResult>>;
LatestResults latest_results(const std::vector<store::TargetSnapshot>& snapshot);

/// `state` as last stored: its targets with their latest results in `latest` (null for one
/// not probed yet). What the metrics judged, so the status page and /metrics never disagree.
DomainProbe stored_probe(std::shared_ptr<const DomainState> state, const LatestResults& latest);

/// run_round() with a policy fetched afresh (within what is left of `deadline`), then each
/// address probed through `scheduler`'s permits, in parallel, all by `deadline`. A null
/// resolver gives a state without a path.
asio::awaitable<DomainProbe> probe_domain(asio::io_context& io,
                                          std::shared_ptr<dns::Resolver> resolver,
                                          scheduler::Scheduler& scheduler, config::DnsSettings dns,
                                          DomainJob job,
                                          std::chrono::steady_clock::time_point deadline,
                                          MtaStsOptions mta_sts = {});

/// The resolver settings of `dns`. prepare() checks them (dns::check_settings) at load, so a
/// configuration that reaches a resolver has settings libunbound accepts.
dns::ResolverSettings resolver_settings(const config::DnsSettings& dns);

}  // namespace starttls_exporter::domains
