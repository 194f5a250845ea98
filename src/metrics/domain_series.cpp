#include "domain_series.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "family_parts.hpp"
#include "histogram.hpp"
#include "mail_policy_series.hpp"
#include "starttls_exporter/domains/domain_state.hpp"
#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::metrics {
namespace {

using namespace parts;

// Names are the interface (README "Mail domains").
constexpr Spec kSuccess{"probe_domain_success",
                        "1 when the domain resolved, has at least one MX address, no DNS failure "
                        "(bogus, timeout, ...) and every probed address's last probe succeeded."};
constexpr Spec kHosts{"probe_domain_mx_hosts",
                      "MX hosts probed (the domain itself for an implicit MX)."};
constexpr Spec kAddresses{"probe_domain_addresses", "Addresses probed over all MX hosts."};
constexpr Spec kFailing{"probe_domain_addresses_failing",
                        "Probed addresses whose last probe failed (or that have no result yet)."};
constexpr Spec kMxInfo{"probe_domain_mx_info", "1 per MX host, with its preference."};
constexpr Spec kCname{"probe_domain_mx_cname_info",
                      "1 per MX host that is a CNAME, with the name it leads to (canonical)."};
constexpr Spec kSecure{"probe_domain_dnssec_secure",
                       "1 when the MX answer and every MX host's address answers validated "
                       "secure (DNSSEC), else 0."};
constexpr Spec kFailure{
    "probe_domain_failure_info",
    "1 for each reason the domain is not fully deliverable; absent when it is."};
constexpr Spec kEarliest{"probe_domain_ssl_earliest_cert_expiry",
                         "Earliest leaf certificate NotAfter over the domain's probed addresses, "
                         "Unix seconds."};
constexpr Spec kDistinct{"probe_domain_mx_distinct_certificates",
                         "Distinct leaf certificates served across one MX host's addresses."};
constexpr Spec kSignature{"probe_dnssec_signature_expiry_timestamp_seconds",
                          "Earliest RRSIG expiration among the RRsets the domain's verdict "
                          "depended on (MX, A/AAAA), Unix seconds; absent when unsigned."};
constexpr Spec kResolved{"probe_domain_last_resolve_timestamp_seconds",
                         "When the domain was last resolved, Unix seconds."};
constexpr Spec kResolveDuration{"probe_domain_resolve_duration_seconds",
                                "How long the last resolution took, seconds."};
constexpr Spec kLookups{"starttls_exporter_dns_lookups_total",
                        "DNS lookups since start, by result."};
constexpr Spec kLatency{"starttls_exporter_dns_lookup_duration_seconds",
                        "How long DNS lookups took."};

Labels domain_labels(const config::Domain& domain) {
  Labels labels{{"domain", domain.name}, {"module", domain.module}};
  for (const auto& [name, value] : domain.labels) labels.push_back({name, value});
  return labels;
}

/// The families in emission order; each domain appends to them.
struct Families {
  std::vector<prometheus::MetricFamily> all;
  Families() {
    for (const Spec* spec :
         {&kSuccess, &kHosts, &kAddresses, &kFailing, &kMxInfo, &kCname, &kSecure, &kFailure,
          &kEarliest, &kDistinct, &kSignature, &kResolved, &kResolveDuration}) {
      all.push_back(family(*spec, prometheus::MetricType::Gauge));
    }
  }
  prometheus::MetricFamily& operator[](const Spec& spec) {
    for (auto& f : all) {
      if (f.name == spec.name) return f;
    }
    return all.front();  // not reached: every spec is in the list
  }
};

void append_domain(Families& out, MailPolicySeries& policy_series,
                   const domains::DomainState& state,
                   const std::map<std::string, const store::TargetSnapshot*>& by_key) {
  const Labels base = domain_labels(state.domain);
  const dns::MailPath* path = state.path.get();
  std::optional<SystemTime> earliest;
  std::map<std::string, std::set<std::string>> certificates;  // MX host -> leaf fingerprints
  std::vector<const ProbeResult*> latest;
  for (const auto& scheduled : *state.targets) {
    const std::string& mx = scheduled.info.labels.at("mx");
    const auto it = by_key.find(scheduled.info.key);
    const store::TargetSnapshot* target = it == by_key.end() ? nullptr : it->second;
    latest.push_back(target ? target->latest.get() : nullptr);
    if (target && target->last_handshake && !target->last_handshake->tls->chain.empty()) {
      const auto& leaf = target->last_handshake->tls->chain.front();
      certificates[mx].insert(leaf.sha256_hex);
      if (!earliest || leaf.not_after < *earliest) earliest = leaf.not_after;
    }
  }
  const policy::DomainVerdict verdict = policy::judge_domain(path, latest);
  const std::set<dns::DomainFailure>& failures = verdict.failures;
  const bool success = verdict.success;
  const std::size_t failing = verdict.failing;
  add(out[kSuccess], base, success ? 1 : 0);
  const dns::MailPath* probed = state.probed.get();
  add(out[kHosts], base, probed ? static_cast<double>(probed->hosts.size()) : 0);
  add(out[kAddresses], base, static_cast<double>(state.targets->size()));
  add(out[kFailing], base, static_cast<double>(failing));
  if (probed) {
    for (const auto& host : probed->hosts) {
      add(out[kMxInfo],
          with(with(base, "mx", host.name), "preference", std::to_string(host.preference)), 1);
      if (host.canonical_name != host.name) {
        add(out[kCname], with(with(base, "mx", host.name), "canonical", host.canonical_name), 1);
      }
    }
  }
  add(out[kSecure], base, path && path->secure ? 1 : 0);
  for (const auto failure : failures) {
    add(out[kFailure], with(base, "reason", std::string(dns::to_string(failure))), 1);
  }
  if (earliest) add(out[kEarliest], base, seconds(*earliest));
  for (const auto& [mx, fingerprints] : certificates) {
    add(out[kDistinct], with(base, "mx", mx), static_cast<double>(fingerprints.size()));
  }
  if (path && path->signature_expiry) add(out[kSignature], base, seconds(*path->signature_expiry));
  if (state.resolved_at) add(out[kResolved], base, seconds(*state.resolved_at));
  add(out[kResolveDuration], base, state.resolve_seconds);
  policy_series.append(base, path, state.mta_sts.get(), state.probed.get());
}

}  // namespace

std::vector<prometheus::MetricFamily> domain_families(
    const std::vector<std::shared_ptr<const domains::DomainState>>& domains,
    const std::vector<store::TargetSnapshot>& targets) {
  if (domains.empty()) return {};
  std::map<std::string, const store::TargetSnapshot*> by_key;
  for (const auto& t : targets) by_key.emplace(t.target->key, &t);
  Families out;
  MailPolicySeries policy;
  for (const auto& state : domains) append_domain(out, policy, *state, by_key);
  std::vector<prometheus::MetricFamily> emitted;
  for (auto& f : out.all) {
    if (!f.metric.empty()) emitted.push_back(std::move(f));
  }
  for (auto& f : policy.take()) emitted.push_back(std::move(f));
  return emitted;
}

std::vector<prometheus::MetricFamily> dns_self_families(const dns::ResolverStats& stats) {
  if (stats.lookups.empty()) return {};
  auto lookups = family(kLookups, prometheus::MetricType::Counter);
  for (const auto& [outcome, count] : stats.lookups) {
    prometheus::ClientMetric m;
    m.label = {{"result", std::string(dns::to_string(outcome))}};
    m.counter.value = static_cast<double>(count);
    lookups.metric.push_back(std::move(m));
  }
  auto latency = family(kLatency, prometheus::MetricType::Histogram);
  latency.metric.push_back(histogram_metric(stats.latency));
  return {std::move(lookups), std::move(latency)};
}

std::vector<std::string> domain_family_names() {
  std::vector<std::string> out;
  for (const Spec* spec :
       {&kSuccess, &kHosts, &kAddresses, &kFailing, &kMxInfo, &kCname, &kSecure, &kFailure,
        &kEarliest, &kDistinct, &kSignature, &kResolved, &kResolveDuration, &kLookups, &kLatency}) {
    out.emplace_back(spec->name);
  }
  for (auto& name : MailPolicySeries::names()) out.push_back(std::move(name));
  return out;
}

}  // namespace starttls_exporter::metrics
