#pragma once
/// \file
/// The two SeriesSink implementations: one builds prometheus::MetricFamily objects (the
/// Collectable interface), the other streams the text exposition directly, which avoids one
/// ClientMetric and its label strings per series and never holds the page (the /metrics
/// fast path).

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "series_builder.hpp"
#include "starttls_exporter/metrics/collector.hpp"

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
/// for the same families, without ever holding the whole page.
///
/// A family must appear whole, but one pass over the targets yields series of every family,
/// so a page takes several passes (write_text_page() drives them). Each pass streams its first
/// family to the writer in chunks and keeps the families after it in buffers, up to a byte budget;
/// when the budget would be exceeded, the highest buffered families are dropped from this pass
/// and start the next one. Memory is bounded by the budget, whatever the number of targets.
/// Not thread-safe; one per pass.
class TextSink final : public SeriesSink {
 public:
  /// Reused between the passes of one page: buffer capacity survives from pass to pass.
  struct Scratch {
    std::string stream;                ///< the streamed family's pending chunk
    std::vector<std::string> buffers;  ///< per family, for the buffered ones
    std::string base;                  ///< the current target's labels, rendered
  };

  /// A pass that streams `first_family` and buffers the families after it, up to `end_family`
  /// (exclusive) and as many of them as fit in `budget` bytes. `expected_bytes` (one entry per
  /// family, or empty) is the last page's size of each family: buffers are reserved to fit.
  TextSink(Source source, std::size_t first_family, std::size_t end_family, std::size_t budget,
           const std::vector<std::size_t>& expected_bytes, Scratch& scratch,
           const TextWriter& write);
  void begin_target(const Labels& base) override;
  void add(Fam fam, double value, Extra extra) override;
  bool wants(Fam first, Fam last) const override;
  /// Writes the rest of this pass: the streamed family's tail, then each buffered family, and
  /// stores the bytes of each family written in `written_bytes` (one entry per family).
  /// Returns the first family this pass did not write (kFamilyCount when none is left), or
  /// nullopt when the writer failed.
  std::optional<std::size_t> finish(std::vector<std::size_t>& written_bytes);

 private:
  std::string& line_buffer(std::size_t family);
  void write_line(std::string& out, Fam fam, double value, Extra extra);
  void drop_over_budget();
  bool flush_stream();

  Source source_;
  std::size_t first_;   ///< the family streamed in this pass
  std::size_t end_;     ///< one past the last family this pass still keeps
  std::size_t budget_;  ///< bytes the buffered families may hold together
  std::size_t buffered_ = 0;
  std::size_t streamed_ = 0;  ///< bytes of the streamed family written so far
  Scratch& scratch_;
  const TextWriter& write_;
  const Labels* base_labels_ = nullptr;
  bool base_rendered_ = false;
  bool failed_ = false;
};

/// Streams the text exposition of `append` (which feeds a sink every target's series, once
/// per call) to `write`, in as many passes as a buffer `budget` of bytes needs. The passes are
/// planned from `family_bytes`, the last page's size of each family (empty before the first
/// page: then a pass finds out by dropping what does not fit), which is updated to this page's.
/// Returns false when the writer failed.
bool write_text_page(Source source, const std::function<void(SeriesSink&)>& append,
                     std::size_t budget, std::vector<std::size_t>& family_bytes,
                     const TextWriter& write);

/// Text format primitives, shared with the tests through TextSink only.
void append_label_value(std::string& out, std::string_view value);  ///< escapes \ " newline
void append_sample_value(std::string& out, double value);           ///< like TextSerializer

}  // namespace starttls_exporter::metrics
