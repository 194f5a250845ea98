#include "starttls_exporter/metrics/collector.hpp"

#include <algorithm>
#include <limits>
#include <sstream>
#include <string_view>
#include <utility>

#include <prometheus/text_serializer.h>

#include "domain_series.hpp"
#include "name_series.hpp"
#include "self_families.hpp"
#include "series_builder.hpp"
#include "sinks.hpp"
#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/dns/mail_path.hpp"
#include "starttls_exporter/domains/domain_state.hpp"

namespace starttls_exporter::metrics {
namespace {

// A static label named like one the exporter sets would make a series with a duplicate label,
// which Prometheus rejects. The config refuses such names already; dropping them here too keeps
// the exposition valid whatever the caller passes.
bool reserved(std::string_view name) {
  const auto& names = config::reserved_label_names();
  return std::binary_search(names.begin(), names.end(), name);
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

/// Each target's base labels, built once per page (the page takes several passes).
std::vector<Labels> all_base_labels(const std::vector<store::TargetSnapshot>& snapshot) {
  std::vector<Labels> bases;
  bases.reserve(snapshot.size());
  for (const auto& s : snapshot) bases.push_back(base_labels(*s.target));
  return bases;
}

void append_targets(SeriesSink& sink, const std::vector<store::TargetSnapshot>& snapshot,
                    const std::vector<Labels>& bases, SystemTime now) {
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    const auto& s = snapshot[i];
    TargetView view;
    view.latest = s.latest.get();
    if (s.last_handshake) {
      view.tls = &*s.last_handshake->tls;
      view.verify = &*s.last_handshake->verify;
      if (s.last_handshake->dane) view.dane = &*s.last_handshake->dane;
      if (s.last_handshake->policies) view.policies = &*s.last_handshake->policies;
      view.handshake_at = s.last_handshake->started;
    }
    view.last_success = s.last_success;
    view.series = s.target->series;
    append_target(sink, bases[i], view, now);
  }
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
  append_targets(sink, snapshot, all_base_labels(snapshot), clock_());
  auto out = sink.take();
  for (auto& f : name_families(snapshot)) out.push_back(std::move(f));
  for (auto& f : domain_families(store_.domains(), snapshot)) out.push_back(std::move(f));
  for (auto& f : self_families(build_, counters, snapshot.size(),
                               {reload_successful_.load(), reload_success_seconds_.load()}))
    out.push_back(std::move(f));
  append_phase_histograms(out, store_.phase_histograms());
  append_lag(out, lag_);
  if (dns_) {
    for (auto& f : dns_self_families(dns_())) out.push_back(std::move(f));
  }
  append_web(out, web_);
  append_chain_cache(out, chain_cache_);
  append_tlsrpt(out);
  return out;
}

bool Collector::Stream(const TextWriter& write) const {
  const auto snapshot = store_.snapshot();
  const auto counters = store_.counters();
  const SystemTime now = clock_();  // one reference time for every pass
  const std::vector<Labels> bases = all_base_labels(snapshot);
  std::vector<std::size_t> family_bytes;
  {
    std::lock_guard lock(family_bytes_mutex_);
    family_bytes = family_bytes_;
  }
  const bool written = write_text_page(
      Source::scheduled, [&](SeriesSink& sink) { append_targets(sink, snapshot, bases, now); },
      kPageBufferBudget, family_bytes, write);
  if (!written) return false;
  {
    std::lock_guard lock(family_bytes_mutex_);
    family_bytes_ = std::move(family_bytes);
  }
  auto self = name_families(snapshot);
  for (auto& f : domain_families(store_.domains(), snapshot)) self.push_back(std::move(f));
  for (auto& f : self_families(build_, counters, snapshot.size(),
                               {reload_successful_.load(), reload_success_seconds_.load()}))
    self.push_back(std::move(f));
  append_phase_histograms(self, store_.phase_histograms());
  append_lag(self, lag_);
  if (dns_) {
    for (auto& f : dns_self_families(dns_())) self.push_back(std::move(f));
  }
  append_web(self, web_);
  append_chain_cache(self, chain_cache_);
  append_tlsrpt(self);
  return write(render_text(self));
}

std::string Collector::Render() const {
  std::string out;
  Stream([&out](std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}

void Collector::set_tlsrpt_source(TlsrptStatsSource source) {
  tlsrpt_ = std::move(source);
}

void Collector::append_tlsrpt(std::vector<prometheus::MetricFamily>& out) const {
  if (!tlsrpt_) return;
  const std::optional<TlsrptStats> stats = tlsrpt_();
  if (!stats) return;
  // The MX names each domain's probes carry as `mx`, from its last usable resolution.
  std::map<std::string, std::set<std::string>> known_mx;
  for (const auto& state : store_.domains()) {
    const auto& path = state->probed ? state->probed : state->path;
    // TLS-RPT reports are about delivery to MX hosts: services and hosts name none.
    if (!path || path->kind != dns::PathKind::mx) continue;
    auto& hosts = known_mx[state->domain.name];
    for (const auto& host : path->hosts) hosts.insert(host.name);
  }
  for (auto& f : tlsrpt_families(*stats, known_mx)) out.push_back(std::move(f));
}

void Collector::set_dns_source(DnsStatsSource source) {
  dns_ = std::move(source);
}

void Collector::set_web_source(WebStatsSource source) {
  web_ = std::move(source);
}

void Collector::set_chain_cache_source(ChainCacheStatsSource source) {
  chain_cache_ = std::move(source);
}

void Collector::set_lag_source(LagSource source) {
  lag_ = std::move(source);
}

void Collector::set_reload_status(bool success, SystemTime when) noexcept {
  if (success) reload_success_seconds_.store(unix_seconds(when));
  reload_successful_.store(success);
}

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::vector<prometheus::MetricFamily> probe_families(const ProbeResult& result, SystemTime now,
                                                     const config::MetricsSettings& series) {
  static const VerifyVerdict kUnverified{};
  TargetView view;
  view.latest = &result;
  if (result.tls) {
    view.tls = &*result.tls;
    view.verify = result.verify ? &*result.verify : &kUnverified;
    if (result.dane) view.dane = &*result.dane;
    if (result.policies) view.policies = &*result.policies;
  }
  view.with_history = false;
  view.series = series;
  FamilySink sink(Source::on_demand, 1);
  append_target(sink, {}, view, now);
  return sink.take();
}

}  // namespace starttls_exporter::metrics

namespace starttls_exporter::metrics {

std::vector<prometheus::MetricFamily> store_families(const store::ResultStore& store,
                                                     SystemTime now) {
  const auto snapshot = store.snapshot();
  FamilySink sink(Source::on_demand, snapshot.size());
  append_targets(sink, snapshot, all_base_labels(snapshot), now);
  auto out = sink.take();
  for (auto& f : name_families(snapshot)) out.push_back(std::move(f));
  for (auto& f : domain_families(store.domains(), snapshot)) out.push_back(std::move(f));
  return out;
}

}  // namespace starttls_exporter::metrics
