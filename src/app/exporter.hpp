#pragma once
/// \file
/// The running exporter: every part, owned in the order their lifetimes need. main() and the
/// tests build the same object, so no test re-implements the wiring.
///
/// Threading: construct, reload, stop and destroy an Exporter on one thread (main's, or a
/// test's). The parts run on the engine thread and the HTTP workers.

#include <chrono>
#include <memory>
#include <string>

#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/engine_thread.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"
#include "starttls_exporter/runtime/reloader.hpp"
#include "starttls_exporter/runtime/report_intake.hpp"
#include "starttls_exporter/runtime/shard.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/store/result_store.hpp"
#include "starttls_exporter/tls_client/certificate_file.hpp"
#include "starttls_exporter/tls_client/chain_cache.hpp"
#include "starttls_exporter/web/web.hpp"

namespace starttls_exporter::app {

struct ExporterOptions {
  std::string config_file;
  std::string listen_address = ":9725";
  runtime::Shard shard;
  web::WebSecurity web;               ///< load_web_security(--web.config.file)
  std::string tlsrpt_listen_address;  ///< empty: no TLS-RPT listener
  web::WebSecurity tlsrpt_web;        ///< load_web_security(--tlsrpt.web-config.file)
  /// How often the TLS-RPT Maildir is scanned in full besides inotify's events.
  std::chrono::milliseconds maildir_rescan{60'000};
};

/// Config loaded, engine running, web port listening: from construction until stop().
class Exporter {
 public:
  /// Loads the configuration (throws config::ConfigError) and starts listening (throws what
  /// web::Frontend throws); then starts the engine. Nothing is left running on a throw.
  explicit Exporter(ExporterOptions options);
  ~Exporter();  ///< stop()
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  int port() const noexcept { return web_->port(); }  ///< the public web port
  bool tls() const noexcept { return web_->tls(); }
  /// The TLS-RPT listener's port; 0 without one.
  int tlsrpt_port() const noexcept { return reports_listener_ ? reports_listener_->port() : 0; }
  std::size_t targets() const noexcept { return initial_targets_; }  ///< at start-up
  runtime::Reloader& reloader() noexcept { return *reloader_; }
  store::ResultStore& store() noexcept { return store_; }

  /// Cancels every probe, stops the engine (waiting a short grace for probes to unwind), then
  /// the web port. Returns false when the engine failed (a bug, logged). Idempotent.
  bool stop() noexcept;

 private:
  void start_reports(const config::TlsrptSettings& settings);

  ExporterOptions options_;
  runtime::TrustCache trust_;     ///< used by the load function only, under the reload lock
  runtime::TargetCache targets_;  ///< the same
  // Declaration order is destruction order in reverse: the web port goes first (no scrape reads
  // the store afterwards), the engine's io_context before the store its coroutines write to.
  store::ResultStore store_;
  tls::ChainCache chain_cache_{tls::ChainCache::Limits{}};  ///< outlives every probe (engine_)
  tls::CertificateFiles certificate_files_;  ///< certificate_file contents; outlive every probe
  metrics::Collector collector_;
  http::WebCounters web_counters_;  ///< before web_: the gate and the server count into it
  runtime::EngineThread engine_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<runtime::DomainWatcher> domains_;
  std::unique_ptr<runtime::Reloader> reloader_;
  // TLS-RPT (tlsrpt.database set): the database outlives the keeper, the listener
  // and the web port (its pages read reports).
  std::unique_ptr<store::ReportDatabase> reports_;
  runtime::SubmissionCounters submissions_;
  http::WebCounters reports_web_counters_;
  std::unique_ptr<runtime::ReportKeeper> reports_keeper_;
  std::unique_ptr<web::Frontend> reports_listener_;
  std::unique_ptr<web::Frontend> web_;
  std::size_t initial_targets_ = 0;
  bool stopped_ = false;
};

/// "starttls_exporter 0.1.0 (gnutls 3.7.9)".
std::string version_line();

}  // namespace starttls_exporter::app
