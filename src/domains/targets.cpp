// A resolved mail path turned into what is probed: each address's expectations (DANE, the
// MTA-STS rule) and its scheduled target; and the state a round publishes.
#include <algorithm>

#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/domains/domain_round.hpp"

namespace starttls_exporter::domains {
namespace {

/// What DANE checks for `host`'s addresses: its TLSA lookup and the names a DANE-TA leaf may
/// carry (RFC 7672 §3.2.2: the MX host as published, its CNAME target, the TLSA base domain;
/// RFC 7673 §4.1 the same for an SRV target).
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
  policy::MtaStsRequirement out;
  const auto matched = std::find_if(policy.mx.begin(), policy.mx.end(), [&](const auto& pattern) {
    return mta_sts::mx_matches(pattern, host.name);
  });
  out.mx_matches = matched != policy.mx.end();
  if (out.mx_matches) out.matched_pattern = *matched;
  return out;
}

}  // namespace

std::string domain_key(const config::Domain& domain) {
  return domain.name + "|" + domain.module + (domain.service.empty() ? "" : "|" + domain.service);
}

bool same_job(const DomainJob& a, const DomainJob& b) {
  scheduler::ScheduledTarget x, y;
  x.spec = a.spec;
  y.spec = b.spec;
  x.interval = a.interval;
  y.interval = b.interval;
  x.timeout = a.timeout;
  y.timeout = b.timeout;
  return a.domain == b.domain && a.series == b.series && a.port == b.port &&
         scheduler::same_schedule(x, y);
}

std::vector<scheduler::ScheduledTarget> targets_of(const dns::MailPath& path, const DomainJob& job,
                                                   const mta_sts::PolicyState* policy) {
  std::vector<scheduler::ScheduledTarget> out;
  for (const auto& host : path.hosts) {
    const auto dane = dane_expectation(host);
    const auto mta_sts = mta_sts_requirement(policy, host);
    const std::uint16_t port = host.port != 0 ? host.port : job.port;  // SRV: the record's
    for (const auto& address : host.addresses) {
      scheduler::ScheduledTarget target;
      target.info.endpoint = net::format_endpoint(address, port);
      target.info.module = job.domain.module;
      target.info.key = target.info.endpoint + "|" + job.domain.module + "|" + host.name;
      target.info.server_name = host.name;
      target.info.labels = {{"mx", host.name}};
      target.info.series = job.series;
      target.spec = job.spec;
      target.spec.address = address;
      target.spec.port = port;
      // SNI and the name verified: the MX host, the SRV target (RFC 7673 §4.1: the name the
      // TLSA records are for; what MUAs check) or the configured host.
      target.spec.server_name = host.name;
      target.spec.dane = dane;
      target.spec.mta_sts = mta_sts;
      target.interval = job.interval;
      target.timeout = job.timeout;
      out.push_back(std::move(target));
    }
  }
  return out;
}

std::shared_ptr<const DomainState> state_of(const DomainJob& job, const Round& round,
                                            std::shared_ptr<const dns::MailPath> probed,
                                            std::vector<scheduler::ScheduledTarget> targets) {
  return state_of(
      job, round, std::move(probed),
      std::make_shared<const std::vector<scheduler::ScheduledTarget>>(std::move(targets)));
}

std::shared_ptr<const DomainState> state_of(
    const DomainJob& job, const Round& round, std::shared_ptr<const dns::MailPath> probed,
    std::shared_ptr<const std::vector<scheduler::ScheduledTarget>> targets) {
  auto state = std::make_shared<DomainState>();
  state->domain = job.domain;
  state->port = job.port;
  state->path = round.path;
  state->probed = std::move(probed);
  state->resolved_at = std::chrono::system_clock::now();
  state->resolve_seconds = round.resolve_seconds;
  state->mta_sts = round.policy;
  if (targets) state->targets = std::move(targets);
  return state;
}

LatestResults latest_results(const std::vector<store::TargetSnapshot>& snapshot) {
  LatestResults out;
  out.reserve(snapshot.size());
  for (const auto& target : snapshot) {
    if (target.target) out.emplace(target.target->key, target.latest);
  }
  return out;
}

DomainProbe stored_probe(std::shared_ptr<const DomainState> state, const LatestResults& latest) {
  DomainProbe out;
  for (const auto& target : *state->targets) {
    const auto it = latest.find(target.info.key);
    out.addresses.push_back({target, it == latest.end() ? nullptr : it->second});
  }
  out.state = std::move(state);
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

}  // namespace starttls_exporter::domains
