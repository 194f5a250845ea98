#pragma once
/// \file
/// The running configuration and its reloads (SIGHUP, POST /-/reload).
///
/// Threading: reload() may be called from any thread (the signal loop, HTTP workers); reloads
/// are serialized. current() is lock-free for readers in practice (a shared_ptr copy under a
/// short lock) and may be called from any thread.

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"

namespace starttls_exporter::runtime {

/// Loads and validates the configuration file (and its trust stores). Throws on any problem;
/// the message is one line starting with "file:line:column:" where the file has one.
using LoadFunction = std::function<LoadedConfig()>;

/// What the HTTP handlers read: immutable once published. config.source_text is the text
/// that was parsed, which /config serves.
struct LiveConfig {
  config::Config config;
  /// Every module's trust store (the ones the scheduled targets use).
  std::map<std::string, std::shared_ptr<const tls::TrustStore>> trust_by_module;
};

struct ReloadOutcome {
  bool ok = false;
  std::string error;        ///< when !ok: the loader's message
  std::size_t targets = 0;  ///< when ok: targets this replica now runs
};

class Reloader {
 public:
  /// `load` is only called inside reload(), under the reload lock, so the TrustCache it uses
  /// needs no lock of its own. Everything referenced must outlive the Reloader.
  /// `running_concurrency` is the concurrency the scheduler was built with (changes need a
  /// restart; a reload warns).
  Reloader(LoadFunction load, DomainWatcher& watcher, metrics::Collector& collector,
           asio::io_context& engine, int running_concurrency);

  /// Publishes an already loaded configuration (start-up) and applies its targets without
  /// waiting for the engine (it may not run yet).
  void install(LoadedConfig loaded);

  /// Loads the file again. On success applies it and waits (up to 5 s) until the engine has
  /// applied it, so /metrics reflects the new target set once this returns. On failure keeps
  /// the running configuration. Either way logs the outcome (the error with file:line) and
  /// updates the collector's reload status. `trigger` ("SIGHUP", "HTTP") is logged.
  ReloadOutcome reload(const std::string& trigger);

  /// The running configuration; null before install().
  std::shared_ptr<const LiveConfig> current() const;

 private:
  void publish(LoadedConfig& loaded);

  LoadFunction load_;
  DomainWatcher& watcher_;  ///< gets the targets and domains; feeds the scheduler
  metrics::Collector& collector_;
  asio::io_context& engine_;
  int running_concurrency_;
  std::mutex reload_mutex_;  ///< serializes install/reload
  mutable std::mutex current_mutex_;
  std::shared_ptr<const LiveConfig> current_;
};

}  // namespace starttls_exporter::runtime
