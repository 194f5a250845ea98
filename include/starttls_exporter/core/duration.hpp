#pragma once
/// \file
/// Prometheus-style durations ("1m30s", "500ms", "10s").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace starttls_exporter {

using Duration = std::chrono::milliseconds;

/// Parses a Prometheus duration: one or more <integer><unit> pairs with units in descending order
/// among y, w, d, h, m, s, ms ("1h30m", "90s", "250ms"). Returns nullopt on any syntax error,
/// on overflow, and on the empty string. "0s" parses to zero.
std::optional<Duration> parse_duration(std::string_view text) noexcept;

/// Formats a duration in the shortest such form ("1m30s", "500ms", "0s").
std::string format_duration(Duration duration);

}  // namespace starttls_exporter
