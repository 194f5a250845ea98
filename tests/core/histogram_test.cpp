// The one histogram type: inclusive upper bounds, the +Inf bucket, sum and count.
#include <doctest/doctest.h>

#include <array>

#include "starttls_exporter/core/histogram.hpp"

using namespace starttls_exporter;

TEST_CASE("observations fall in the first bucket whose bound is at least the value") {
  static constexpr std::array<double, 3> kBounds{0.01, 0.1, 1};
  Histogram h(kBounds);
  for (const double seconds : {0.0, 0.01, 0.05, 1.0, 7.5, -2.0}) h.observe(seconds);
  CHECK(h.counts() == std::vector<std::uint64_t>{3, 1, 1, 1});  // a negative value counts as 0
  CHECK(h.count() == 6);
  CHECK(h.sum_seconds() == doctest::Approx(8.56));
  CHECK(h.upper_bounds().size() == 3);
}

TEST_CASE("a histogram without bounds has the +Inf bucket only") {
  Histogram h;
  h.observe(3);
  CHECK(h.counts() == std::vector<std::uint64_t>{1});
  CHECK(h.upper_bounds().empty());
}
