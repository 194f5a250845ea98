// A domain's probed targets, the resolver settings, and one domain resolved and probed now
// (/probe?domain=, the probe command).
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "mta_sts_refresh.hpp"
#include "starttls_exporter/domain_watcher.hpp"
#include "starttls_exporter/net.hpp"

namespace starttls_exporter::runtime {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::string domain_key(const config::Domain& domain) {
  return domain.name + "|" + domain.module;
}

/// What DANE checks for `host`'s addresses: its TLSA lookup and the names a DANE-TA leaf may
/// carry (RFC 7672 §3.2.2: the MX host as published, its CNAME target, the TLSA base domain).
std::shared_ptr<const dane::DaneExpectation> dane_expectation(const dns::MxHost& host) {
  auto out = std::make_shared<dane::DaneExpectation>();
  out->tlsa = host.tlsa;
  for (const std::string* name : {&host.name, &host.canonical_name, &host.tlsa.base_name}) {
    if (name->empty()) continue;
    if (std::find(out->reference_names.begin(), out->reference_names.end(), *name) ==
        out->reference_names.end()) {
      out->reference_names.push_back(*name);
    }
  }
  return out;
}

/// What a valid enforce-mode policy asks of `host`'s addresses; nullopt without one.
std::optional<policy::MtaStsRequirement> mta_sts_requirement(const mta_sts::PolicyState* state,
                                                             const dns::MxHost& host) {
  if (!state || state->failure || !state->parse.policy) return std::nullopt;
  const mta_sts::Policy& policy = *state->parse.policy;
  if (policy.mode != mta_sts::Mode::enforce) return std::nullopt;  // testing, none: no rule
  const bool matches = std::any_of(policy.mx.begin(), policy.mx.end(), [&](const auto& pattern) {
    return mta_sts::mx_matches(pattern, host.name);
  });
  return policy::MtaStsRequirement{matches};
}

std::vector<scheduler::ScheduledTarget> targets_of(const dns::MailPath& path, const DomainJob& job,
                                                   const mta_sts::PolicyState* policy) {
  std::vector<scheduler::ScheduledTarget> out;
  for (const auto& host : path.hosts) {
    const auto dane = dane_expectation(host);
    const auto mta_sts = mta_sts_requirement(policy, host);
    for (const auto& address : host.addresses) {
      scheduler::ScheduledTarget target;
      target.info.endpoint = net::format_endpoint(address, job.port);
      target.info.module = job.domain.module;
      target.info.key = target.info.endpoint + "|" + job.domain.module + "|" + host.name;
      target.info.labels = {{"mx", host.name}};
      target.info.series = job.series;
      target.spec = job.spec;
      target.spec.address = address;
      target.spec.port = job.port;
      target.spec.server_name = host.name;  // SNI and the name verified: the MX host
      target.spec.dane = dane;
      target.spec.mta_sts = mta_sts;
      target.interval = job.interval;
      target.timeout = job.timeout;
      out.push_back(std::move(target));
    }
  }
  return out;
}

dns::ResolverSettings resolver_settings(const config::DnsSettings& dns) {
  dns::ResolverSettings settings;
  settings.forwarders = dns.resolvers;
  settings.trust_anchor = dns.trust_anchor.bytes;
  settings.trust_anchor_origin = dns.trust_anchor.path;
  settings.timeout = dns.timeout;
  return settings;
}

/// The probes run in parallel, each under the deadline.
asio::awaitable<DomainProbe> probe_domain(asio::io_context& io,
                                          std::shared_ptr<dns::Resolver> resolver,
                                          scheduler::Scheduler& scheduler, config::DnsSettings dns,
                                          DomainJob job, Clock::time_point deadline,
                                          MtaStsOptions mta_sts) {
  auto state = std::make_shared<store::DomainState>();
  state->domain = job.domain;
  DomainProbe out;
  if (!resolver) {
    out.state = state;
    co_return out;
  }
  const auto started = Clock::now();
  auto lookup = [resolver](std::string name, dns::RecordType type) {
    return resolver->lookup(std::move(name), type);
  };
  auto path = std::make_shared<const dns::MailPath>(
      co_await dns::resolve_mail_path(lookup, job.domain.name, dns, job.port));
  state->resolve_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  state->resolved_at = std::chrono::system_clock::now();
  state->path = path;
  state->probed = path;
  // The policy is fetched afresh, within what is left of the deadline.
  mta_sts.timeout = std::min<Duration>(
      mta_sts.timeout,
      std::chrono::duration_cast<Duration>(std::max(deadline - Clock::now(), Clock::duration{})));
  Clock::time_point fetched_at{};
  state->mta_sts = co_await refresh_policy(lookup, *path, dns, mta_sts, nullptr, fetched_at);
  const auto targets = targets_of(*path, job, state->mta_sts.get());
  for (const auto& t : targets) state->targets.emplace_back(t.info.labels.at("mx"), t.info.key);
  out.results.resize(targets.size());
  auto remaining = std::make_shared<std::size_t>(targets.size());
  asio::steady_timer all_done(io, Clock::time_point::max());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    out.results[i].first = targets[i].info;
    asio::co_spawn(io, scheduler.probe(targets[i].spec, deadline),
                   [&out, &all_done, remaining, i](std::exception_ptr e, ProbeResult result) {
                     if (!e) out.results[i].second = std::move(result);
                     if (--*remaining == 0) all_done.cancel();
                   });
  }
  if (*remaining > 0) {  // else every probe already ended (they cannot end while we run)
    co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  out.state = state;
  co_return out;
}

}  // namespace starttls_exporter::runtime
