#pragma once
/// \file
/// A histogram sample from plain per-bucket counts. Private to src/metrics.

#include <prometheus/client_metric.h>

#include <cstdint>
#include <limits>
#include <span>

namespace starttls_exporter::metrics {

/// `counts` are per bucket (not cumulative), the last one for +Inf; `bounds` are the finite
/// upper bounds, one fewer than `counts`.
inline prometheus::ClientMetric histogram_metric(std::span<const std::uint64_t> counts,
                                                 std::span<const double> bounds, double sum,
                                                 std::uint64_t count) {
  prometheus::ClientMetric m;
  m.histogram.sample_count = count;
  m.histogram.sample_sum = sum;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const double bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  return m;
}

}  // namespace starttls_exporter::metrics
