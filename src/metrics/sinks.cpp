#include "sinks.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace starttls_exporter::metrics {

FamilySink::FamilySink(Source source, std::size_t targets) {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    const auto fam = static_cast<Fam>(i);
    auto& family = families_[i];
    family.name = std::string(family_name(fam));
    family.help = family_help(fam, source);
    family.type = family_type(fam);
    family.metric.reserve(fam == Fam::phase_duration ? targets * 7 : targets);
  }
}

void FamilySink::add(Fam fam, double value, Extra extra) {
  auto& metric = families_[static_cast<std::size_t>(fam)].metric.emplace_back();
  metric.label.reserve(base_->size() + extra.size());
  metric.label = *base_;
  for (const auto& [name, val] : extra)
    metric.label.push_back({std::string(name), std::string(val)});
  metric.gauge.value = value;  // every per-target family is a gauge
}

std::vector<prometheus::MetricFamily> FamilySink::take() {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (auto& family : families_) {
    if (!family.metric.empty()) out.push_back(std::move(family));
    family = {};
  }
  return out;
}

namespace {

/// The streamed family is handed to the writer in pieces of about this size.
constexpr std::size_t kChunkBytes = 64 * 1024;

void append_header(std::string& out, Fam fam, Source source) {
  const std::string_view name = family_name(fam);
  ((out += "# HELP ") += name) += ' ';
  (out += family_help(fam, source)) += '\n';
  ((out += "# TYPE ") += name) +=
      family_type(fam) == prometheus::MetricType::Counter ? " counter\n" : " gauge\n";
}

}  // namespace

TextSink::TextSink(Source source, std::size_t first_family, std::size_t end_family,
                   std::size_t budget, const std::vector<std::size_t>& expected_bytes,
                   Scratch& scratch, const TextWriter& write)
    : source_(source),
      first_(first_family),
      end_(std::max(std::min(end_family, kFamilyCount), first_family + 1)),
      budget_(budget),
      scratch_(scratch),
      write_(write) {
  scratch_.stream.clear();
  scratch_.buffers.resize(kFamilyCount);
  if (expected_bytes.size() != kFamilyCount) return;
  for (std::size_t family = first_ + 1; family < end_; ++family) {
    const std::size_t expected = expected_bytes[family];
    if (expected > 0) scratch_.buffers[family].reserve(expected + expected / 8 + 256);
  }
}

void TextSink::begin_target(const Labels& base) {
  base_labels_ = &base;
  base_rendered_ = false;  // rendered on this target's first series in this pass, if any
}

void TextSink::add(Fam fam, double value, Extra extra) {
  const auto family = static_cast<std::size_t>(fam);
  if (failed_ || family < first_ || family >= end_) return;
  std::string& out = line_buffer(family);
  const std::size_t before = out.size();
  // The streamed family's buffer is emptied at every chunk: only its first series brings the
  // header. A buffered family's buffer holds the whole family.
  if (family == first_ ? streamed_ == 0 : before == 0) append_header(out, fam, source_);
  write_line(out, fam, value, extra);
  if (family == first_) {
    streamed_ += out.size() - before;
    if (out.size() >= kChunkBytes) flush_stream();
    return;
  }
  buffered_ += out.size() - before;
  if (buffered_ > budget_) drop_over_budget();
}

bool TextSink::wants(Fam first, Fam last) const {
  return !failed_ && static_cast<std::size_t>(last) >= first_ &&
         static_cast<std::size_t>(first) < end_;
}

std::string& TextSink::line_buffer(std::size_t family) {
  return family == first_ ? scratch_.stream : scratch_.buffers[family];
}

void TextSink::write_line(std::string& out, Fam fam, double value, Extra extra) {
  std::string& base = scratch_.base;
  if (!base_rendered_) {
    base.clear();
    if (base_labels_) {
      for (const auto& label : *base_labels_) {
        if (!base.empty()) base += ',';
        base += label.name;
        base += "=\"";
        append_label_value(base, label.value);
        base += '"';
      }
    }
    base_rendered_ = true;
  }
  out += family_name(fam);
  if (!base.empty() || extra.size() != 0) {
    out += '{';
    out += base;
    bool first = base.empty();
    for (const auto& [name, val] : extra) {
      if (!first) out += ',';
      first = false;
      out += name;
      out += "=\"";
      append_label_value(out, val);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_sample_value(out, value);
  out += '\n';
}

void TextSink::drop_over_budget() {
  // Whatever is dropped is rendered again by a later pass; the family streamed now never is.
  while (buffered_ > budget_ && end_ > first_ + 1) {
    --end_;
    std::string& dropped = scratch_.buffers[end_];
    buffered_ -= dropped.size();
    std::string().swap(dropped);  // its memory too: the budget bounds what is held
  }
}

bool TextSink::flush_stream() {
  if (!failed_ && !scratch_.stream.empty() && !write_(scratch_.stream)) failed_ = true;
  scratch_.stream.clear();
  return !failed_;
}

std::optional<std::size_t> TextSink::finish(std::vector<std::size_t>& written_bytes) {
  if (!flush_stream()) return std::nullopt;
  written_bytes.resize(kFamilyCount);
  written_bytes[first_] = streamed_;
  for (std::size_t family = first_ + 1; family < end_; ++family) {
    std::string& buffer = scratch_.buffers[family];
    written_bytes[family] = buffer.size();
    if (!buffer.empty() && !write_(buffer)) return std::nullopt;
    std::string().swap(buffer);  // written: a later pass must not hold it too
  }
  return end_;
}

namespace {

/// One past the last family a pass starting at `first` should buffer: as many as the last
/// page's sizes say fit in `budget` (all of them without sizes: the pass then drops the rest).
std::size_t plan_end(std::size_t first, std::size_t budget,
                     const std::vector<std::size_t>& family_bytes) {
  if (family_bytes.size() != kFamilyCount) return kFamilyCount;
  std::size_t end = first + 1;
  std::size_t planned = 0;
  while (end < kFamilyCount && planned + family_bytes[end] <= budget)
    planned += family_bytes[end++];
  return end;
}

}  // namespace

bool write_text_page(Source source, const std::function<void(SeriesSink&)>& append,
                     std::size_t budget, std::vector<std::size_t>& family_bytes,
                     const TextWriter& write) {
  TextSink::Scratch scratch;
  std::vector<std::size_t> written(kFamilyCount, 0);
  std::size_t first = 0;
  while (first < kFamilyCount) {
    TextSink sink(source, first, plan_end(first, budget, family_bytes), budget, family_bytes,
                  scratch, write);
    append(sink);
    const auto next = sink.finish(written);
    if (!next) return false;
    first = *next;
  }
  family_bytes = std::move(written);
  return true;
}

void append_label_value(std::string& out, std::string_view value) {
  // Most values need no escaping; memchr (vectorized) finds that out fastest.
  if (value.empty()) return;
  const auto has = [value](char c) { return std::memchr(value.data(), c, value.size()); };
  if (!has('\\') && !has('"') && !has('\n')) {
    out.append(value);
    return;
  }
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_sample_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15 && !std::signbit(value)) {
    // A whole number (most values: 0 and 1) prints as "%.16g" prints it, but far faster.
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
    out.append(buf, res.ptr);
  } else {
    // TextSerializer streams with precision max_digits10 - 1 = 16: printf's "%.16g".
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 16);
    out.append(buf, res.ptr);
  }
}

}  // namespace starttls_exporter::metrics
