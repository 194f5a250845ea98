#include "starttls_exporter/core/histogram.hpp"

#include <algorithm>

namespace starttls_exporter {

void Histogram::observe(double seconds) noexcept {
  seconds = std::max(seconds, 0.0);
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  ++counts_[static_cast<std::size_t>(bucket)];
  sum_ += seconds;
  ++count_;
}

}  // namespace starttls_exporter
