#pragma once
/// \file
/// The latest ProbeResult per target, plus what must outlive one failed probe (last-known
/// certificate facts, last success time). Thread-safe: written by the engine thread, read by
/// HTTP threads at scrape time.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/histogram.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::domains {
struct DomainState;  // src/domains: the store holds domain states, never looks into them
}  // namespace starttls_exporter::domains

namespace starttls_exporter::store {

using domains::DomainState;

/// Static identity of a target, as the collector labels it.
struct TargetInfo {
  std::string key;       ///< config::Target::key(): endpoint + module
  std::string endpoint;  ///< the `target` label: "192.0.2.25:25", "[::1]:25"
  std::string module;
  std::map<std::string, std::string> labels;  ///< static labels from the config
  config::MetricsSettings series;             ///< the module's optional series groups
  std::string server_name = {};               ///< the name verified (SNI); groups name_families

  friend bool operator==(const TargetInfo&, const TargetInfo&) = default;
};

/// A consistent copy of one target's state (cheap: shared pointers to immutable data).
struct TargetSnapshot {
  std::shared_ptr<const TargetInfo> target;
  std::shared_ptr<const ProbeResult> latest;  ///< null before the first probe
  /// The last probe that completed a TLS handshake (its `tls` and `verify` are set), kept after
  /// later failed probes; often the same object as `latest`. Null until a handshake completed.
  std::shared_ptr<const ProbeResult> last_handshake;
  std::optional<SystemTime> last_success;
};

struct ProbeCounters {
  std::uint64_t success = 0;
  std::uint64_t failure = 0;
};

/// Upper bounds (seconds) of starttls_exporter_probe_phase_duration_seconds' buckets: from a
/// loopback connect (well under a millisecond) to a handshake near the default 10 s timeout.
inline constexpr std::array<double, 13> kPhaseBucketBounds{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/// A module's phase durations, indexed by Phase, each over kPhaseBucketBounds.
struct ModulePhaseHistograms : std::array<Histogram, kPhaseCount> {
  ModulePhaseHistograms() { fill(Histogram(kPhaseBucketBounds)); }
};

class ResultStore {
 public:
  /// Replaces the target set. State of targets whose key is unchanged is kept; removed
  /// targets disappear at once. Snapshots are returned in the order given here.
  void set_targets(const std::vector<TargetInfo>& targets);
  /// The same, keeping the given objects (the scheduler hands its own targets' infos, so a
  /// target's identity exists once in memory however many parts hold it).
  void set_targets(const std::vector<std::shared_ptr<const TargetInfo>>& targets);

  /// Records a finished probe. Results for keys not in the target set are dropped (a target
  /// removed by a reload while its probe was in flight).
  void record(const std::string& key, std::shared_ptr<const ProbeResult> result);

  std::vector<TargetSnapshot> snapshot() const;

  /// Replaces the domain set (names in config order); states of names kept stay.
  void set_domains(const std::vector<std::string>& names);
  /// Records a domain's state; ignored for a name not in the domain set.
  void record_domain(const std::string& name, std::shared_ptr<const DomainState> state);
  /// Every domain with a state, in config order.
  std::vector<std::shared_ptr<const DomainState>> domains() const;
  /// Results recorded since start (dropped results are not counted; reloads do not reset).
  ProbeCounters counters() const;
  /// The phase durations of every recorded result, by module (since start; a module no
  /// target uses any more is dropped at set_targets).
  std::map<std::string, ModulePhaseHistograms> phase_histograms() const;
  std::size_t target_count() const;

 private:
  struct Entry {
    TargetSnapshot state;
    std::uint64_t generation = 0;  ///< the set_targets() that last listed it
  };
  mutable std::mutex mutex_;
  /// The entries in set_targets' order (an unordered_map's elements stay where they are when
  /// it rehashes). Updated in place, so replacing 100,000 targets builds no second map.
  std::vector<Entry*> order_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t generation_ = 0;
  ProbeCounters counters_;
  std::map<std::string, ModulePhaseHistograms> phases_;
  std::vector<std::string> domain_order_;
  std::unordered_map<std::string, std::shared_ptr<const DomainState>> domains_;
};

}  // namespace starttls_exporter::store
