#pragma once
/// \file
/// Small pieces shared by the families built by hand at each scrape (domain_series.cpp,
/// mail_policy_series.cpp): a family's name and help, a gauge sample, an extra label. Private
/// to src/metrics.

#include <prometheus/metric_family.h>

#include <chrono>
#include <string>
#include <vector>

namespace starttls_exporter::metrics::parts {

using Labels = std::vector<prometheus::ClientMetric::Label>;

struct Spec {
  const char* name;
  const char* help;
};

inline prometheus::MetricFamily family(const Spec& spec, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = spec.name;
  f.help = spec.help;
  f.type = type;
  return f;
}

/// Appends a gauge sample.
inline void add(prometheus::MetricFamily& f, Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

inline Labels with(Labels labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

inline double seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace starttls_exporter::metrics::parts
