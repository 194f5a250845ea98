// run_round: the one code path from a domain, a domain's service or a host to its targets
// (DomainWatcher, /probe?domain=, the probe command).
#include "mta_sts_refresh.hpp"
#include "starttls_exporter/domains/domain_round.hpp"

namespace starttls_exporter::domains {
namespace {

/// The entry's path: MX hosts (SMTP's TLSA at the entry's port), SRV targets (their TLSA at
/// each record's port, RFC 7673) or the host itself.
asio::awaitable<dns::MailPath> resolve_path(dns::LookupFunction lookup, const DomainJob& job,
                                            const config::DnsSettings& dns) {
  const config::Domain& entry = job.domain;
  switch (entry.kind) {
    case config::DomainKind::service:
      co_return co_await dns::resolve_service_path(
          std::move(lookup), dns::srv_name(entry.service, entry.name), dns, true);
    case config::DomainKind::host:  // an MX probed by name keeps SMTP's rules (RFC 7672)
      co_return co_await dns::resolve_host_path(std::move(lookup), entry.name, dns, job.port,
                                                job.spec.protocol == config::Protocol::smtp
                                                    ? dane::DaneRules::smtp
                                                    : dane::DaneRules::service);
    case config::DomainKind::mx:
      break;
  }
  co_return co_await dns::resolve_mail_path(std::move(lookup), entry.name, dns, job.port);
}

}  // namespace

asio::awaitable<Round> run_round(dns::LookupFunction lookup, const DomainJob& job,
                                 const config::DnsSettings& dns, const MtaStsOptions& mta_sts,
                                 PolicyMemory& memory) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Round round;
  round.path = std::make_shared<const dns::MailPath>(co_await resolve_path(lookup, job, dns));
  round.policy = co_await refresh_policy(lookup, *round.path, dns, mta_sts, memory);
  if (round.policy && round.policy != memory.policy) memory.fetched_at = Clock::now();
  memory.policy = round.policy;
  round.targets = targets_of(*round.path, job, round.policy.get());
  round.resolve_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  co_return round;
}

}  // namespace starttls_exporter::domains
