#pragma once
/// \file
/// From a validated Config to what the engine runs: trust stores and ScheduledTargets.
///
/// Threading: a TrustCache is used from one thread (the main thread: start-up and reloads).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shard.hpp"
#include "starttls_exporter/config.hpp"
#include "starttls_exporter/scheduler.hpp"
#include "starttls_exporter/tls.hpp"

namespace starttls_exporter::app {

/// One TrustStore per distinct ca_file (the system store for an empty one), kept across
/// reloads: a CA file whose bytes did not change yields the same TrustStore object, so the
/// scheduler sees the target as unchanged and keeps its schedule.
class TrustCache {
 public:
  /// The trust store of `module`. Throws config::ConfigError located at
  /// module.tls.ca_file_location (else at `config_file`), key "modules.NAME.tls.ca_file", with
  /// the TLS error as problem.
  std::shared_ptr<const tls::TrustStore> get(const config::Module& module,
                                             const std::string& config_file);

  /// Forgets the stores no module named in the last build_targets() call uses.
  void keep_only(const std::vector<std::string>& ca_files);

 private:
  struct Entry {
    std::string content;  ///< the file's bytes when the store was built
    std::shared_ptr<const tls::TrustStore> store;
  };
  std::shared_ptr<const tls::TrustStore> system_;
  std::map<std::string, Entry> files_;
};

/// The engine's view of `config`: the targets `shard` owns (see shard.hpp), in config order.
/// Builds (or reuses) every module's trust store, including those of modules no target (of
/// this shard) uses, so --config.check finds every bad CA file.
/// Throws config::ConfigError (see TrustCache::get).
std::vector<scheduler::ScheduledTarget> build_targets(const config::Config& config,
                                                      TrustCache& trust, const Shard& shard = {});

}  // namespace starttls_exporter::app
