#pragma once
/// \file
/// The starttls_exporter_* self families the Collector appends after the per-target ones:
/// build info, probe counters, targets, reloads, scheduling lag, the web port, the chain
/// verdict cache. Private to src/metrics.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "starttls_exporter/metrics/collector.hpp"

namespace starttls_exporter::metrics {

/// Outcome of the last configuration load, for the starttls_exporter_config_* families.
struct ReloadStatus {
  bool successful = false;
  double success_seconds = 0;
};

/// Build info, probe counters, target count, reloads.
std::vector<prometheus::MetricFamily> self_families(const BuildInfo& build_info,
                                                    const store::ProbeCounters& counters,
                                                    std::size_t targets, ReloadStatus reload);
/// starttls_exporter_probe_phase_duration_seconds: one histogram per module and phase seen.
void append_phase_histograms(std::vector<prometheus::MetricFamily>& out,
                             const std::map<std::string, store::ModulePhaseHistograms>& modules);
/// starttls_exporter_probe_start_lag_seconds from `source`, when set.
void append_lag(std::vector<prometheus::MetricFamily>& out, const LagSource& source);
/// The starttls_exporter_web_* families from `source`, when set.
void append_web(std::vector<prometheus::MetricFamily>& out, const WebStatsSource& source);
/// The starttls_exporter_chain_cache_* families from `source`, when set.
void append_chain_cache(std::vector<prometheus::MetricFamily>& out,
                        const ChainCacheStatsSource& source);

}  // namespace starttls_exporter::metrics
