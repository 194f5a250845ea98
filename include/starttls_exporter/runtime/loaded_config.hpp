#pragma once
/// \file
/// From a validated Config to what the engine runs: trust stores and ScheduledTargets.
///
/// Threading: a TrustCache is used from one thread at a time (start-up, then reloads, which
/// the Reloader serializes).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/shard.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"

namespace starttls_exporter::runtime {

/// One TrustStore per distinct CA file (the system store for none), kept across reloads: a CA
/// file whose bytes did not change yields the same TrustStore object, so the scheduler sees
/// the target as unchanged and keeps its schedule. Stores are built from the bytes the config
/// loader read (TlsSettings::ca_pem); the cache never opens a file itself.
class TrustCache {
 public:
  /// The trust store of `module`. Throws config::ConfigError located at
  /// module.tls.ca_file_location (else at `config_file`), key "modules.NAME.tls.ca_file", with
  /// the TLS error as problem.
  std::shared_ptr<const tls::TrustStore> get(const config::Module& module,
                                             const std::string& config_file);
  /// The same for any TLS settings; errors name `key` ("mta_sts.ca_file").
  std::shared_ptr<const tls::TrustStore> get(const config::TlsSettings& tls, const std::string& key,
                                             const std::string& config_file);

  /// Forgets the stores of every CA file not in `ca_files`.
  void keep_only(const std::vector<std::string>& ca_files);

 private:
  struct Entry {
    std::string content;  ///< the file's bytes when the store was built
    std::shared_ptr<const tls::TrustStore> store;
  };
  std::shared_ptr<const tls::TrustStore> system_;
  std::map<std::string, Entry> files_;
};

/// The targets of the last prepare(), so that the next one (a reload) hands on the very objects
/// the scheduler runs for every target that did not change, instead of a second copy of each:
/// a reload of a 100,000-target file then allocates new targets only for what changed.
/// Used from one thread at a time, like TrustCache.
class TargetCache {
 public:
  /// `target` itself when the last set holds none equal to it, else that equal object.
  scheduler::TargetRef reuse(scheduler::ScheduledTarget target) const;
  /// Makes `targets` the set the next prepare() reuses from.
  void remember(const std::vector<scheduler::TargetRef>& targets);

 private:
  std::vector<scheduler::TargetRef> last_;
  std::unordered_map<std::string_view, std::size_t> by_key_;  ///< key -> index in last_
};

/// A loaded configuration and what this replica runs from it.
struct LoadedConfig {
  config::Config config;
  /// Every module's trust store, used modules or not (so --config.check finds every bad file).
  std::map<std::string, std::shared_ptr<const tls::TrustStore>> trust_by_module;
  /// The targets `shard` owns (see shard.hpp), in config order.
  std::vector<scheduler::TargetRef> targets;
  /// The domains `shard` owns (sharded by domain: each replica resolves only its own).
  std::vector<domains::DomainJob> domains;
  /// The MTA-STS policy hosts' trust store (mta_sts.ca_file); set when domains are configured.
  std::shared_ptr<const tls::TrustStore> mta_sts_trust;
};

/// Builds (or reuses from `trust`) every module's trust store, the scheduled targets and the
/// domain jobs, and checks the resolver settings when domains are configured. Throws
/// config::ConfigError (see TrustCache::get; a trust anchor libunbound refuses is located at
/// dns.trust_anchor_file).
/// With `targets`, unchanged targets are the objects of the previous prepare() (see TargetCache).
LoadedConfig prepare(config::Config config, TrustCache& trust, const Shard& shard = {},
                     TargetCache* targets = nullptr);

/// The job of one configured domain: the module's settings, its trust store, port, interval.
domains::DomainJob domain_job(const config::Domain& domain, const config::Module& module,
                              std::shared_ptr<const tls::TrustStore> trust);

/// load_config(path), then prepare(); returns the heap's parse-time peak to the kernel.
/// Throws config::ConfigError.
LoadedConfig load(const std::string& path, TrustCache& trust, const Shard& shard = {},
                  TargetCache* targets = nullptr);

}  // namespace starttls_exporter::runtime
