#pragma once
/// \file
/// The two SeriesSink implementations: one builds prometheus::MetricFamily objects (the
/// Collectable interface), the other writes the text exposition directly, which avoids one
/// ClientMetric and its label strings per series (the /metrics fast path).

#include <array>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "series_builder.hpp"

namespace starttls_exporter::metrics {

inline constexpr std::size_t kFamilyCount = static_cast<std::size_t>(Fam::count_);

/// Builds MetricFamily objects. Not thread-safe; one per scrape.
class FamilySink final : public SeriesSink {
 public:
  /// `targets` sizes the series vectors (reserved, so untouched capacity costs no page faults).
  FamilySink(Source source, std::size_t targets);
  void begin_target(const Labels& base) override { base_ = &base; }
  void add(Fam fam, double value, Extra extra) override;
  /// Moves the non-empty families out, in Fam order.
  std::vector<prometheus::MetricFamily> take();

 private:
  std::array<prometheus::MetricFamily, kFamilyCount> families_;
  const Labels* base_ = nullptr;
};

/// Writes the Prometheus text format, byte-identical to prometheus::TextSerializer's output
/// for the same families. Each family is one buffer (HELP, TYPE, series), so the page can be
/// sent part by part without being joined. Not thread-safe; one per scrape.
class TextSink final : public SeriesSink {
 public:
  /// Capacity per family, in bytes: reserving what the last scrape needed avoids regrowing
  /// (copying) multi-megabyte buffers.
  using SizeHints = std::array<std::size_t, kFamilyCount>;

  /// `buffers` are reused (cleared, capacity kept): a previous scrape's take() result, or
  /// empty. Their pages are then already mapped, which spares the page faults of fresh memory.
  TextSink(Source source, std::vector<std::string> buffers = {}, const SizeHints& hints = {});
  void begin_target(const Labels& base) override;
  void add(Fam fam, double value, Extra extra) override;
  /// One buffer per family, in Fam order; a family without series is an empty string.
  std::vector<std::string> take();
  /// The series bytes written per family so far (hints for the next scrape).
  SizeHints sizes() const;

 private:
  std::vector<std::string> bodies_;  ///< per family: HELP and TYPE lines, then series
  std::array<std::size_t, kFamilyCount> header_sizes_{};  ///< HELP + TYPE bytes per family
  std::string base_;  ///< the current target's labels, rendered: `target="...",module="..."`
};

/// Text format primitives, shared with the tests through TextSink only.
void append_label_value(std::string& out, std::string_view value);  ///< escapes \ " newline
void append_sample_value(std::string& out, double value);           ///< like TextSerializer

}  // namespace starttls_exporter::metrics
