#include "sinks.hpp"

#include <charconv>
#include <cmath>
#include <utility>

namespace starttls_exporter::metrics {

FamilySink::FamilySink(Source source, std::size_t targets) {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    const auto fam = static_cast<Fam>(i);
    auto& family = families_[i];
    family.name = family_name(fam);
    family.help = family_help(fam, source);
    family.type = family_type(fam);
    family.metric.reserve(fam == Fam::phase_duration ? targets * 7 : targets);
  }
}

void FamilySink::add(Fam fam, double value, Extra extra) {
  auto& metric = families_[static_cast<std::size_t>(fam)].metric.emplace_back();
  metric.label.reserve(base_->size() + extra.size());
  metric.label = *base_;
  for (const auto& [name, val] : extra) metric.label.push_back({name, std::string(val)});
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

TextSink::TextSink(Source source, std::vector<std::string> buffers, const SizeHints& hints)
    : bodies_(std::move(buffers)) {
  bodies_.resize(kFamilyCount);
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    const auto fam = static_cast<Fam>(i);
    auto& body = bodies_[i];
    body.clear();
    const std::string_view name = family_name(fam);
    const std::string help = family_help(fam, source);
    body.reserve(hints[i] + hints[i] / 8 + help.size() + 128);  // never shrinks a reused one
    ((body += "# HELP ") += name) += ' ';
    (body += help) += '\n';
    ((body += "# TYPE ") += name) +=
        family_type(fam) == prometheus::MetricType::Counter ? " counter\n" : " gauge\n";
    header_sizes_[i] = body.size();
  }
}

TextSink::SizeHints TextSink::sizes() const {
  SizeHints out{};
  for (std::size_t i = 0; i < kFamilyCount; ++i) out[i] = bodies_[i].size() - header_sizes_[i];
  return out;
}

void TextSink::begin_target(const Labels& base) {
  base_.clear();
  for (const auto& label : base) {
    if (!base_.empty()) base_ += ',';
    base_ += label.name;
    base_ += "=\"";
    append_label_value(base_, label.value);
    base_ += '"';
  }
}

void TextSink::add(Fam fam, double value, Extra extra) {
  auto& out = bodies_[static_cast<std::size_t>(fam)];
  out += family_name(fam);
  if (!base_.empty() || extra.size() != 0) {
    out += '{';
    out += base_;
    bool first = base_.empty();
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

std::vector<std::string> TextSink::take() {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    if (bodies_[i].size() == header_sizes_[i]) bodies_[i].clear();
  }
  return std::move(bodies_);
}

void append_label_value(std::string& out, std::string_view value) {
  // Most values need no escaping: append them in runs between the characters that do.
  while (!value.empty()) {
    const auto special = value.find_first_of("\\\"\n");
    out.append(value.substr(0, special));
    if (special == std::string_view::npos) return;
    out += value[special] == '\n' ? "\\n" : value[special] == '"' ? "\\\"" : "\\\\";
    value.remove_prefix(special + 1);
  }
}

void append_sample_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    // TextSerializer streams with precision max_digits10 - 1 = 16: printf's "%.16g".
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 16);
    out.append(buf, res.ptr);
  }
}

}  // namespace starttls_exporter::metrics
