#pragma once
/// \file
/// Prometheus exposition of probe results. Families are built fresh at every scrape from a
/// ResultStore snapshot; each family appears once, with one series per target.
///
/// Thread-safety: Collect() may be called from any number of threads at once (it only reads
/// the store through ResultStore::snapshot(), which locks).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "starttls_exporter/core/histogram.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/dns/dns.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::metrics {

/// Content type of render_text() output (Prometheus text format 0.0.4).
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Values of starttls_exporter_build_info. Passed in so this area needs no GnuTLS.
struct BuildInfo {
  std::string version;         ///< STARTTLS_EXPORTER_VERSION
  std::string gnutls_version;  ///< gnutls_check_version(nullptr) at run time
};

/// Returns the scheduling lag histogram; called at every scrape, from HTTP threads.
using LagSource = std::function<Histogram()>;
/// The resolver's lookup counters (DomainWatcher::resolver_stats); called at scrape time.
using DnsStatsSource = std::function<dns::ResolverStats()>;

/// The web port's self counters (web::web_stats fills it), so this area needs no web types.
/// Each list holds every reason, zeros included, so the series exist from the start.
struct WebStats {
  std::int64_t open_connections = 0;
  std::vector<std::pair<std::string, std::uint64_t>> rejected_connections;  ///< reason, count
  std::vector<std::pair<std::string, std::uint64_t>> rejected_requests;     ///< reason, count
};
using WebStatsSource = std::function<WebStats()>;

/// The chain verdict cache's counters (tls::chain_cache_stats), in this area's own shape.
struct ChainCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t entries = 0;
};
using ChainCacheStatsSource = std::function<ChainCacheStats()>;

/// What the TLS-RPT families are built from (runtime::tlsrpt_stats fills it): the database's
/// running totals, the organizations bound, and the submission counts (every source and
/// result, zeros too).
struct TlsrptStats {
  store::ReportTotals totals;
  std::size_t max_organizations = 20;
  struct Submissions {
    std::string source, result;
    std::uint64_t count = 0;
  };
  std::vector<Submissions> submissions;
};
/// Called at every scrape; nullopt when the database cannot be read now (the families are
/// then left out of that page, and the reason logged by the source).
using TlsrptStatsSource = std::function<std::optional<TlsrptStats>()>;

/// The TLS-RPT families (tlsrpt_*, starttls_exporter_tlsrpt_submissions_total) from `stats`.
/// Labels: `domain` is the policy domain; `mx` the receiving MX host when it is one of
/// `known_mx[domain]` (the MX names the probes label `mx`), else "other"; `organization`
/// normalised, the first max_organizations seen by name, the rest "other".
std::vector<prometheus::MetricFamily> tlsrpt_families(
    const TlsrptStats& stats, const std::map<std::string, std::set<std::string>>& known_mx);
/// The names tlsrpt_families can emit (for the README check).
std::vector<std::string> tlsrpt_family_names();

/// Receives a text page piece by piece; returns false when the reader is gone (the rest of
/// the page is then skipped).
using TextWriter = std::function<bool(std::string_view)>;

/// The wall clock used for probe_ssl_cert_expiry_days; injectable for tests.
using Clock = std::function<SystemTime()>;

class Collector : public prometheus::Collectable {
 public:
  /// `store` must outlive the collector. `clock` defaults to std::chrono::system_clock::now.
  Collector(const store::ResultStore& store, BuildInfo build, Clock clock = {});

  /// Per-target families (labels target, module, static labels) followed by the
  /// starttls_exporter_* self metrics. Families without series are omitted.
  std::vector<prometheus::MetricFamily> Collect() const override;

  /// Writes the same bytes as render_text(Collect()) to `write`, without building
  /// MetricFamily objects and without holding the page: the /metrics fast path (10,000
  /// targets ≈ 35 MB of text). The families are rendered in passes over one store snapshot,
  /// and at most kPageBufferBudget bytes of them are buffered at a time. Returns false when
  /// `write` failed; the rest of the page is then skipped.
  bool Stream(const TextWriter& write) const;

  /// Stream() collected into one string (tests, small pages).
  std::string Render() const;

  /// Bytes of page text Stream() may buffer at once.
  static constexpr std::size_t kPageBufferBudget = 4 * 1024 * 1024;

  /// Adds starttls_exporter_probe_start_lag_seconds (how late scheduled probes started after
  /// their slot) to the self metrics. Not thread-safe: call before the first scrape.
  void set_lag_source(LagSource source);
  /// Installs the source of the DNS self families. Call before serving, like set_lag_source.
  void set_dns_source(DnsStatsSource source);
  /// Installs the source of the web port's self families. Call before serving.
  void set_web_source(WebStatsSource source);
  /// Installs the source of the chain verdict cache's self families. Call before serving.
  void set_chain_cache_source(ChainCacheStatsSource source);
  /// Installs the source of the TLS-RPT families. Call before serving.
  void set_tlsrpt_source(TlsrptStatsSource source);

  /// Records the outcome of a configuration load or reload, exposed as
  /// starttls_exporter_config_last_reload_successful (1/0) and, for a success at `when`,
  /// starttls_exporter_config_last_reload_success_timestamp_seconds. Thread-safe. Before the
  /// first call both read 0.
  void set_reload_status(bool success, SystemTime when) noexcept;

 private:
  void append_tlsrpt(std::vector<prometheus::MetricFamily>& out) const;

  const store::ResultStore& store_;
  BuildInfo build_;
  Clock clock_;
  LagSource lag_;
  DnsStatsSource dns_;
  WebStatsSource web_;
  ChainCacheStatsSource chain_cache_;
  TlsrptStatsSource tlsrpt_;
  mutable std::mutex family_bytes_mutex_;
  mutable std::vector<std::size_t> family_bytes_;  ///< per family, the last page's bytes
  std::atomic<bool> reload_successful_{false};
  std::atomic<double> reload_success_seconds_{0};  ///< Unix seconds of the last success
};

/// Serializes families in the Prometheus text format (prometheus::TextSerializer).
std::string render_text(const std::vector<prometheus::MetricFamily>& families);

/// The same per-target families as Collector, for one fresh result (a /probe request), without
/// target/module labels and without the history series (probe_last_run_timestamp_seconds,
/// probe_last_success_timestamp_seconds, probe_ssl_last_handshake_timestamp_seconds).
/// `now` is the reference for probe_ssl_cert_expiry_days; `series` the module's optional groups.
std::vector<prometheus::MetricFamily> probe_families(const ProbeResult& result, SystemTime now,
                                                     const config::MetricsSettings& series);

/// The per-target and per-domain families of `store` (no starttls_exporter_* self families):
/// what /probe?domain= answers, from a store holding only that domain and its addresses.
std::vector<prometheus::MetricFamily> store_families(const store::ResultStore& store,
                                                     SystemTime now);

}  // namespace starttls_exporter::metrics
