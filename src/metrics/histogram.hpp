#pragma once
/// \file
/// A Prometheus histogram sample from the project's Histogram. Private to src/metrics.

#include <prometheus/client_metric.h>

#include <cstdint>
#include <limits>

#include "starttls_exporter/core/histogram.hpp"

namespace starttls_exporter::metrics {

inline prometheus::ClientMetric histogram_metric(const Histogram& histogram) {
  prometheus::ClientMetric m;
  m.histogram.sample_count = histogram.count();
  m.histogram.sample_sum = histogram.sum_seconds();
  const auto bounds = histogram.upper_bounds();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts().size(); ++i) {
    cumulative += histogram.counts()[i];
    const double bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  return m;
}

}  // namespace starttls_exporter::metrics
