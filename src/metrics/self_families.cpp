// The starttls_exporter_* self families (see self_families.hpp).
#include "self_families.hpp"

#include <utility>

#include "histogram.hpp"
#include "series_builder.hpp"

namespace starttls_exporter::metrics {
namespace {

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

prometheus::ClientMetric gauge(Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

prometheus::ClientMetric counter(Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  return m;
}

}  // namespace

/// The starttls_exporter_* families: build info, probe counters, target count, reloads.
std::vector<prometheus::MetricFamily> self_families(const BuildInfo& build_info,
                                                    const store::ProbeCounters& counters,
                                                    std::size_t targets, ReloadStatus reload) {
  std::vector<prometheus::MetricFamily> out;
  auto build = family("starttls_exporter_build_info",
                      "The exporter's version and the GnuTLS library it runs with (value is 1).",
                      prometheus::MetricType::Gauge);
  build.metric.push_back(
      gauge({{"version", build_info.version}, {"gnutls_version", build_info.gnutls_version}}, 1));
  out.push_back(std::move(build));

  auto probes =
      family("starttls_exporter_probes_total", "Scheduled probes completed since start, by result.",
             prometheus::MetricType::Counter);
  for (auto [result, value] :
       {std::pair{"success", counters.success}, std::pair{"failure", counters.failure}}) {
    probes.metric.push_back(counter({{"result", result}}, static_cast<double>(value)));
  }
  out.push_back(std::move(probes));

  auto count = family("starttls_exporter_targets", "Targets currently configured.",
                      prometheus::MetricType::Gauge);
  count.metric.push_back(gauge({}, static_cast<double>(targets)));
  out.push_back(std::move(count));

  auto reloaded = family("starttls_exporter_config_last_reload_successful",
                         "1 when the last configuration load or reload succeeded, else 0.",
                         prometheus::MetricType::Gauge);
  reloaded.metric.push_back(gauge({}, reload.successful ? 1 : 0));
  out.push_back(std::move(reloaded));
  auto reloaded_at = family("starttls_exporter_config_last_reload_success_timestamp_seconds",
                            "Time of the last successful configuration load, in Unix seconds.",
                            prometheus::MetricType::Gauge);
  reloaded_at.metric.push_back(gauge({}, reload.success_seconds));
  out.push_back(std::move(reloaded_at));
  return out;
}

void append_phase_histograms(std::vector<prometheus::MetricFamily>& out,
                             const std::map<std::string, store::ModulePhaseHistograms>& modules) {
  auto phases = family("starttls_exporter_probe_phase_duration_seconds",
                       "Duration of each phase of the scheduled probes, by module and phase, over "
                       "all targets (probe_phase_duration_seconds per target needs the module's "
                       "metrics.phase_durations).",
                       prometheus::MetricType::Histogram);
  for (const auto& [module, histograms] : modules) {
    for (std::size_t i = 0; i < histograms.size(); ++i) {
      const Histogram& h = histograms[i];
      if (h.count() == 0) continue;  // a phase this module's protocol never runs
      auto metric = histogram_metric(h);
      metric.label = {{"module", module}, {"phase", std::string(to_string(static_cast<Phase>(i)))}};
      phases.metric.push_back(std::move(metric));
    }
  }
  out.push_back(std::move(phases));
}

/// starttls_exporter_probe_start_lag_seconds from `source`, when set.
void append_lag(std::vector<prometheus::MetricFamily>& out, const LagSource& source) {
  if (!source) return;
  auto lag = family("starttls_exporter_probe_start_lag_seconds",
                    "How late scheduled probes started after their slot (waiting for a "
                    "concurrency permit or a busy engine thread).",
                    prometheus::MetricType::Histogram);
  lag.metric.push_back(histogram_metric(source()));
  out.push_back(std::move(lag));
}

/// The starttls_exporter_web_* families from `source`, when set.
void append_web(std::vector<prometheus::MetricFamily>& out, const WebStatsSource& source) {
  if (!source) return;
  const WebStats stats = source();
  auto open = family("starttls_exporter_web_connections", "Connections open on the web port now.",
                     prometheus::MetricType::Gauge);
  open.metric.push_back(gauge({}, static_cast<double>(stats.open_connections)));
  out.push_back(std::move(open));
  const auto counters = [&](const char* name, const char* help, const auto& counts) {
    auto f = family(name, help, prometheus::MetricType::Counter);
    for (const auto& [reason, value] : counts) {
      f.metric.push_back(counter({{"reason", reason}}, static_cast<double>(value)));
    }
    out.push_back(std::move(f));
  };
  counters("starttls_exporter_web_rejected_connections_total",
           "Web port connections closed before an answer, by reason.", stats.rejected_connections);
  counters("starttls_exporter_web_rejected_requests_total",
           "Web port requests refused before any handler ran, by reason.", stats.rejected_requests);
}

/// The starttls_exporter_chain_cache_* families from `source`, when set.
void append_chain_cache(std::vector<prometheus::MetricFamily>& out,
                        const ChainCacheStatsSource& source) {
  if (!source) return;
  const ChainCacheStats stats = source();
  auto lookups = family("starttls_exporter_chain_cache_lookups_total",
                        "Presented certificate chains looked up in the verdict cache, by result.",
                        prometheus::MetricType::Counter);
  for (auto [result, value] : {std::pair{"hit", stats.hits}, std::pair{"miss", stats.misses}}) {
    lookups.metric.push_back(counter({{"result", result}}, static_cast<double>(value)));
  }
  out.push_back(std::move(lookups));
  auto entries = family("starttls_exporter_chain_cache_entries", "Chain verdicts cached now.",
                        prometheus::MetricType::Gauge);
  entries.metric.push_back(gauge({}, static_cast<double>(stats.entries)));
  out.push_back(std::move(entries));
}

}  // namespace starttls_exporter::metrics
