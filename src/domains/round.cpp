// run_round: the one code path from a domain to its targets (DomainWatcher, /probe?domain=,
// the probe command).
#include "mta_sts_refresh.hpp"
#include "starttls_exporter/domains/domain_round.hpp"

namespace starttls_exporter::domains {

asio::awaitable<Round> run_round(dns::LookupFunction lookup, const DomainJob& job,
                                 const config::DnsSettings& dns, const MtaStsOptions& mta_sts,
                                 PolicyMemory& memory) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Round round;
  round.path = std::make_shared<const dns::MailPath>(
      co_await dns::resolve_mail_path(lookup, job.domain.name, dns, job.port));
  round.policy = co_await refresh_policy(lookup, *round.path, dns, mta_sts, memory);
  if (round.policy && round.policy != memory.policy) memory.fetched_at = Clock::now();
  memory.policy = round.policy;
  round.targets = targets_of(*round.path, job, round.policy.get());
  round.resolve_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  co_return round;
}

}  // namespace starttls_exporter::domains
