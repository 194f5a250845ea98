#pragma once
/// \file
/// The per-domain families (probe_domain_*, probe_dnssec_signature_expiry_timestamp_seconds)
/// and the resolver's self families. Private to src/metrics. Built at each scrape from one
/// store snapshot: a domain's success follows its addresses' latest results.

#include <prometheus/metric_family.h>

#include <functional>
#include <vector>

#include "starttls_exporter/dns/dns.hpp"
#include "starttls_exporter/domains/domain_state.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::metrics {

/// Every domain family, one family each, for the domains in `domains`; `targets` is the same
/// store snapshot's target list (the probed addresses' results).
std::vector<prometheus::MetricFamily> domain_families(
    const std::vector<std::shared_ptr<const domains::DomainState>>& domains,
    const std::vector<store::TargetSnapshot>& targets);

/// starttls_exporter_dns_lookups_total{result} and starttls_exporter_dns_lookup_duration_seconds.
std::vector<prometheus::MetricFamily> dns_self_families(const dns::ResolverStats& stats);

/// The names domain_families and dns_self_families can emit (for the README check).
std::vector<std::string> domain_family_names();

}  // namespace starttls_exporter::metrics
