// probe_domain: one domain resolved and probed now (/probe?domain=, the probe command).
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "starttls_exporter/domains/domain_round.hpp"

namespace starttls_exporter::domains {

/// The probes run in parallel, each under the deadline.
asio::awaitable<DomainProbe> probe_domain(asio::io_context& io,
                                          std::shared_ptr<dns::Resolver> resolver,
                                          scheduler::Scheduler& scheduler, config::DnsSettings dns,
                                          DomainJob job,
                                          std::chrono::steady_clock::time_point deadline,
                                          MtaStsOptions mta_sts) {
  using Clock = std::chrono::steady_clock;
  DomainProbe out;
  if (!resolver) {
    auto state = std::make_shared<DomainState>();
    state->domain = job.domain;
    out.state = state;
    co_return out;
  }
  auto lookup = [resolver](std::string name, dns::RecordType type) {
    return resolver->lookup(std::move(name), type);
  };
  // The policy is fetched afresh, within what is left of the deadline.
  mta_sts.timeout = std::min<Duration>(
      mta_sts.timeout,
      std::chrono::duration_cast<Duration>(std::max(deadline - Clock::now(), Clock::duration{})));
  PolicyMemory fresh;
  Round round = co_await run_round(lookup, job, dns, mta_sts, fresh);
  out.state = state_of(job, round, round.path, round.targets);
  out.addresses.resize(round.targets.size());
  auto remaining = std::make_shared<std::size_t>(round.targets.size());
  asio::steady_timer all_done(io, Clock::time_point::max());
  for (std::size_t i = 0; i < round.targets.size(); ++i) {
    out.addresses[i].target = round.targets[i];
    asio::co_spawn(io, scheduler.probe(round.targets[i].spec, deadline),
                   [&out, &all_done, remaining, i](std::exception_ptr e, ProbeResult result) {
                     if (e) {
                       result = ProbeResult{};
                       result.failure = Failure{Phase::connect, FailureReason::internal_error, 0,
                                                "probe failed"};
                     }
                     out.addresses[i].result =
                         std::make_shared<const ProbeResult>(std::move(result));
                     if (--*remaining == 0) all_done.cancel();
                   });
  }
  if (*remaining > 0) {  // else every probe already ended (they cannot end while we run)
    co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  co_return out;
}

}  // namespace starttls_exporter::domains
