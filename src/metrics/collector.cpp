#include "starttls_exporter/collector.hpp"

#include <algorithm>
#include <array>
#include <sstream>
#include <string_view>
#include <utility>

#include <prometheus/text_serializer.h>

#include "series_builder.hpp"
#include "sinks.hpp"

namespace starttls_exporter::metrics {
namespace {

// Family labels and the per-target label names: a static label of the same name would make a
// series with a duplicate label, which Prometheus rejects, so such static labels are dropped.
constexpr std::array<std::string_view, 13> kReservedLabels{"target",
                                                           "module",
                                                           "phase",
                                                           "reason",
                                                           "version",
                                                           "cipher",
                                                           "group",
                                                           "fingerprint_sha256",
                                                           "subject",
                                                           "issuer",
                                                           "subjectalternative",
                                                           "serialnumber",
                                                           "result"};

bool reserved(std::string_view name) {
  for (auto r : kReservedLabels) {
    if (r == name) return true;
  }
  return false;
}

Labels base_labels(const store::TargetInfo& target) {
  Labels labels;
  labels.reserve(2 + target.labels.size());
  labels.push_back({"target", target.endpoint});
  labels.push_back({"module", target.module});
  for (const auto& [name, value] : target.labels) {
    if (!reserved(name)) labels.push_back({name, value});
  }
  return labels;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

prometheus::ClientMetric gauge(Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

void append_targets(SeriesSink& sink, const std::vector<store::TargetSnapshot>& snapshot,
                    SystemTime now) {
  for (const auto& s : snapshot) {
    TargetView view;
    view.latest = s.latest.get();
    if (s.last_handshake) {
      view.tls = &s.last_handshake->tls;
      view.verify = &s.last_handshake->verify;
      view.handshake_at = s.last_handshake->at;
    }
    view.last_success = s.last_success;
    append_target(sink, base_labels(*s.target), view, now);
  }
}

/// The starttls_exporter_* families: build info, probe counters, target count.
std::vector<prometheus::MetricFamily> self_families(const BuildInfo& build_info,
                                                    const store::ProbeCounters& counters,
                                                    std::size_t targets) {
  std::vector<prometheus::MetricFamily> out;
  auto build = family("starttls_exporter_build_info",
                      "The exporter's version and the GnuTLS library it runs with (value is 1).",
                      prometheus::MetricType::Gauge);
  build.metric.push_back(
      gauge({{"version", build_info.version}, {"gnutls_version", build_info.gnutls_version}}, 1));
  out.push_back(std::move(build));

  auto probes =
      family("starttls_exporter_probes_total", "Scheduled probes completed since start, by result.",
             prometheus::MetricType::Counter);
  for (auto [result, value] :
       {std::pair{"success", counters.success}, std::pair{"failure", counters.failure}}) {
    prometheus::ClientMetric m;
    m.label = {{"result", result}};
    m.counter.value = static_cast<double>(value);
    probes.metric.push_back(std::move(m));
  }
  out.push_back(std::move(probes));

  auto count = family("starttls_exporter_targets", "Targets currently configured.",
                      prometheus::MetricType::Gauge);
  count.metric.push_back(gauge({}, static_cast<double>(targets)));
  out.push_back(std::move(count));
  return out;
}

}  // namespace

Collector::Collector(const store::ResultStore& store, BuildInfo build, Clock clock)
    : store_(store), build_(std::move(build)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

std::vector<prometheus::MetricFamily> Collector::Collect() const {
  const auto snapshot = store_.snapshot();
  const auto counters = store_.counters();
  FamilySink sink(Source::scheduled, snapshot.size());
  append_targets(sink, snapshot, clock_());
  auto out = sink.take();
  for (auto& f : self_families(build_, counters, snapshot.size())) out.push_back(std::move(f));
  return out;
}

std::string Collector::Render() const {
  const auto snapshot = store_.snapshot();
  const auto counters = store_.counters();
  TextSink::SizeHints hints{};
  {
    std::lock_guard lock(hints_mutex_);
    std::copy_n(size_hints_.begin(), std::min(size_hints_.size(), hints.size()), hints.begin());
  }
  TextSink sink(Source::scheduled, hints);
  append_targets(sink, snapshot, clock_());
  {
    const auto sizes = sink.sizes();
    std::lock_guard lock(hints_mutex_);
    size_hints_.assign(sizes.begin(), sizes.end());
  }
  std::string out;
  sink.finish(out);
  out += render_text(self_families(build_, counters, snapshot.size()));
  return out;
}

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::vector<prometheus::MetricFamily> probe_families(const ProbeResult& result, SystemTime now) {
  static const VerifyVerdict kUnverified{};
  TargetView view;
  view.latest = &result;
  if (result.tls) {
    view.tls = &*result.tls;
    view.verify = result.verify ? &*result.verify : &kUnverified;
  }
  view.with_history = false;
  FamilySink sink(Source::on_demand, 1);
  append_target(sink, {}, view, now);
  return sink.take();
}

}  // namespace starttls_exporter::metrics
