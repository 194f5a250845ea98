#pragma once
/// \file
/// The project's one histogram: observations in seconds counted into fixed buckets. Probe
/// phases (store), scheduling lag (scheduler) and DNS latency (dns) keep one each; metrics turns
/// any of them into a Prometheus histogram the same way.
///
/// Not thread-safe: its owner locks around observe() and copies it out for a scrape.

#include <cstdint>
#include <span>
#include <vector>

namespace starttls_exporter {

class Histogram {
 public:
  /// One bucket only: +Inf.
  Histogram() = default;
  /// `upper_bounds`: the finite bucket bounds, ascending, in static storage (a constexpr array
  /// of the owner): the histogram keeps a view, never a copy.
  explicit Histogram(std::span<const double> upper_bounds)
      : bounds_(upper_bounds), counts_(upper_bounds.size() + 1) {}

  /// Counts `seconds` in the first bucket whose bound is >= it (Prometheus' le is inclusive),
  /// else in +Inf. A negative value counts as 0.
  void observe(double seconds) noexcept;

  std::span<const double> upper_bounds() const noexcept { return bounds_; }
  /// Per bucket, not cumulative, one more than upper_bounds(): the last is +Inf.
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  double sum_seconds() const noexcept { return sum_; }
  std::uint64_t count() const noexcept { return count_; }

 private:
  std::span<const double> bounds_;
  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(1);
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace starttls_exporter
